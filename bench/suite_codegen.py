"""Generated bindings: import time of one version, full generation, no-op regeneration."""

from __future__ import annotations

import subprocess

from bench.harness import BIN, ROOT, Figure, median_of, seconds

IMPORT_SNIPPET = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str) -> float:
    out = subprocess.run([str(BIN / "python"), "-c", IMPORT_SNIPPET.format(module=module)], capture_output=True, text=True, check=True, cwd=ROOT)
    return float(out.stdout)


def run_generate(*args: str) -> None:
    subprocess.run([str(BIN / "threadloom"), "generate", *args], capture_output=True, check=True, cwd=ROOT)


def run(runs: int) -> list[Figure]:
    pydantic = median_of(runs, lambda: import_seconds("pydantic")) * 1000
    models = median_of(runs, lambda: import_seconds("threadloom_protocol.v2.models")) * 1000
    full = median_of(runs, lambda: import_seconds("threadloom_protocol.v2.client, threadloom_protocol.v2.server")) * 1000
    # Every target really runs (--no-cache); the no-op figure is the everyday `--check` with nothing
    # changed, where the cache of input fingerprints lets targets skip their work.
    regenerate = median_of(max(3, runs // 2), lambda: seconds(lambda: run_generate("--no-cache"))) * 1000
    check = median_of(max(3, runs // 2), lambda: seconds(lambda: run_generate("--check"))) * 1000
    return [
        Figure("import v2 models", models, "ms", 100, False, "import pydantic", pydantic),
        Figure("import v2 client + server", full, "ms", None, False, "import pydantic", pydantic),
        Figure("threadloom generate (all targets, all versions)", regenerate, "ms", 3000, False),
        Figure("threadloom generate --check (no-op)", check, "ms", 500, False),
    ]
