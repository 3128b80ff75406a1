"""The pre-commit hooks (.pre-commit-hooks.yaml) run as pre-commit runs them: `entry` split like a
shell command, the hook's `args` appended, no file names (pass_filenames: false), in the repository
root. Each is exercised on a passing and a failing project."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML comes with datamodel-code-generator; no stubs installed

from tests.diff.helpers import fixture
from tests.diff.regression_builder import REGRESSIONS_DIR

ROOT = Path(__file__).resolve().parents[2]
HOOK_TIMEOUT = 600  # detects a hang only


def hooks() -> dict[str, dict[str, Any]]:
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in manifest}


def run_hook(hook_id: str, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    hook = hooks()[hook_id]
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]), "NO_COLOR": "1"}
    command = [*shlex.split(hook["entry"]), *hook.get("args", []), *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=HOOK_TIMEOUT, check=False)


def project_with(tmp_path: Path, *documents: Path) -> Path:
    for index, document in enumerate(documents, start=1):
        target = tmp_path / "protocol" / f"v{index}" / "protocol.json"
        target.parent.mkdir(parents=True)
        shutil.copy(document, target)
    return tmp_path


def test_manifest_declares_both_hooks_for_whole_project_runs() -> None:
    found = hooks()
    assert sorted(found) == ["threadloom-check", "threadloom-generate-check"]
    for hook in found.values():
        assert {"id", "name", "entry", "language"} <= hook.keys()
        assert hook["pass_filenames"] is False  # the commands work on the whole protocol folder
    assert re.search(found["threadloom-check"]["files"], "protocol/v2/protocol.json")


def test_check_hook_passes_a_good_protocol_and_fails_a_bad_one(tmp_path: Path) -> None:
    good = project_with(tmp_path / "good", fixture("type-changed", "previous"))
    assert run_hook("threadloom-check", good).returncode == 0
    bad = project_with(tmp_path / "bad", *(REGRESSIONS_DIR / "unmarked-addition" / side / "protocol.json" for side in ("previous", "current")))
    done = run_hook("threadloom-check", bad)
    assert done.returncode == 1
    assert "[additions-marked]" in done.stdout


def test_generate_check_hook_notices_a_stale_file(tmp_path: Path) -> None:
    project = project_with(tmp_path, fixture("type-changed", "previous"))
    config = {"protocol": "protocol", "targets": [{"target": "docs", "out": "."}]}
    (project / "threadloom.gen.json").write_text(json.dumps(config), encoding="utf-8")
    subprocess.run([str(Path(sys.executable).parent / "threadloom"), "generate", "docs"], cwd=project, capture_output=True, check=True, timeout=HOOK_TIMEOUT)
    assert run_hook("threadloom-generate-check", project, "docs").returncode == 0
    document = project / "protocol" / "v1" / "protocol.json"
    data = json.loads(document.read_text(encoding="utf-8"))
    data["$defs"]["PingParams"]["description"] = "Params of `ping`, reworded."
    document.write_text(json.dumps(data, indent=2), encoding="utf-8")
    done = run_hook("threadloom-generate-check", project, "docs")
    assert done.returncode == 1
    assert "stale: docs/reference/v1.md" in done.stdout


@pytest.mark.parametrize(("hook_id", "message"), [("threadloom-check", "protocol"), ("threadloom-generate-check", "no generate config here")])
def test_hooks_fail_with_exit_2_outside_a_project(tmp_path: Path, hook_id: str, message: str) -> None:
    done = run_hook(hook_id, tmp_path)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
