"""The client example of bindings/python/README.md runs as written against the reference server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.hang import RUN_HANG_LIMIT
from tests.python_bindings.support import ROOT


def _example(readme: Path, heading: str) -> str:
    section = readme.read_text(encoding="utf-8").split(heading, 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_client_example_runs_against_the_reference_server(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(_example(ROOT / "bindings" / "python" / "README.md", "## Writing a client"), encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    # The timeout only detects a hang; the example's own server runs in tmp_path (its workspace).
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_HANG_LIMIT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "$ echo hello" in done.stdout
    assert "Done." in done.stdout
    assert done.stdout.rstrip().endswith("turn completed")
