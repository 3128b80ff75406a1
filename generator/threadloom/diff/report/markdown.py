"""A Markdown changelog: breaking / possibly breaking / compatible, then by area.

A change judged for several populations or roles appears once, in the section of its most
serious verdict, with every verdict listed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from threadloom.diff.findings import DiffFinding, Level, pointer_key
from threadloom.diff.report import Report

SECTIONS = ((Level.ERR, "Breaking changes"), (Level.WARN, "Possibly breaking changes"), (Level.INFO, "Compatible changes"))
AUDIENCE_TEXT = {"old-clients": "old clients", "new-clients": "new clients"}
NEW_TYPE_RULE = "definition-added"  # listed together per area: many, and never a wire change
SHOWN_METHODS = 4
# Within a level and area: method-table changes, then payload changes, then codegen-only ones.
ROLE_ORDER = {"method": 0, "read": 1, "written": 1, "codegen": 2}


@dataclass
class Entry:
    findings: list[DiffFinding]

    @property
    def first(self) -> DiffFinding:
        return self.findings[0]

    @property
    def level(self) -> Level:
        return max(f.level for f in self.findings)


def render(report: Report, color: bool = False) -> str:
    title = f"# {report.name + ': ' if report.name else ''}changes from {report.old.label} to {report.new.label}"
    out = [title, "", _counts(report), ""]
    entries = _entries(report.findings)
    for level, heading in SECTIONS:
        chosen = [e for e in entries if e.level is level]
        out += [f"## {heading}", ""]
        if not chosen:
            out += ["None.", ""]
            continue
        by_area: dict[str, list[Entry]] = defaultdict(list)
        for entry in chosen:
            by_area[entry.first.area].append(entry)
        for area in sorted(by_area):
            out += [f"### Area `{area}`", ""]
            new_types = [e for e in by_area[area] if e.first.rule == NEW_TYPE_RULE]
            out += [_line(entry, report) for entry in by_area[area] if entry.first.rule != NEW_TYPE_RULE]
            if new_types:
                names = ", ".join(f"`{e.first.new_pointer.rsplit('/', 1)[-1]}`" for e in new_types)
                out.append(f"- New types: {names} — `{NEW_TYPE_RULE}`: no wire change.")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _counts(report: Report) -> str:
    entries = _entries(report.findings)
    per_level = {level: sum(1 for e in entries if e.level is level) for level in Level}
    text = f"{per_level[Level.ERR]} breaking, {per_level[Level.WARN]} possibly breaking, {per_level[Level.INFO]} compatible change(s)."
    old_breaks = sum(1 for f in report.findings if f.level is Level.ERR and f.audience == "old-clients")
    return text + (" Old clients keep working with the new server." if not old_breaks else f" {old_breaks} finding(s) break old clients.")


def _entries(findings: list[DiffFinding]) -> list[Entry]:
    grouped: dict[tuple[str, str, str, str], list[DiffFinding]] = {}
    for finding in findings:
        grouped.setdefault((finding.rule, finding.old_pointer, finding.new_pointer, finding.message), []).append(finding)
    entries = [Entry(sorted(group, key=lambda f: (-f.level, f.audience, f.role))) for group in grouped.values()]
    return sorted(
        entries,
        key=lambda e: (-e.level, e.first.area, ROLE_ORDER[str(e.first.role)], pointer_key(e.first.new_pointer), pointer_key(e.first.old_pointer), e.first.rule),
    )


def _line(entry: Entry, report: Report) -> str:
    first = entry.first
    verdicts = "; ".join(_verdict(f) for f in entry.findings)
    via = f" Via {_methods(first.methods)}." if first.methods else ""
    notes = sorted({n for f in entry.findings for n in f.notes})
    noted = "".join(f" *{note}.*" for note in notes)
    where = f"`{report.old.label}#{first.old_pointer}` → `{report.new.label}#{first.new_pointer}`"
    return f"- {first.message} — `{first.rule}`: {verdicts}.{via}{noted} ({where})"


def _methods(methods: tuple[str, ...]) -> str:
    shown = ", ".join(f"`{m}`" for m in methods[:SHOWN_METHODS])
    return shown + (f" and {len(methods) - SHOWN_METHODS} more" if len(methods) > SHOWN_METHODS else "")


def _verdict(finding: DiffFinding) -> str:
    if finding.role == "codegen":
        return "no wire change (generated code or documentation)"
    role = {"read": " (read by the server)", "written": " (written by the server)"}.get(str(finding.role), "")
    return f"{AUDIENCE_TEXT[str(finding.audience)]} {finding.level.name}{role}"
