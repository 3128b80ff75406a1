"""A Markdown changelog: breaking / possibly breaking / compatible, then by area.

A change judged for several populations or roles appears once, in the section of its most
serious verdict, with every verdict listed. A break the new version declares on purpose stays in
"Breaking changes", with its reason.
"""

from __future__ import annotations

from collections import defaultdict

from threadloom.diff.findings import Audience, Level, Role, pointer_key
from threadloom.diff.report import Change, Report

SECTIONS = ((Level.ERR, "Breaking changes"), (Level.WARN, "Possibly breaking changes"), (Level.INFO, "Compatible changes"))
NEW_TYPE_RULE = "definition-added"  # listed together per area: many, and never a wire change
SHOWN_METHODS = 4
# Within a level and area: method-table changes, then payload changes, then codegen-only ones.
ROLE_ORDER = {Role.METHOD: 0, Role.READ: 1, Role.WRITTEN: 1, Role.CODEGEN: 2}


def render(report: Report, color: bool = False) -> str:
    title = f"# {report.name + ': ' if report.name else ''}changes from {report.old.label} to {report.new.label}"
    out = [title, "", _counts(report), ""]
    changes = sorted(report.changes, key=_order)
    for level, heading in SECTIONS:
        chosen = [c for c in changes if c.level is level]
        out += [f"## {heading}", ""]
        if not chosen:
            out += ["None.", ""]
            continue
        by_area: dict[str, list[Change]] = defaultdict(list)
        for change in chosen:
            by_area[change.first.area].append(change)
        for area in sorted(by_area):
            out += [f"### Area `{area}`", ""]
            new_types = [c for c in by_area[area] if c.first.rule == NEW_TYPE_RULE]
            out += [_line(change, report) for change in by_area[area] if change.first.rule != NEW_TYPE_RULE]
            if new_types:
                names = ", ".join(f"`{c.first.new_pointer.rsplit('/', 1)[-1]}`" for c in new_types)
                out.append(f"- New types: {names} — `{NEW_TYPE_RULE}`: no wire change.")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _order(change: Change) -> tuple[object, ...]:
    first = change.first
    return (-change.level, first.area, ROLE_ORDER[first.role], pointer_key(first.new_pointer), pointer_key(first.old_pointer), first.rule)


def _counts(report: Report) -> str:
    counts = report.counts()
    text = f"{counts[Level.ERR]} breaking, {counts[Level.WARN]} possibly breaking, {counts[Level.INFO]} compatible change(s)."
    breaking_old = [c for c in report.changes if any(f.level is Level.ERR and f.audience is Audience.OLD_CLIENTS for f in c.findings)]
    if not breaking_old:
        return text + " Old clients keep working with the new server."
    declared = sum(1 for c in breaking_old if c.declared)
    why = f" ({declared} declared on purpose)" if declared else ""
    return text + f" {len(breaking_old)} change(s) break old clients{why}."


def _line(change: Change, report: Report) -> str:
    first = change.first
    verdicts = "; ".join(change.verdicts())
    via = f" Via {_methods(first.methods)}." if first.methods else ""
    declared = f" **Declared break:** {change.declared}." if change.declared else ""
    noted = "".join(f" *{note}.*" for note in change.notes)
    where = f"`{report.old.label}#{first.old_pointer}` → `{report.new.label}#{first.new_pointer}`"
    return f"- {first.message} — `{first.rule}`: {verdicts}.{declared}{via}{noted} ({where})"


def _methods(methods: tuple[str, ...]) -> str:
    shown = ", ".join(f"`{m}`" for m in methods[:SHOWN_METHODS])
    return shown + (f" and {len(methods) - SHOWN_METHODS} more" if len(methods) > SHOWN_METHODS else "")
