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
