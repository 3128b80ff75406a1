"""JUnit XML for CI dashboards: one test case per change (unique names), failed when it reaches
--fail-on (a declared break too, unless --allow-declared)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from threadloom.diff.report import Change, Report


def render(report: Report, color: bool) -> str:
    failures = [c for c in report.changes if report.change_fails(c)]
    total = str(max(1, len(report.changes)))
    suites = ET.Element("testsuites", name="threadloom diff", tests=total, failures=str(len(failures)))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"threadloom diff {report.old.label} -> {report.new.label}",
        tests=total,
        failures=str(len(failures)),
        errors="0",
        skipped="0",
    )
    if not report.changes:
        ET.SubElement(suite, "testcase", classname="threadloom.diff", name="no changes")
    for change, name in zip(report.changes, case_names(report.changes), strict=True):
        case = ET.SubElement(suite, "testcase", classname=f"threadloom.diff.{change.first.area}", name=name)
        details = _details(change, report)
        if change in failures:
            failure = ET.SubElement(case, "failure", message=change.first.message, type=change.level.name)
            failure.text = details
        else:
            out = ET.SubElement(case, "system-out")
            out.text = f"{change.level.name}: {change.first.message}\n{details}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def case_names(changes: list[Change]) -> list[str]:
    """`rule pointer`, named by where the change is; a repeated name gets ` (2)`, ` (3)`, ..."""
    seen: dict[str, int] = {}
    names = []
    for change in changes:
        base = f"{change.first.rule} {change.first.subject_pointer}"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return names


def _details(change: Change, report: Report) -> str:
    first = change.first
    lines = [f"verdict: {text} [{f.fingerprint}]" for text, f in zip(change.verdicts(), change.findings, strict=True)]
    if change.declared:
        lines.append(f"declared break (x-protocol.breaks): {change.declared}")
    lines += [
        f"via: {', '.join(first.methods) or '-'}",
        f"old: {report.old.source}#{first.old_pointer}",
        f"new: {report.new.source}#{first.new_pointer}",
        *change.notes,
    ]
    return "\n".join(lines)
