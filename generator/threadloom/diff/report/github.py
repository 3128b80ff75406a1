"""GitHub Actions workflow commands: `::error file=...,line=...,title=...::message`, one per change."""

from __future__ import annotations

from pathlib import Path

from threadloom.diff.findings import DiffFinding, Level
from threadloom.diff.report import Change, Report, Side
from threadloom.diff.report.lines import pointer_lines


def render(report: Report, color: bool) -> str:
    new_lines = _lines(report.new.path)
    old_lines = _lines(report.old.path)
    return "".join(annotation(report, change, new_lines, old_lines) + "\n" for change in report.changes)


def annotation(report: Report, change: Change, new_lines: dict[str, int], old_lines: dict[str, int]) -> str:
    """One workflow command per change, at the line of the changed member."""
    first = change.first
    side, lines, pointer = _location(report, first, new_lines, old_lines)
    properties = [f"file={escape_property(side.source)}"]
    line = _nearest_line(lines, pointer)
    if line:
        properties.append(f"line={line}")
    title = f"{first.rule}" + (" (declared break)" if change.declared else "")
    properties.append(f"title={escape_property(title)}")
    text = [first.message, "; ".join(change.verdicts())]
    if change.declared:
        text.append(f"declared in x-protocol.breaks: {change.declared}")
    if first.methods:
        text.append(f"via {', '.join(first.methods)}")
    return f"::{command(report, change)} {','.join(properties)}::{escape_data(chr(10).join(text))}"


def command(report: Report, change: Change) -> str:
    """`error` for what fails the run; a declared break that is allowed is a `warning`."""
    if report.change_fails(change):
        return "error"
    return "warning" if change.level >= Level.WARN else "notice"


def _location(report: Report, finding: DiffFinding, new_lines: dict[str, int], old_lines: dict[str, int]) -> tuple[Side, dict[str, int], str]:
    """Point at the new document, unless the finding is about something only the old one has."""
    if finding.new_pointer in new_lines or finding.old_pointer not in old_lines:
        return report.new, new_lines, finding.new_pointer
    return report.old, old_lines, finding.old_pointer


def line_of(path: Path, pointer: str) -> int | None:
    """The line of a JSON pointer in a file, or of its nearest parent that is there."""
    return _nearest_line(_lines(path), pointer)


def _lines(path: Path | None) -> dict[str, int]:
    if path is None or not path.is_file():
        return {}
    try:
        return pointer_lines(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _nearest_line(lines: dict[str, int], pointer: str) -> int | None:
    while True:
        if pointer in lines:
            return lines[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
