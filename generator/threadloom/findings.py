"""A finding: one problem found in a protocol document, located by file and JSON pointer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    pointer: str
    rule: str
    message: str
    hint: str = ""

    def render(self) -> str:
        text = f"{self.file}#{self.pointer} [{self.rule}] {self.message}"
        return f"{text}\n    fix: {self.hint}" if self.hint else text

    def as_json(self) -> dict[str, str]:
        return {"file": self.file, "pointer": self.pointer, "rule": self.rule, "message": self.message, "hint": self.hint}


def display_path(path: Path) -> str:
    """Paths relative to the working directory when possible: shorter and stable in tests."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
