from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from threadloom_conformance.replay import Failure, Result
from threadloom_conformance.report import render

FAILURE = Failure("match", 12, "$.params.delta", "Howdy", "Hello", "value differs")
RESULTS = [
    Result(Path("t/v1/a.jsonl"), "ok", 1, [], 0.5, 3, 4),
    Result(
        Path("t/v1/b.jsonl"), "bad <&> scenario", 1, [FAILURE, Failure("timeout", 20, None, {"method": "x"}, None, "nothing arrived")], 1.25, 2, 2, "stderr"
    ),
]


def test_text_names_file_line_path_expected_actual() -> None:
    text = render(RESULTS, "text")
    assert "PASS t/v1/a.jsonl" in text and "FAIL t/v1/b.jsonl" in text
    assert 't/v1/b.jsonl:12: [match] $.params.delta: value differs\n      expected: "Howdy"\n      actual:   "Hello"' in text
    assert "t/v1/b.jsonl:20: [timeout] nothing arrived" in text
    assert text.endswith("2 transcript(s): 1 passed, 1 failed\n")


def test_json_report() -> None:
    document = json.loads(render(RESULTS, "json"))
    assert document["summary"] == {"transcripts": 2, "passed": 1, "failed": 1}
    failure = document["transcripts"][1]["failures"][0]
    assert failure == {
        "check": "match",
        "file": "t/v1/b.jsonl",
        "line": 12,
        "path": "$.params.delta",
        "expected": "Howdy",
        "actual": "Hello",
        "message": "value differs",
    }


def test_junit_report_is_valid_xml() -> None:
    root = ET.fromstring(render(RESULTS, "junit"))
    assert root.tag == "testsuites" and root.get("tests") == "2" and root.get("failures") == "1"
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["t/v1/a.jsonl", "t/v1/b.jsonl"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("type") == "match"
    assert failure.get("message") == "2 failure(s); first: line 12 $.params.delta: value differs"
    assert "t/v1/b.jsonl:20: [timeout]" in (failure.text or "")
    assert cases[1].findtext("system-err") == "stderr"


def test_github_annotations_escape_what_workflow_commands_reserve() -> None:
    odd = Result(Path("t/v1/a,b:c.jsonl"), "odd", 1, [Failure("match", 7, "$.x", "50%", "a\nb", "100% off\r\nnext")])
    lines = render([odd, RESULTS[0]], "github").splitlines()
    assert lines[0].startswith("::error file=t/v1/a%2Cb%3Ac.jsonl,line=7,title=replay [match] $.x::100%25 off%0D%0Anext%0A    expected: ")
    assert "\n" not in lines[0] and lines[-1] == "2 transcript(s): 1 passed, 1 failed"


def test_expected_failures_are_notes_not_failures() -> None:
    excused = Result(Path("t/v1/c.jsonl"), "marked", 1, [], expected=[FAILURE], notes=["expected break from 2 on: `property-removed`"])
    assert "  note: expected break from 2 on" in render([excused], "text")
    assert (
        render([excused], "github").splitlines()[0]
        == "::notice file=t/v1/c.jsonl,line=1,title=replay%3A expected break::expected break from 2 on: `property-removed`"
    )
    document = json.loads(render([excused], "json"))["transcripts"][0]
    assert document["passed"] and document["failures"] == [] and document["expectedFailures"][0]["path"] == "$.params.delta"
    case = ET.fromstring(render([excused], "junit")).find("./testsuite/testcase")
    assert case is not None and case.find("failure") is None and "expected break" in (case.findtext("system-out") or "")
