"""Normalise generated Python with the project's pinned ruff: sorted imports, then ruff format."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from threadloom.errors import InputError


def _ruff() -> str:
    beside_python = Path(sys.executable).parent / "ruff"
    found = str(beside_python) if beside_python.is_file() else shutil.which("ruff")
    if not found:
        raise InputError("threadloom generate python", "ruff is needed to format generated Python", hint="pip install -e '.[dev]'")
    return found


def ruff_normalise(text: str, relative: str, root: Path) -> str:
    ruff = _ruff()
    steps = (
        [ruff, "check", "--fix-only", "--exit-zero", "--quiet", "--select", "I,F401,UP", "--stdin-filename", relative, "-"],
        [ruff, "format", "--quiet", "--stdin-filename", relative, "-"],
    )
    for command in steps:
        done = subprocess.run(command, input=text, capture_output=True, text=True, cwd=root, check=False)
        if done.returncode != 0:
            raise InputError(relative, f"ruff could not process generated code: {done.stderr.strip()[:400]}")
        text = done.stdout
    return text
