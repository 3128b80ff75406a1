"""The deliberately broken server variants: each one must fail with a precise report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conformance.helpers import line_of, mutant, read_lines, replay


def first_line(path: Path, predicate: Any) -> int:
    return line_of(read_lines(path), predicate)


def method_is(name: str) -> Any:
    return lambda r: r["msg"].get("method") == name


def test_control_passes(v1_transcript: Path) -> None:
    assert replay(v1_transcript, server=mutant("none")).failures == []


def test_renamed_field(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=mutant("rename-field"))
    turn_started = first_line(v1_transcript, method_is("turn/started"))
    first_two = [(f.check, f.line, f.path) for f in result.failures[:2]]
    assert first_two == [("schema", turn_started, "$.params.threadId"), ("match", turn_started, "$.params.threadId")]
    assert result.failures[0].message == "`turn/started`: 'threadId' is a required property"
    assert result.failures[1].message == "missing key"
    assert result.failures[1].actual is None and isinstance(result.failures[1].expected, str)


def test_required_field_added_on_the_server_side(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=mutant("add-required-field"), timeout=5)
    response = first_line(v1_transcript, lambda r: "turn" in r["msg"].get("result", {}))
    failure = result.failures[0]
    assert (failure.check, failure.line, failure.path) == ("match", response, "$")
    assert failure.message == "expected result, got error instead"
    assert failure.actual["error"]["code"] == -32602 and failure.actual["error"]["data"]["path"] == "/priority"
    assert "turn" in failure.expected["result"]


def test_v2_only_item_sent_to_a_v1_client(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=mutant("inject-v2-item"))
    turn_started = first_line(v1_transcript, method_is("turn/started"))
    assert result.failures, "a reasoning item must not reach a v1 client"
    assert {f.check for f in result.failures} == {"undeclared"}
    first = result.failures[0]
    assert (first.line, first.path, first.actual) == (turn_started, "$.params.item.type", "reasoning")
    assert "not a variant of this version" in first.message and "'agentMessage'" in first.message


def test_response_sent_after_its_notifications(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=mutant("reorder"))
    lines = read_lines(v1_transcript)
    response = line_of(lines, lambda r: "turn" in r["msg"].get("result", {}))
    turn_started = line_of(lines, method_is("turn/started"))
    first = result.failures[0]
    assert (first.check, first.line) == ("order", turn_started)
    assert first.actual["method"] == "turn/started"
    assert f"arrived before line {response} (the response to `turn/start`" in first.message
    assert {f.check for f in result.failures} == {"order"}


def test_dropped_approval_request(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=mutant("drop-approval"), timeout=5)
    approval = first_line(v1_transcript, method_is("item/commandExecution/requestApproval"))
    assert [(f.check, f.line) for f in result.failures] == [("timeout", approval)]
    assert "server request `item/commandExecution/requestApproval`" in result.failures[0].message
    assert result.failures[0].expected["method"] == "item/commandExecution/requestApproval"
