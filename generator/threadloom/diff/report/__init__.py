"""Output formats of `threadloom diff`: one module per format, each `render(report, color) -> str`.

The engine gives one finding per change, population (audience) and role; every format shows a
change once (`Change`), with each of its verdicts.
"""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from threadloom.diff.findings import DiffFinding, Level, Role, pointer_key
from threadloom.findings import display_path
from threadloom.model import Protocol

FORMATS = ("text", "markdown", "json", "junit", "github")
_MODULES = {"text": "text", "markdown": "markdown", "json": "jsonfmt", "junit": "junit", "github": "github"}
ROLE_TEXT = {Role.READ: "read by the server", Role.WRITTEN: "written by the server", Role.METHOD: "method table", Role.CODEGEN: "no wire change"}


def side_label(protocol: Protocol) -> str:
    """`v2` for a numbered version; a release's own name (`0.169.0`) when it has one."""
    if protocol.release and protocol.release != str(protocol.version):
        return protocol.release
    return protocol.label


@dataclass(frozen=True)
class Side:
    label: str  # v1, v2, 0.169.0, v2@main ...
    source: str  # the document, as shown to people
    path: Path | None = None  # the file on disk, when there is one (for line numbers)

    @classmethod
    def of(cls, protocol: Protocol, label: str | None = None, source: str | None = None) -> Side:
        return cls(label or side_label(protocol), source or display_path(protocol.source), protocol.source)


@dataclass(frozen=True)
class Change:
    """One change, with a verdict (a finding) per population and role it concerns."""

    findings: tuple[DiffFinding, ...]  # most serious first

    @property
    def first(self) -> DiffFinding:
        return self.findings[0]

    @property
    def level(self) -> Level:
        return self.first.level

    @property
    def declared(self) -> str:
        """The declared reason, when the new version declares this break on purpose."""
        return next((f.declared for f in self.findings if f.declared), "")

    @property
    def notes(self) -> list[str]:
        return sorted({note for f in self.findings for note in f.notes})

    def verdicts(self) -> list[str]:
        """`old clients: ERR (written by the server)`, one per finding."""
        return [verdict(f) for f in self.findings]


def verdict(finding: DiffFinding) -> str:
    if finding.role is Role.CODEGEN:
        return "no wire change (generated code or documentation)"
    who = str(finding.audience).replace("-", " ")
    role = f" ({ROLE_TEXT[finding.role]})" if finding.role in (Role.READ, Role.WRITTEN) else ""
    return f"{who} {finding.level.name}{role}"


def group_changes(findings: list[DiffFinding]) -> list[Change]:
    """Findings of the same change (rule, pointers, message) become one `Change`, most serious first."""
    grouped: dict[tuple[str, str, str, str], list[DiffFinding]] = {}
    for finding in findings:
        grouped.setdefault((finding.rule, finding.old_pointer, finding.new_pointer, finding.message), []).append(finding)
    changes = [Change(tuple(sorted(group, key=lambda f: (-f.level, f.audience, f.role)))) for group in grouped.values()]
    return sorted(changes, key=lambda c: (-c.level, c.first.area, pointer_key(c.first.new_pointer), pointer_key(c.first.old_pointer), c.first.rule))


@dataclass(frozen=True)
class Report:
    old: Side
    new: Side
    findings: list[DiffFinding]
    fail_on: Level = Level.ERR
    ignored: list[tuple[DiffFinding, str]] = field(default_factory=list)
    name: str = ""  # the protocol's name
    allow_declared: bool = False  # declared breaks (x-protocol.breaks) do not fail the run

    @cached_property
    def changes(self) -> list[Change]:
        return group_changes(self.findings)

    def fails(self, finding: DiffFinding) -> bool:
        return finding.level >= self.fail_on and not (self.allow_declared and finding.declared)

    def change_fails(self, change: Change) -> bool:
        return any(self.fails(f) for f in change.findings)

    def counts(self) -> Counter[Level]:
        """Changes per most serious level (a change counts once, whatever its populations)."""
        return Counter(c.level for c in self.changes)

    def declared_count(self) -> int:
        return sum(1 for c in self.changes if c.declared)

    @property
    def failed(self) -> bool:
        return any(self.fails(f) for f in self.findings)

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{counts[level]} {level.name}" for level in sorted(Level, reverse=True)]
        text = f"{self.old.label} -> {self.new.label}: {len(self.changes)} change(s): " + ", ".join(parts)
        declared = self.declared_count()
        text += f"; {declared} declared on purpose" if declared else ""
        return text + (f" ({len(self.ignored)} ignored)" if self.ignored else "")


def render(fmt: str, report: Report, color: bool = False) -> str:
    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    text: str = module.render(report, color)
    return text
