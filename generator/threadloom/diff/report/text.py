"""Human text: one block per finding, most serious first; coloured only when asked (a terminal)."""

from __future__ import annotations

import click

from threadloom.diff.findings import DiffFinding, Level
from threadloom.diff.report import Report

COLOURS = {Level.ERR: "red", Level.WARN: "yellow", Level.INFO: "cyan"}


def render(report: Report, color: bool) -> str:
    lines = [_finding(f, color) for f in report.findings]
    summary = report.summary()
    if color:
        summary = click.style(summary, fg="red" if report.failed else "green", bold=True)
    return "\n".join([*lines, summary]) + "\n"


def _finding(finding: DiffFinding, color: bool) -> str:
    level = f"{finding.level.name:<4}"
    if color:
        level = click.style(level, fg=COLOURS[finding.level], bold=finding.level is Level.ERR)
    head = f"{level} {finding.audience:<11} {finding.rule}: {finding.message}"
    where = [f"old #{finding.old_pointer}", f"new #{finding.new_pointer}", f"fingerprint {finding.fingerprint}"]
    if finding.methods:
        where.insert(0, "via " + ", ".join(finding.methods))
    detail = "     " + " · ".join(where)
    notes = [f"     note: {note}" for note in finding.notes]
    return "\n".join([head, click.style(detail, dim=True) if color else detail, *notes])
