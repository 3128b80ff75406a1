"""The scripted model: step selection from the request, the SSE it streams, and its HTTP edges."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from threadloom_conformance.scripted_model import Ids, Scenario, ScenarioError, ScriptedModel, encode_sse, response_events

SCENARIO = Scenario.parse(
    {
        "replies": [
            {"when": "run:", "steps": [{"reasoning": "plan", "shell": {"command": "echo hi", "justification": "greet"}}, {"text": "Done."}]},
            {"when": "boom", "steps": [{"error": {"status": 503, "message": "scripted outage"}}]},
            {"steps": [{"text": "Hello there", "chunks": 3}]},
        ]
    }
)


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def tool_output() -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": "call_1", "output": "hi\n"}


def post(url: str, body: dict[str, Any]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def sse_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[len("data: ") :]) for line in text.splitlines() if line.startswith("data: ")]


def test_the_newest_user_message_picks_the_reply_and_tool_outputs_pick_the_step() -> None:
    context = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>run:</environment_context>"}]}
    assert SCENARIO.step_for({"input": [context, user("hello")]}) == {"text": "Hello there", "chunks": 3}
    assert "shell" in SCENARIO.step_for({"input": [user("hello"), user("run: it")]})
    assert SCENARIO.step_for({"input": [user("run: it"), tool_output()]}) == {"text": "Done."}
    # a new user message starts counting again
    assert "shell" in SCENARIO.step_for({"input": [user("run: it"), tool_output(), user("run: again")]})


def test_a_text_step_streams_its_text_in_deltas_then_completes() -> None:
    events = response_events({"text": "Hello there", "chunks": 3}, Ids())
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) == 3 and "".join(deltas) == "Hello there"
    assert events[0]["type"] == "response.created" and events[-1]["type"] == "response.completed"
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert done == [{"type": "message", "role": "assistant", "id": done[0]["id"], "content": [{"type": "output_text", "text": "Hello there"}]}]


def test_a_shell_step_calls_exec_command_asking_for_escalation() -> None:
    events = response_events({"reasoning": "plan", "shell": {"command": "echo hi", "justification": "greet"}}, Ids())
    kinds = [e["item"]["type"] for e in events if e["type"] == "response.output_item.done"]
    assert kinds == ["reasoning", "function_call"]
    call = next(e["item"] for e in events if e["type"] == "response.output_item.done" and e["item"]["type"] == "function_call")
    assert call["name"] == "exec_command"
    assert json.loads(call["arguments"]) == {"cmd": "echo hi", "sandbox_permissions": "require_escalated", "justification": "greet"}


def test_a_stall_step_never_completes() -> None:
    assert [e["type"] for e in response_events({"stall": True}, Ids())] == ["response.created"]


def test_the_server_answers_posts_with_sse_and_keeps_every_request() -> None:
    with ScriptedModel(SCENARIO) as model:
        status, body = post(model.base_url + "/responses", {"input": [user("run: ls")]})
        assert status == 200
        assert [e["type"] for e in sse_events(body)][-1] == "response.completed"
        status, body = post(model.base_url + "/responses", {"input": [user("boom")]})
        assert status == 503 and "scripted outage" in body
        status, _ = post(model.base_url + "/models", {})
        assert status == 404
        assert [r["input"][-1]["content"][0]["text"] for r in model.requests] == ["run: ls", "boom"]


def test_encoded_events_name_their_type() -> None:
    text = encode_sse([{"type": "response.created", "response": {"id": "r"}}]).decode()
    assert text == 'event: response.created\ndata: {"type": "response.created", "response": {"id": "r"}}\n\n'


@pytest.mark.parametrize(
    "data",
    [[], {"replies": {}}, {"replies": [{"steps": []}]}, {"replies": [{"when": 3, "steps": [{"text": "x"}]}]}],
)
def test_a_malformed_scenario_is_refused_with_its_pointer(data: Any) -> None:
    with pytest.raises(ScenarioError, match="scenario"):
        Scenario.parse(data)
