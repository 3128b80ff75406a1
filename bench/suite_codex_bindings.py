"""Bindings of a real Codex release against the official `openai-codex` SDK's generated models.

- generation: `threadloom generate python typescript` for Codex 0.171.0 (`--experimental` export);
- import: our generated models of 0.171.0 against the official SDK's `openai_codex/generated/v2_all.py`
  (datamodel-code-generator over Codex's flattened v2 bundle), each in a fresh interpreter with
  pydantic already imported, so only the models module is timed (target: ours 3x faster). Ours
  are lazy (see generator/threadloom/plugins/python/lazy.py), so the first use is timed too:
  import, then decode one `item/completed`;
- decode: every server->client message of a real `codex app-server` 0.171.0 session (offline,
  against the scripted model of tests/codex_live), repeated; ours by method (notifications and
  server requests by params type, responses by the result type of the request), the official
  models by the same definition names. Only messages both can decode are timed.

The official wheel is fetched once with `pip download` into ~/.cache/threadloom/pypi/ (outside the
repository) and imported by path: nothing is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from bench.harness import BIN, ROOT, Figure, median_of, seconds

RELEASE = "0.171.0"
OFFICIAL = "openai-codex"
OFFICIAL_VERSION = "0.163.0"
PYPI_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "threadloom" / "pypi"
PACKAGE = "codex_app_server"
REPEAT = 20

IMPORT_BY_PATH = """
import importlib.util, sys, time
import pydantic, pydantic.main
path = sys.argv[1]
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("v2_all", path)
module = importlib.util.module_from_spec(spec)
sys.modules["v2_all"] = module
spec.loader.exec_module(module)
print(time.perf_counter() - t)
"""

IMPORT_OURS = """
import sys, time
import pydantic, pydantic.main
sys.path.insert(0, sys.argv[1])
t = time.perf_counter()
import {package}.v1.models
print(time.perf_counter() - t)
"""

# First use: import, then decode one `item/completed` (our classes are defined and their validators
# built on demand; the official ones at import).
ITEM_COMPLETED = {"item": {"type": "agentMessage", "id": "m-1", "text": "hi"}, "threadId": "t-1", "turnId": "u-1", "completedAtMs": 1}
TIMED = "print(time.perf_counter() - t)"
DECODE_FIRST = f".ItemCompletedNotification.model_validate({ITEM_COMPLETED!r})\n{TIMED}"
FIRST_OFFICIAL = IMPORT_BY_PATH.replace(TIMED, "module" + DECODE_FIRST)
FIRST_OURS = IMPORT_OURS.replace(TIMED, "{package}.v1.models" + DECODE_FIRST.replace("{", "{{").replace("}", "}}"))


def official_models() -> Path:
    """`openai_codex/generated/v2_all.py` of the official wheel, downloaded and unpacked once."""
    folder = PYPI_CACHE / f"openai_codex-{OFFICIAL_VERSION}"
    models = folder / "openai_codex" / "generated" / "v2_all.py"
    if models.is_file():
        return models
    PYPI_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=PYPI_CACHE) as tmp:
        pip = [str(BIN / "python"), "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, f"{OFFICIAL}=={OFFICIAL_VERSION}"]
        subprocess.run(pip, check=True, capture_output=True)
        (wheel,) = Path(tmp).glob("*.whl")
        unpacked = Path(tmp) / "unpacked"
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(unpacked)
        if not models.is_file():  # another run may have won the race
            unpacked.rename(folder)
    return models


def target_folder(out: Path, target: str) -> Path:
    """Python goes to `out` (importable from there), every other target beside it: one folder each."""
    return out if target == "python" else out.with_name(f"{out.name}-{target}")


def generate(out: Path, *targets: str) -> None:
    from threadloom_conformance.releases import codex_export

    source = codex_export(RELEASE, experimental=True)
    for target in targets:
        folder = target_folder(out, target)
        command = [str(BIN / "threadloom"), "generate", target, "--protocol", str(source), "--out", str(folder), "--package", PACKAGE]
        subprocess.run(command, check=True, capture_output=True, cwd=out.parent)


def generate_afresh(out: Path, *targets: str) -> None:
    for target in targets:
        shutil.rmtree(target_folder(out, target), ignore_errors=True)
    generate(out, *targets)


def timed_python(script: str, argument: str) -> float:
    done = subprocess.run([str(BIN / "python"), "-c", script, argument], check=True, capture_output=True, text=True, cwd=tempfile.gettempdir())
    return float(done.stdout)


def capture_session(workspace: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every message of tests/codex_live's session against the real codex app-server."""
    sys.path.insert(0, str(ROOT))
    from tests.codex_live.test_codex_offline import run_session

    return list(run_session(RELEASE, workspace)[0].captured)


