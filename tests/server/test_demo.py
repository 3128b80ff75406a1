"""The end-to-end demo the README's main job runs."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_and_checks_itself() -> None:
    result = subprocess.run([sys.executable, "-m", "threadloom_server.demo"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "item/commandExecution/requestApproval: run `echo hello`" in result.stdout
    assert "+Hello, file." in result.stdout and "demo OK" in result.stdout
