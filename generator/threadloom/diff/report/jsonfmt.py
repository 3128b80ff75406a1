"""Machine-readable JSON: the two sides, counts, every change once with its verdicts, and the flat
list of findings (one per change, population and role; what ignore files and `--level` act on)."""

from __future__ import annotations

from threadloom.diff.findings import Level
from threadloom.diff.report import Change, Report
from threadloom.jsonio import dumps_stable


def render(report: Report, color: bool) -> str:
    counts = report.counts()
    return dumps_stable(
        {
            "old": {"version": report.old.label, "source": report.old.source},
            "new": {"version": report.new.label, "source": report.new.source},
            "failOn": report.fail_on.name,
            "allowDeclared": report.allow_declared,
            "failed": report.failed,
            "summary": {**{level.name: counts[level] for level in sorted(Level, reverse=True)}, "declared": report.declared_count()},
            "changes": [_change(c, report) for c in report.changes],
            "findings": [f.as_json() for f in report.findings],
            "ignored": [{**f.as_json(), "reason": reason} for f, reason in report.ignored],
        }
    )


def _change(change: Change, report: Report) -> dict[str, object]:
    first = change.first
    return {
        "rule": first.rule,
        "level": change.level.name,
        "message": first.message,
        "declared": change.declared or None,
        "failed": report.change_fails(change),
        "methods": list(first.methods),
        "area": first.area,
        "oldPointer": first.old_pointer,
        "newPointer": first.new_pointer,
        "verdicts": [
            {"audience": str(f.audience), "role": str(f.role), "level": f.level.name, "fingerprint": f.fingerprint, "notes": list(f.notes)}
            for f in change.findings
        ],
    }
