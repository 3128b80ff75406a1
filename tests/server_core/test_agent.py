"""The scripted agent through a recording TurnContext: lifecycles, approvals, commands, file changes."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.hang import HANG_LIMIT
from threadloom_server.agent import (
    AGENT_MESSAGE_DELTA,
    COMMAND_OUTPUT_DELTA,
    REASONING_SUMMARY_DELTA,
    AgentFailedError,
    ScriptedAgent,
    ScriptError,
    TurnCancelled,
    turn_outcome,
)

from .recording import AGENT, RecordingContext, context_for, play, run_agent
from .wire import assert_wire


def process_is_gone(pid: int) -> bool:
    """True once `pid` no longer runs (a zombie waiting for its reaper counts as gone); False only
    when it still runs after `HANG_LIMIT`, which nothing slower than a hang reaches."""
    deadline = time.monotonic() + HANG_LIMIT
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


# ----------------------------------------------------------------- messages, reasoning, plan


def test_plain_text_is_a_streamed_agent_message(tmp_path: Path) -> None:
    context, error = play("Hello there, how are you?", tmp_path)
    assert error is None
    assert context.kinds() == ["started", "delta", "delta", "delta", "delta", "delta", "completed"]
    started, completed = context.events[0][1], context.events[-1][1]
    assert started == {"type": "agentMessage", "id": "turn-1-item-1", "text": ""}
    assert completed == {"type": "agentMessage", "id": "turn-1-item-1", "text": "Hello there, how are you?"}
    deltas = context.deltas("turn-1-item-1")
    assert {method for method, _ in deltas} == {AGENT_MESSAGE_DELTA}
    assert "".join(payload["delta"] for _, payload in deltas) == completed["text"]


def test_consecutive_text_lines_are_one_message(tmp_path: Path) -> None:
    context, _ = play("\nfirst line\n\nsecond line\n", tmp_path)
    assert [item["text"] for item in context.completed()] == ["first line\n\nsecond line"]


def test_think_streams_a_reasoning_summary(tmp_path: Path) -> None:
    context, error = play("think: weigh the two parsers", tmp_path)
    assert error is None
    item_id = "turn-1-item-1"
    assert context.events[0] == ("started", {"type": "reasoning", "id": item_id, "summary": []})
    deltas = context.deltas(item_id)
    assert len(deltas) == 4
    assert all(method == REASONING_SUMMARY_DELTA and payload["summaryIndex"] == 0 for method, payload in deltas)
    assert context.completed() == [{"type": "reasoning", "id": item_id, "summary": ["weigh the two parsers"]}]


def test_plan_is_a_plan_item(tmp_path: Path) -> None:
    context, error = play("plan: read the code; write a test ;fix the bug;", tmp_path)
    assert error is None
    assert context.kinds() == ["started", "completed"]
    assert context.completed()[0]["steps"] == [
        {"step": "read the code", "status": "pending"},
        {"step": "write a test", "status": "pending"},
        {"step": "fix the bug", "status": "pending"},
    ]


def test_instructions_run_in_order_with_deterministic_ids(tmp_path: Path) -> None:
    script = "Let me look.\nthink: check the tree\nplan: list; report\nrun: echo listing\nDone."
    context, error = play(script, tmp_path)
    assert error is None
    completed = context.completed()
    assert [item["type"] for item in completed] == ["agentMessage", "reasoning", "plan", "commandExecution", "agentMessage"]
    assert [item["id"] for item in completed] == [f"turn-1-item-{n}" for n in range(1, 6)]
    # Each item is started, streamed and completed before the next one starts.
    open_item = None
    for event in context.events:
        if event[0] == "started":
            assert open_item is None
            open_item = event[1]["id"]
        elif event[0] == "completed":
            assert event[1]["id"] == open_item
            open_item = None
    replay, _ = play(script, tmp_path)
    assert [event for event in replay.events if event[0] != "delta"][:4] == [event for event in context.events if event[0] != "delta"][:4]


def test_text_parts_are_joined_and_other_inputs_ignored(tmp_path: Path) -> None:
    context = RecordingContext(
        cwd=str(tmp_path),
        workspace_root=str(tmp_path),
        input=[
            {"type": "text", "text": "plan: a; b"},
            {"type": "image", "url": "https://example.com/x.png"},
            {"type": "mention", "path": "README.md"},
            {"type": "text", "text": "think: ok"},
        ],
    )
    assert asyncio.run(run_agent(AGENT, context)) is None
    assert [item["type"] for item in context.completed()] == ["plan", "reasoning"]


# ----------------------------------------------------------------- fail and script errors


def test_fail_raises_a_typed_error_after_earlier_items(tmp_path: Path) -> None:
    context, error = play("before\nfail: the model is unavailable\nafter", tmp_path)
    assert isinstance(error, AgentFailedError)
    assert error.message == "the model is unavailable"
    assert [item["text"] for item in context.completed()] == ["before"]
    status, turn_error = turn_outcome(error)
    assert (status, turn_error) == ("failed", {"code": "agentFailed", "message": "the model is unavailable"})
    assert_wire("TurnError", turn_error)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("hello\nsleep: soon", "line 3: sleep: needs a number of seconds"),
        ("sleep: -1", "between 0 and"),
        ("sleep: nan", "between 0 and"),
        ("run:", "run: needs a shell command"),
        ("write:\ncontent", "write: needs a file path"),
        ("delete:   ", "delete: needs a file path"),
        ("plan: ; ;", "plan: needs steps"),
        ("think:", "think: needs some text"),
        ("end:", "end: without a write: block"),
    ],
)
def test_a_malformed_script_fails_before_doing_anything(tmp_path: Path, script: str, message: str) -> None:
    context, error = play("run: touch marker\n" + script, tmp_path)
    assert isinstance(error, ScriptError)
    assert message in str(error)
    assert context.events == []
    assert not (tmp_path / "marker").exists()
    assert turn_outcome(error)[1] == {"code": "agentFailed", "message": str(error)}


def test_turn_outcome_mapping() -> None:
    assert turn_outcome(None) == ("completed", None)
    assert turn_outcome(asyncio.CancelledError()) == ("interrupted", None)
    assert turn_outcome(TurnCancelled("x")) == ("interrupted", None)
    status, error = turn_outcome(KeyError("secret internals"))
    assert status == "failed" and error is not None
    assert error["code"] == "internal" and "secret" not in error["message"]


# ----------------------------------------------------------------- commands


def test_run_asks_approval_then_streams_and_records_the_result(tmp_path: Path) -> None:
    context, error = play("run: echo out; echo err >&2; pwd", tmp_path)
    assert error is None
    assert context.kinds()[:2] == ["started", "approval"]
    assert context.kinds()[-1] == "completed"
    started = context.events[0][1]
    assert started["status"] == "inProgress" and started["aggregatedOutput"] is None and started["exitCode"] is None
    _, kind, approved_item, reason = context.approvals()[0]
    assert kind == "commandExecution"
    assert approved_item["command"] == "echo out; echo err >&2; pwd"
    assert reason
    deltas = context.deltas(started["id"])
    assert all(method == COMMAND_OUTPUT_DELTA for method, _ in deltas)
    by_stream = {"stdout": "", "stderr": ""}
    for _, payload in deltas:
        by_stream[payload["stream"]] += payload["delta"]
    assert by_stream == {"stdout": f"out\n{tmp_path}\n", "stderr": "err\n"}
    done = context.completed()[0]
    assert done["status"] == "completed"
    assert done["exitCode"] == 0
    assert sorted(done["aggregatedOutput"].splitlines()) == sorted(["out", "err", str(tmp_path)])
    assert isinstance(done["durationMs"], int) and done["durationMs"] >= 0
    assert done["cwd"] == str(tmp_path)


def test_run_uses_the_thread_cwd(tmp_path: Path) -> None:
    sub = tmp_path / "pkg"
    sub.mkdir()
    context, _ = play("run: pwd", tmp_path, cwd=sub)
    assert context.completed()[0]["aggregatedOutput"] == f"{sub}\n"


def test_non_zero_exit_is_failed_with_its_code(tmp_path: Path) -> None:
    context, error = play("run: echo nope; exit 3\nafter", tmp_path)
    assert error is None
    command, message = context.completed()
    assert (command["status"], command["exitCode"], command["aggregatedOutput"]) == ("failed", 3, "nope\n")
    assert message["text"] == "after"


def test_declined_command_does_not_run_and_the_turn_goes_on(tmp_path: Path) -> None:
    context, error = play("run: touch ran\nstill here", tmp_path, decisions=["decline"])
    assert error is None
    command, message = context.completed()
    assert command["status"] == "declined"
    assert (command["exitCode"], command["aggregatedOutput"]) == (None, None)
    assert not (tmp_path / "ran").exists()
    assert context.deltas(command["id"]) == []
    assert message["text"] == "still here"


def test_cancelled_approval_declines_and_interrupts_the_turn(tmp_path: Path) -> None:
    context, error = play("run: touch ran\nnever said", tmp_path, decisions=["cancel"])
    assert isinstance(error, TurnCancelled)
    assert turn_outcome(error) == ("interrupted", None)
    assert [item["status"] for item in context.completed()] == ["declined"]
    assert not (tmp_path / "ran").exists()


def test_accept_for_session_runs_like_accept(tmp_path: Path) -> None:
    context, _ = play("run: touch ran", tmp_path, decisions=["acceptForSession"])
    assert context.completed()[0]["status"] == "completed"
    assert (tmp_path / "ran").exists()


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    # The timeout is the product's, under test; it is long enough for the shell to print the pid on
    # a busy machine before it fires, far shorter than the 30 s sleep it has to cut.
    agent = ScriptedAgent(command_timeout=2)
    # The background sleep keeps the pipes open: only killing the group ends the command.
    context, error = play("run: sleep 30 & echo $!; wait\nafter the timeout", tmp_path, agent=agent)
    assert error is None
    command, message = context.completed()
    assert command["status"] == "failed"
    assert command["exitCode"] is None
    assert "timed out after 2s" in command["aggregatedOutput"]
    sleeper = int(command["aggregatedOutput"].splitlines()[0])
    assert process_is_gone(sleeper)
    assert message["text"] == "after the timeout"


def test_missing_cwd_is_a_failed_command_not_a_crash(tmp_path: Path) -> None:
    context, error = play("run: echo hi", tmp_path, cwd=tmp_path / "gone")
    assert error is None
    command = context.completed()[0]
    assert command["status"] == "failed"
    assert command["exitCode"] is None
    assert "cannot start the command" in command["aggregatedOutput"]


def test_output_is_capped(tmp_path: Path) -> None:
    agent = ScriptedAgent(max_output_bytes=1000)
    context, _ = play("run: head -c 100000 /dev/zero | tr '\\0' x", tmp_path, agent=agent)
    command = context.completed()[0]
    assert command["status"] == "completed"
    assert len(command["aggregatedOutput"]) < 1200
    assert "output truncated after 1000 bytes" in command["aggregatedOutput"]
    assert "".join(payload["delta"] for _, payload in context.deltas(command["id"])) == command["aggregatedOutput"]


def test_non_utf8_output_is_replaced_not_fatal(tmp_path: Path) -> None:
    context, _ = play("run: printf 'caf\\351\\n'", tmp_path)
    assert context.completed()[0]["aggregatedOutput"] == "caf\ufffd\n"


# ----------------------------------------------------------------- interrupts


def interrupt_when(script: str, workspace: Path, ready: Any, *, hold_approvals: bool = False) -> RecordingContext:
    """Start the turn, cancel its task once `ready(context)` holds, and check it ended cancelled."""
    context = context_for(script, workspace)
    context.hold_approvals = hold_approvals

    async def main() -> None:
        task = asyncio.create_task(AGENT.run_turn(context))
        await context.wait_for(ready)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert context.all_items_closed
    return context


def test_interrupt_during_sleep(tmp_path: Path) -> None:
    context = interrupt_when("said first\nsleep: 60\nnever said", tmp_path, lambda c: len(c.completed()) == 1)
    assert [item["text"] for item in context.completed()] == ["said first"]


def test_interrupt_kills_a_running_command_and_completes_its_item(tmp_path: Path) -> None:
    def started_output(context: RecordingContext) -> bool:
        return any(event[0] == "delta" for event in context.events)

    context = interrupt_when("run: echo $$; exec sleep 60", tmp_path, started_output)
    command = context.completed()[0]
    assert command["status"] == "failed"
    assert command["exitCode"] is None
    pid = int(command["aggregatedOutput"].split()[0])
    assert process_is_gone(pid)


def test_interrupt_while_waiting_for_approval_declines_the_item(tmp_path: Path) -> None:
    context = interrupt_when("write: f.txt\nx", tmp_path, lambda c: bool(c.approvals()), hold_approvals=True)
    assert [item["status"] for item in context.completed()] == ["declined"]
    assert not (tmp_path / "f.txt").exists()


def test_interrupt_mid_message_keeps_the_text_so_far(tmp_path: Path) -> None:
    agent = ScriptedAgent(delta_delay=0.05)
    context = context_for("one two three four five six seven eight nine ten", tmp_path)

    async def main() -> None:
        task = asyncio.create_task(agent.run_turn(context))
        await context.wait_for(lambda c: len(c.deltas("turn-1-item-1")) >= 2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    message = context.completed()[0]
    streamed = "".join(payload["delta"] for _, payload in context.deltas(message["id"]))
    assert message["text"] == streamed
    assert message["text"].startswith("one two")
    assert message["text"] != "one two three four five six seven eight nine ten"