def decodable(captured: list[tuple[str, dict[str, Any]]], methods: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(definition name, our type, value) of each server->client message."""
    requests = {m["id"]: m["method"] for direction, m in captured if direction == "c2s" and "method" in m and "id" in m}
    found = []
    for direction, message in captured:
        if direction != "s2c" or "error" in message:
            continue
        if "method" in message:
            info = methods[message["method"]]
            found.append((info.params_definition, info.params, message.get("params")))
        else:
            info = methods[requests[message["id"]]]
            found.append((info.result_definition, info.result, message["result"]))
    return found


def decode_rates(out: Path, captured: list[tuple[str, dict[str, Any]]], runs: int) -> tuple[float, float, int, int]:
    """Messages per second, ours and official, over the messages both decode."""
    import importlib
    import importlib.util

    from threadloom_runtime.validation import validate

    sys.path.insert(0, str(out))
    methods = importlib.import_module(f"{PACKAGE}.v1.methods").METHODS
    spec = importlib.util.spec_from_file_location("v2_all", official_models())
    assert spec is not None and spec.loader is not None
    official = importlib.util.module_from_spec(spec)
    sys.modules["v2_all"] = official
    spec.loader.exec_module(official)
    pairs = []
    messages = decodable(captured, methods)
    for name, ours, value in messages:
        theirs = getattr(official, name, None)
        try:
            validate(ours, value)
            if theirs is None:
                continue
            theirs.model_validate(value)
        except Exception:  # a message one side cannot decode is not timed (counted below)
            continue
        pairs.append((ours, theirs, value))

    def ours_rate() -> float:
        elapsed = seconds(lambda: [validate(ours, value) for _ in range(REPEAT) for ours, _, value in pairs])
        return REPEAT * len(pairs) / elapsed

    def official_rate() -> float:
        elapsed = seconds(lambda: [theirs.model_validate(value) for _ in range(REPEAT) for _, theirs, value in pairs])
        return REPEAT * len(pairs) / elapsed

    ours_rate(), official_rate()  # build the validators (deferred on our side) before timing
    return median_of(runs, ours_rate), median_of(runs, official_rate), len(pairs), len(messages)


def run(runs: int) -> list[Figure]:
    official = official_models()
    with tempfile.TemporaryDirectory(prefix="bench-codex-bindings-") as tmp:
        out = Path(tmp) / "out"
        few = max(1, runs // 3)
        both = median_of(few, lambda: seconds(lambda: generate_afresh(out, "python", "typescript")))
        python = median_of(few, lambda: seconds(lambda: generate_afresh(out, "python")))
        generate(out, "python", "typescript")
        ours_import = median_of(runs, lambda: timed_python(IMPORT_OURS.format(package=PACKAGE), str(out))) * 1000
        official_import = median_of(runs, lambda: timed_python(IMPORT_BY_PATH, str(official))) * 1000
        ours_first = median_of(runs, lambda: timed_python(FIRST_OURS.format(package=PACKAGE), str(out))) * 1000
        official_first = median_of(runs, lambda: timed_python(FIRST_OFFICIAL, str(official))) * 1000
        captured = capture_session(Path(tmp) / "workspace")
        ours_rate, official_rate, timed, total = decode_rates(out, captured, runs)
    classes = sum(1 for line in (official.read_text(encoding="utf-8")).splitlines() if line.startswith("class "))
    name = f"openai-codex {OFFICIAL_VERSION} ({classes} classes)"
    return [
        Figure(f"Codex {RELEASE}: generate Python + TypeScript", both * 1000, "ms", None, False, "Python alone", python * 1000),
        Figure(f"Codex {RELEASE}: import generated models", ours_import, "ms", official_import / 3, False, name, official_import, "target: 3x faster"),
        Figure(f"Codex {RELEASE}: import models + decode a first item/completed", ours_first, "ms", None, False, name, official_first),
        Figure(
            f"Codex {RELEASE}: decode real session messages",
            ours_rate,
            "msg/s",
            None,
            True,
            name,
            official_rate,
            f"{timed} of {total} server messages decoded by both, x{REPEAT}",
        ),
    ]
