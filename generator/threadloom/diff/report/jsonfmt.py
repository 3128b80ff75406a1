"""Machine-readable JSON: the two sides, counts, and every finding (stable key order)."""

from __future__ import annotations

from threadloom.diff.findings import Level
from threadloom.diff.report import Report
from threadloom.jsonio import dumps_stable


def render(report: Report, color: bool) -> str:
    counts = report.counts()
    return dumps_stable(
        {
            "old": {"version": report.old.label, "source": report.old.source},
            "new": {"version": report.new.label, "source": report.new.source},
            "failOn": report.fail_on.name,
            "failed": report.failed,
            "summary": {level.name: counts[level] for level in sorted(Level, reverse=True)},
            "findings": [f.as_json() for f in report.findings],
            "ignored": [{**f.as_json(), "reason": reason} for f, reason in report.ignored],
        }
    )
