"""JUnit XML for CI dashboards: one test case per finding, failed when it reaches --fail-on."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from threadloom.diff.report import Report


def render(report: Report, color: bool) -> str:
    failures = [f for f in report.findings if f.level >= report.fail_on]
    suites = ET.Element("testsuites", name="threadloom diff", tests=str(max(1, len(report.findings))), failures=str(len(failures)))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"threadloom diff {report.old.label} -> {report.new.label}",
        tests=str(max(1, len(report.findings))),
        failures=str(len(failures)),
        errors="0",
        skipped="0",
    )
    if not report.findings:
        ET.SubElement(suite, "testcase", classname="threadloom.diff", name="no changes")
    for finding in report.findings:
        case = ET.SubElement(suite, "testcase", classname=f"threadloom.diff.{finding.audience}", name=f"{finding.rule} {finding.new_pointer}")
        if finding.level >= report.fail_on:
            failure = ET.SubElement(case, "failure", message=finding.message, type=finding.level.name)
            failure.text = "\n".join(
                [
                    f"breaks: {finding.audience}",
                    f"via: {', '.join(finding.methods) or '-'}",
                    f"old: {report.old.source}#{finding.old_pointer}",
                    f"new: {report.new.source}#{finding.new_pointer}",
                    f"fingerprint: {finding.fingerprint}",
                    *finding.notes,
                ]
            )
        else:
            out = ET.SubElement(case, "system-out")
            out.text = f"{finding.level.name}: {finding.message}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
