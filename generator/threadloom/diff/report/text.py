"""Human text: one block per change, most serious first; coloured only when asked (a terminal)."""

from __future__ import annotations

import click

from threadloom.diff.findings import Level
from threadloom.diff.report import Change, Report

COLOURS = {Level.ERR: "red", Level.WARN: "yellow", Level.INFO: "cyan"}
INDENT = "     "


def render(report: Report, color: bool) -> str:
    blocks = [_change(c, color) for c in report.changes]
    summary = report.summary()
    if color:
        summary = click.style(summary, fg="red" if report.failed else "green", bold=True)
    return "\n".join([*blocks, summary]) + "\n"


def _change(change: Change, color: bool) -> str:
    first = change.first
    level = f"{change.level.name:<4}"
    if color:
        level = click.style(level, fg=COLOURS[change.level], bold=change.level is Level.ERR)
    lines = [f"{level} {first.rule}: {first.message}"]
    lines.append(INDENT + " · ".join(f"{text} [{f.fingerprint}]" for text, f in zip(change.verdicts(), change.findings, strict=True)))
    if change.declared:
        lines.append(f"{INDENT}declared break (x-protocol.breaks): {change.declared}")
    where = [f"old #{first.old_pointer}", f"new #{first.new_pointer}"]
    if first.methods:
        where.insert(0, "via " + ", ".join(first.methods))
    detail = INDENT + " · ".join(where)
    lines.append(click.style(detail, dim=True) if color else detail)
    lines += [f"{INDENT}note: {note}" for note in change.notes]
    return "\n".join(lines)
