"""Replay results for people (text) and machines (JSON, JUnit XML, GitHub workflow commands).

Every failure names the transcript file and line, the JSON path inside the message, the expected
and the actual value, and which check failed (schema, match, undeclared, order, unexpected,
timeout, crash, transport, expected-break). Failures an expected break accounts for are listed as
notes, never as failures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET

from threadloom_conformance.replay import Failure, Result

FORMATS = ("text", "json", "junit", "github")
# Formats whose report ends with the `summary` line; the others (JSON, JUnit XML) stay pure data.
SUMMARISED = frozenset({"text", "github"})
MAX_VALUE = 400


def summary(results: Sequence[Result]) -> str:
    """`3 transcript(s): 2 passed, 1 failed`, the one summary line of every output."""
    failed = sum(1 for r in results if not r.passed)
    return f"{len(results)} transcript(s): {len(results) - failed} passed, {failed} failed"


def render(results: Sequence[Result], fmt: str) -> str:
    if fmt == "json":
        return to_json(results)
    if fmt == "junit":
        return to_junit(results)
    if fmt == "github":
        return to_github(results)
    return to_text(results)


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "…"


def failure_text(result: Result, failure: Failure) -> str:
    where = f"{result.transcript}:{failure.line}" if failure.line else str(result.transcript)
    location = f" {failure.path}:" if failure.path else ""
    return "\n".join([f"{where}: [{failure.check}]{location} {failure.message}", *_values(failure)])


def _values(failure: Failure) -> list[str]:
    lines = []
    if failure.expected is not None:
        lines.append(f"    expected: {_value(failure.expected)}")
    if failure.actual is not None or failure.check == "match":
        lines.append(f"    actual:   {_value(failure.actual)}")
    return lines


def to_text(results: Sequence[Result]) -> str:
    out = []
    for result in results:
        status = "PASS" if result.passed else "FAIL"
        out.append(f"{status} {result.transcript} (v{result.version}: {result.scenario}) {result.duration:.2f}s")
        out += ["  " + failure_text(result, f).replace("\n", "\n  ") for f in result.failures]
        out += [f"  note: {note}" for note in result.notes]
    out.append(summary(results))
    return "\n".join(out) + "\n"


def failure_dict(result: Result, failure: Failure) -> dict[str, Any]:
    return {
        "check": failure.check,
        "file": str(result.transcript),
        "line": failure.line,
        "path": failure.path,
        "expected": failure.expected,
        "actual": failure.actual,
        "message": failure.message,
    }


def to_json(results: Sequence[Result]) -> str:
    document = {
        "summary": {"transcripts": len(results), "passed": sum(1 for r in results if r.passed), "failed": sum(1 for r in results if not r.passed)},
        "transcripts": [
            {
                "file": str(r.transcript),
                "scenario": r.scenario,
                "protocolVersion": r.version,
                "passed": r.passed,
                "durationSeconds": round(r.duration, 3),
                "sent": r.sent,
                "received": r.received,
                "failures": [failure_dict(r, f) for f in r.failures],
                "expectedFailures": [failure_dict(r, f) for f in r.expected],
                "notes": r.notes,
            }
            for r in results
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def to_junit(results: Sequence[Result]) -> str:
    failed = sum(1 for r in results if not r.passed)
    total_time = sum(r.duration for r in results)
    suites = ET.Element("testsuites", name="threadloom-conformance", tests=str(len(results)), failures=str(failed), time=f"{total_time:.3f}")
    suite = ET.SubElement(suites, "testsuite", name="replay", tests=str(len(results)), failures=str(failed), errors="0", time=f"{total_time:.3f}")
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=f"v{result.version}", name=str(result.transcript), time=f"{result.duration:.3f}")
        if result.failures:
            first = result.failures[0]
            summary = f"{len(result.failures)} failure(s); first: line {first.line} {first.path or ''}: {first.message}"
            element = ET.SubElement(case, "failure", message=summary, type=first.check)
            element.text = "\n".join(failure_text(result, f) for f in result.failures)
        if result.notes:
            ET.SubElement(case, "system-out").text = "\n".join(result.notes)
        if result.stderr:
            ET.SubElement(case, "system-err").text = result.stderr
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def to_github(results: Sequence[Result]) -> str:
    """GitHub Actions workflow commands: one `::error` annotation per failure at its transcript line,
    one `::notice` per expected break, then a summary line."""
    out = []
    for result in results:
        for failure in result.failures:
            title = f"replay [{failure.check}]" + (f" {failure.path}" if failure.path else "")
            detail = "\n".join([failure.message, *_values(failure)])
            out.append(_command("error", result, failure.line, title, detail))
        out += [_command("notice", result, 1, "replay: expected break", note) for note in result.notes]
    out.append(summary(results))
    return "\n".join(out) + "\n"


def _command(kind: str, result: Result, line: int | None, title: str, message: str) -> str:
    properties = f"file={_escape_property(str(result.transcript))}"
    if line:
        properties += f",line={line}"
    return f"::{kind} {properties},title={_escape_property(title)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
