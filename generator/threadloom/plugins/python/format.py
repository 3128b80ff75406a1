"""Normalise generated Python with ruff: sorted imports, then ruff format.

ruff runs in isolation with the settings below, so the output does not depend on where it is
written (this repository, or a user's project with its own ruff configuration) and is
byte-for-byte deterministic for `generate --check`. They match the repository's own settings, so
the committed bindings pass `ruff check` and `ruff format --check` too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from threadloom.errors import InputError

SETTINGS = ("line-length = 160", "target-version = 'py311'", "lint.isort.known-first-party = ['threadloom_runtime']")


def _ruff() -> str:
    beside_python = Path(sys.executable).parent / "ruff"
    found = str(beside_python) if beside_python.is_file() else shutil.which("ruff")
    if not found:
        raise InputError("threadloom generate python", "ruff is needed to format generated Python", hint="pip install ruff")
    return found


def ruff_normalise(text: str, relative: str) -> str:
    ruff = _ruff()
    settings = [option for setting in SETTINGS for option in ("--config", setting)]
    steps = (
        [ruff, "check", "--isolated", *settings, "--fix-only", "--exit-zero", "--quiet", "--select", "I,F401,UP", "--stdin-filename", relative, "-"],
        [ruff, "format", "--isolated", *settings, "--quiet", "--stdin-filename", relative, "-"],
    )
    for command in steps:
        done = subprocess.run(command, input=text, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reason = done.stderr.strip()[:400] or _syntax_error(text, relative)  # --quiet keeps ruff's own reason to itself
            hint = "a name in the protocol may not be usable in Python: please report it"
            raise InputError(relative, f"ruff could not process generated code: {reason}", hint=hint)
        text = done.stdout
    return text


def _syntax_error(text: str, relative: str) -> str:
    try:
        compile(text, relative, "exec")
    except SyntaxError as error:
        return f"line {error.lineno}: {error.msg}: {(error.text or '').strip()}"
    return "no reason given"
