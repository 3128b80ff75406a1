"""The end-to-end demo the README's main job runs."""

from __future__ import annotations

import subprocess
import sys

from tests.hang import RUN_HANG_LIMIT


def test_demo_runs_and_checks_itself() -> None:
    # A whole session in one run: the limit only detects a hang.
    result = subprocess.run([sys.executable, "-m", "threadloom_server.demo"], capture_output=True, text=True, timeout=RUN_HANG_LIMIT)
    assert result.returncode == 0, result.stderr
    assert "item/commandExecution/requestApproval: run `echo hello`" in result.stdout
    assert "+Hello, file." in result.stdout and "demo OK" in result.stdout
