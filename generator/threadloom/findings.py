"""A finding: one problem found in a protocol document, located by file and JSON pointer."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class Level(enum.StrEnum):
    """How much a finding of `threadloom check` weighs.

    - `error`: the protocol is wrong (or the model made of it is): `check` exits 1. Every lint
      rule and every problem of Threadloom's own documents is an error.
    - `warning`: an adapter mapped something by guesswork or not at all (a result type nobody
      names, a release it cannot identify): printed, `check` still exits 0.
    - `info`: a fact about a vendor's schema worth knowing when writing a client (an untagged
      union): printed, `check` exits 0.
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    pointer: str
    rule: str
    message: str
    hint: str = ""
    level: Level = Level.ERROR

    @property
    def fails(self) -> bool:
        return self.level is Level.ERROR

    def render(self) -> str:
        level = "" if self.fails else f"{self.level}: "
        text = f"{self.file}#{self.pointer} [{self.rule}] {level}{self.message}"
        return f"{text}\n    fix: {self.hint}" if self.hint else text

    def as_json(self) -> dict[str, str]:
        return {"file": self.file, "pointer": self.pointer, "rule": self.rule, "level": self.level.value, "message": self.message, "hint": self.hint}


def display_path(path: Path) -> str:
    """Paths relative to the working directory when possible: shorter and stable in tests."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
