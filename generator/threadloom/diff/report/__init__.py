"""Output formats of `threadloom diff`: one module per format, each `render(report, color) -> str`."""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from threadloom.diff.findings import DiffFinding, Level
from threadloom.findings import display_path
from threadloom.model import Protocol

FORMATS = ("text", "markdown", "json", "junit", "github")
_MODULES = {"text": "text", "markdown": "markdown", "json": "jsonfmt", "junit": "junit", "github": "github"}


@dataclass(frozen=True)
class Side:
    label: str  # v1, v2, ...
    source: str  # the document, as shown to people
    path: Path | None = None  # the file on disk, when there is one (for line numbers)

    @classmethod
    def of(cls, protocol: Protocol) -> Side:
        return cls(protocol.label, display_path(protocol.source), protocol.source)


@dataclass(frozen=True)
class Report:
    old: Side
    new: Side
    findings: list[DiffFinding]
    fail_on: Level = Level.ERR
    ignored: list[tuple[DiffFinding, str]] = field(default_factory=list)
    name: str = ""  # the protocol's name

    def counts(self) -> Counter[Level]:
        return Counter(f.level for f in self.findings)

    @property
    def failed(self) -> bool:
        return any(f.level >= self.fail_on for f in self.findings)

    def summary(self) -> str:
        counts = self.counts()
        text = f"{self.old.label} -> {self.new.label}: " + ", ".join(f"{counts[level]} {level.name}" for level in sorted(Level, reverse=True))
        return text + (f" ({len(self.ignored)} ignored)" if self.ignored else "")


def render(fmt: str, report: Report, color: bool = False) -> str:
    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    text: str = module.render(report, color)
    return text
