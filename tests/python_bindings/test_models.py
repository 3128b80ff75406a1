"""Forward-compatible decoding, strictness and round trips of the generated models."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from threadloom_protocol.v1 import models as m1
from threadloom_protocol.v2 import models as m2
from threadloom_runtime.base import UnknownValue
from threadloom_runtime.errors import ProtocolError
from threadloom_runtime.validation import parse

FUTURE_ITEM = {"type": "videoClip", "id": "item_9", "frames": [1, 2, 3], "meta": {"fps": 24}}


def _turn(items: list[dict[str, Any]], status: str = "completed") -> dict[str, Any]:
    return {"id": "turn_1", "status": status, "items": items, "error": None}


def test_unknown_union_variant_keeps_its_raw_data_and_round_trips() -> None:
    agent = {"type": "agentMessage", "id": "item_1", "text": "hi"}
    turn = m2.Turn.model_validate(_turn([agent, FUTURE_ITEM]))
    known, unknown = turn.items
    assert isinstance(known, m2.AgentMessageItem)
    assert isinstance(unknown, m2.UnknownThreadItem)
    assert unknown.type == "videoClip" and unknown.raw() == FUTURE_ITEM
    assert turn.model_dump(by_alias=True, exclude_unset=True) == _turn([agent, FUTURE_ITEM])


def test_v1_models_decode_v2_only_variants_as_unknown() -> None:
    reasoning = {"type": "reasoning", "id": "item_2", "summary": ["why"]}
    turn = m1.Turn.model_validate(_turn([reasoning]))
    assert isinstance(turn.items[0], m1.UnknownThreadItem)
    assert turn.items[0].raw() == reasoning


def test_a_known_variant_with_bad_content_is_still_rejected() -> None:
    with pytest.raises(ValidationError) as failure:
        m2.Turn.model_validate(_turn([{"type": "agentMessage", "id": "item_1"}]))
    assert failure.value.errors()[0]["loc"] == ("items", 0, "agentMessage", "text")


def test_unknown_value_of_an_open_enum_is_kept() -> None:
    turn = m2.Turn.model_validate(_turn([], status="paused"))
    assert isinstance(turn.status, UnknownValue) and turn.status.root == "paused"
    assert turn.model_dump(by_alias=True, exclude_unset=True)["status"] == "paused"
    assert m2.Turn.model_validate(_turn([])).status is m2.TurnStatus.completed


def test_closed_enums_and_closed_unions_reject_unknown_members() -> None:
    with pytest.raises(ValidationError):
        m2.ApprovalResult.model_validate({"decision": "maybe"})
    with pytest.raises(ValidationError):
        TypeAdapter(m2.UserInput).validate_python({"type": "hologram", "data": "x"})


def test_null_is_rejected_where_the_schema_forbids_it_and_accepted_where_allowed() -> None:
    with pytest.raises(ValidationError):
        m2.ThreadStartParams.model_validate({"cwd": None})
    assert m2.ThreadListParams.model_validate({"cursor": None}).cursor is None
    assert m2.ThreadStartParams.model_validate({}).model_dump(by_alias=True, exclude_unset=True) == {}


def test_scalars_are_strict() -> None:
    with pytest.raises(ValidationError):
        m2.ThreadListParams.model_validate({"limit": "10"})
    with pytest.raises(ValidationError):
        m2.ReasoningSummaryTextDeltaParams.model_validate({"threadId": "t", "turnId": "u", "itemId": "i", "delta": "d", "summaryIndex": True})


def test_wire_parsing_uses_camel_case_only() -> None:
    with pytest.raises(ProtocolError) as failure:
        parse(m2.ThreadReadParams, {"thread_id": "t"})
    assert failure.value.data == {"path": "/threadId", "reason": "Field required"}
    assert m2.ThreadReadParams(thread_id="t").model_dump(exclude_unset=False) == {"threadId": "t", "includeTurns": None}


def test_default_dump_is_the_wire_form() -> None:
    """Wire names, unset members left out, explicit nulls kept: `model_dump_json()` is what goes on the wire."""
    assert m2.ThreadReadParams(thread_id="t").model_dump() == {"threadId": "t"}
    assert m2.ThreadReadParams(thread_id="t").model_dump_json() == '{"threadId":"t"}'
    approval = m2.CommandExecutionRequestApprovalParams(thread_id="t", turn_id="u", item_id="i", command="ls", cwd="/", reason=None)
    assert approval.model_dump()["reason"] is None
    assert m2.ThreadReadParams(thread_id="t").model_dump(by_alias=False) == {"thread_id": "t"}


def test_a_variant_tag_defaults_to_its_value_but_the_wire_needs_it() -> None:
    text = m2.TextUserInput(text="hi")
    assert text.type == "text"
    assert text.model_dump() == {"type": "text", "text": "hi"}
    started = m2.TurnStartParams(thread_id="t", input=[m2.TextUserInput(text="hi")])
    assert started.model_dump() == {"threadId": "t", "input": [{"type": "text", "text": "hi"}]}
    with pytest.raises(ValidationError):
        m2.TextUserInput.model_validate({"text": "hi"})
    with pytest.raises(ProtocolError) as failure:
        parse(m2.TurnStartParams, {"threadId": "t", "input": [{"text": "hi"}]})
    assert failure.value.data["path"] == "/input/0"


def test_class_docstrings_come_from_the_descriptions() -> None:
    assert m2.TextUserInput.__doc__ == "Plain text typed by the user."


def test_invalid_params_point_into_nested_data() -> None:
    params = {"threadId": "t", "input": [{"type": "text", "text": "a"}, {"type": "mention", "path": 5}]}
    with pytest.raises(ProtocolError) as failure:
        parse(m2.TurnStartParams, params)
    assert failure.value.code == -32602
    assert failure.value.data["path"] == "/input/1/path"


def test_unknown_members_of_open_objects_survive_and_closed_ones_reject_them() -> None:
    thread_read = m2.ThreadReadParams.model_validate({"threadId": "t", "futureFlag": True})
    assert thread_read.model_dump(by_alias=True, exclude_unset=True) == {"threadId": "t", "futureFlag": True}
    with pytest.raises(ValidationError):
        m2.ThreadReadRequest.model_validate({"jsonrpc": "2.0", "id": 1, "method": "thread/read", "params": {"threadId": "t"}, "extra": 1})
