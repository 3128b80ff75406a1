"""Turns over real pipes: event order, items and deltas, approvals, interrupts, timeouts, concurrency."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .support import Message, WireClient, is_method, is_turn_completed, run, stdio_server, text_input, turn_messages


def kinds(messages: list[Message]) -> list[str]:
    """Each message as `method` (notification), `?method` (server request) or `reply`."""
    return [("?" + m["method"] if "id" in m else m["method"]) if "method" in m else "reply" for m in messages]


def items_of(turn: Message) -> list[tuple[str, Any]]:
    return [(item["type"], item.get("status")) for item in turn["items"]]


async def start_turn(client: WireClient, thread_id: str, text: str) -> tuple[Message, int]:
    """Send turn/start; the response and its index in `received`."""
    response = await client.request("turn/start", {"threadId": thread_id, "input": text_input(text)})
    assert "result" in response, response
    return response, len(client.received) - 1


def test_plain_text_turn_event_order(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            info = await client.initialize()
            assert info == {"serverInfo": {"name": "threadloom-reference", "version": info["serverInfo"]["version"]}, "protocolVersion": 2}
            thread = await client.start_thread()
            response, at = await start_turn(client, thread["id"], "Hello there, world")
            turn_id = response["result"]["turn"]["id"]
            assert response["result"]["turn"]["status"] == "inProgress" and response["result"]["turn"]["items"] == []
            await client.until(lambda m: is_turn_completed(m, turn_id))
            await client.until(is_method("thread/status/changed"))
            after = client.received[at + 1 :]
            assert kinds(after) == [
                "turn/started",
                "thread/status/changed",
                "item/started",  # the user's message
                "item/completed",
                "item/started",  # the agent's answer
                "item/agentMessage/delta",
                "item/agentMessage/delta",
                "item/agentMessage/delta",
                "item/completed",
                "turn/completed",
                "thread/status/changed",
            ]
            assert [m["params"]["status"] for m in after if m["method"] == "thread/status/changed"] == ["active", "idle"]
            assert "".join(m["params"]["delta"] for m in after if m["method"] == "item/agentMessage/delta") == "Hello there, world"
            final = after[-2]["params"]["turn"]
            assert final["status"] == "completed" and final["error"] is None
            assert final["items"][0] == {"type": "userMessage", "id": f"{turn_id}-input", "content": text_input("Hello there, world")}
            assert final["items"][1] == {"type": "agentMessage", "id": f"{turn_id}-item-1", "text": "Hello there, world"}

    run(scenario())


def test_command_with_approval_accept_runs_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            thread = await client.start_thread()
            turn = await client.run_turn(thread["id"], "run: echo hello")
            events = turn_messages(client.received, turn["id"])
            assert kinds(events) == [
                "turn/started",
                "item/started",
                "item/completed",
                "item/started",
                "?item/commandExecution/requestApproval",
                "serverRequest/resolved",
                "item/commandExecution/outputDelta",
                "item/completed",
                "turn/completed",
            ]
            approval = events[4]
            assert approval["params"]["command"] == "echo hello" and approval["params"]["cwd"] == str(tmp_path.resolve())
            assert events[5]["params"] == {"threadId": thread["id"], "requestId": approval["id"]}
            assert events[6]["params"]["delta"] == "hello\n" and events[6]["params"]["stream"] == "stdout"
            command = turn["items"][1]
            assert (command["status"], command["exitCode"], command["aggregatedOutput"]) == ("completed", 0, "hello\n")
            assert turn["status"] == "completed"

    run(scenario())


def test_decline_and_accept_for_session(tmp_path: Path) -> None:
    async def scenario() -> None:
        answers = iter(["decline", "acceptForSession"])
        async with stdio_server(tmp_path, approve=lambda request: next(answers)) as client:
            await client.initialize()
            thread = await client.start_thread()
            declined = await client.run_turn(thread["id"], "run: touch declined.txt")
            assert items_of(declined)[1] == ("commandExecution", "declined") and declined["status"] == "completed"
            assert not (tmp_path / "declined.txt").exists()
            granted = await client.run_turn(thread["id"], "run: touch one.txt\nrun: touch two.txt")
            asked = [m for m in turn_messages(client.received, granted["id"]) if "id" in m and "method" in m]
            assert len(asked) == 1, "after acceptForSession the thread is not asked again"
            assert items_of(granted)[1:] == [("commandExecution", "completed"), ("commandExecution", "completed")]
            assert (tmp_path / "one.txt").exists() and (tmp_path / "two.txt").exists()

    run(scenario())


def test_cancel_interrupts_the_turn(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path, approve=lambda request: "cancel") as client:
            await client.initialize()
            thread = await client.start_thread()
            turn = await client.run_turn(thread["id"], "run: touch never.txt\nnot reached")
            assert turn["status"] == "interrupted" and turn["error"] is None
            assert items_of(turn) == [("userMessage", None), ("commandExecution", "declined")]
            assert not (tmp_path / "never.txt").exists()
            assert kinds(turn_messages(client.received, turn["id"]))[-1] == "turn/completed"

    run(scenario())


def test_policy_never_asks_nothing_and_file_change_is_applied(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            thread = await client.start_thread(approvalPolicy="never")
            turn = await client.run_turn(thread["id"], "think: plan it\nplan: write; check\nwrite: notes/a.txt\nhello file\nend:\nDone.")
            events = turn_messages(client.received, turn["id"])
            assert not [m for m in events if "id" in m], "policy never: no approval request"
            assert items_of(turn) == [("userMessage", None), ("reasoning", None), ("plan", None), ("fileChange", "completed"), ("agentMessage", None)]
            assert (tmp_path / "notes" / "a.txt").read_text() == "hello file\n"
            diffs = [m["params"]["diff"] for m in events if m["method"] == "turn/diff/updated"]
            assert len(diffs) == 1 and "+hello file" in diffs[0]
            order = kinds(events)
            assert order.index("turn/diff/updated") > order.index("item/completed", order.index("item/started", 5))
            assert "item/reasoning/summaryTextDelta" in order

    run(scenario())


def test_failed_turn_sends_error_then_completed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            thread = await client.start_thread()
            turn = await client.run_turn(thread["id"], "first words\nfail: the tool broke")
            assert turn["status"] == "failed" and turn["error"] == {"code": "agentFailed", "message": "the tool broke"}
            events = turn_messages(client.received, turn["id"])
            assert kinds(events)[-2:] == ["error", "turn/completed"]
            assert events[-2]["params"] == {"threadId": thread["id"], "turnId": turn["id"], "error": turn["error"], "willRetry": False}
            malformed = await client.run_turn(thread["id"], "sleep: forever")
            assert malformed["status"] == "failed" and malformed["error"]["code"] == "agentFailed"

    run(scenario())


def test_second_turn_on_a_busy_thread_is_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path, approve=lambda request: None) as client:
            await client.initialize()
            thread = await client.start_thread()
            response, _ = await start_turn(client, thread["id"], "run: true")
            turn_id = response["result"]["turn"]["id"]
            second = await client.request("turn/start", {"threadId": thread["id"], "input": text_input("again")})
            assert second["error"]["code"] == -32012
            assert second["error"]["data"] == {"threadId": thread["id"], "activeTurnId": turn_id}
            read = await client.call("thread/read", {"threadId": thread["id"]})
            assert read["thread"]["status"] == "active"
            listed = await client.call("thread/list")
            assert [t["status"] for t in listed["data"]] == ["active"]
            await client.call("turn/interrupt", {"threadId": thread["id"], "turnId": turn_id})
            await client.until(lambda m: is_turn_completed(m, turn_id))
            third = await client.run_turn(thread["id"], "now it works")
            assert third["status"] == "completed"

    run(scenario())


def test_interrupt_during_pending_approval(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path, approve=lambda request: None) as client:
            await client.initialize()
            thread = await client.start_thread()
            response, _ = await start_turn(client, thread["id"], "run: touch nope.txt")
            turn_id = response["result"]["turn"]["id"]
            approval = await client.until(lambda m: m.get("method") == "item/commandExecution/requestApproval")
            assert await client.call("turn/interrupt", {"threadId": thread["id"], "turnId": turn_id}) == {}
            done = await client.until(lambda m: is_turn_completed(m, turn_id))
            events = turn_messages(client.received, turn_id)
            resolved = [m for m in client.received if m.get("method") == "serverRequest/resolved"]
            assert [m["params"]["requestId"] for m in resolved] == [approval["id"]]
            assert client.received.index(resolved[0]) < client.received.index(done)
            assert done["params"]["turn"]["status"] == "interrupted"
            assert items_of(done["params"]["turn"])[1] == ("commandExecution", "declined")
            assert kinds(events)[-1] == "turn/completed"
            # A late answer to the abandoned request is ignored and the server keeps serving.
            await client.answer(approval, "accept")
            assert (await client.call("thread/read", {"threadId": thread["id"]}))["thread"]["status"] == "idle"
            assert not (tmp_path / "nope.txt").exists()
            gone = await client.request("turn/interrupt", {"threadId": thread["id"], "turnId": turn_id})
            assert gone["error"]["code"] == -32011

    run(scenario())


def test_interrupt_during_running_command(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            thread = await client.start_thread(approvalPolicy="never")
            response, _ = await start_turn(client, thread["id"], "run: echo started; sleep 30\nnot reached")
            turn_id = response["result"]["turn"]["id"]
            await client.until(lambda m: m.get("method") == "item/commandExecution/outputDelta")
            await client.call("turn/interrupt", {"threadId": thread["id"], "turnId": turn_id})
            done = await client.until(lambda m: is_turn_completed(m, turn_id))
            turn = done["params"]["turn"]
            assert turn["status"] == "interrupted"
            command = turn["items"][1]
            assert (command["status"], command["exitCode"], command["aggregatedOutput"]) == ("failed", None, "started\n")
            assert len(turn["items"]) == 2

    run(scenario())


def test_a_hanging_command_hits_the_timeout(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path, ":memory:", "--command-timeout", "0.5") as client:
            await client.initialize()
            thread = await client.start_thread(approvalPolicy="never")
            turn = await client.run_turn(thread["id"], "run: sleep 30\nafter the timeout")
            command = turn["items"][1]
            assert command["status"] == "failed" and command["exitCode"] is None
            assert "timed out after 0.5s" in command["aggregatedOutput"]
            assert turn["status"] == "completed" and turn["items"][2]["text"] == "after the timeout"

    run(scenario())


def test_concurrent_turns_on_several_threads_of_one_connection(tmp_path: Path) -> None:
    async def scenario() -> None:
        # Approvals are held until all three turns ask: none can finish before the last one starts,
        # however slowly the machine starts them.
        async with stdio_server(tmp_path, approve=lambda request: None) as client:
            await client.initialize()
            threads = [await client.start_thread() for _ in range(3)]
            turn_ids = []
            for index, thread in enumerate(threads):
                response, _ = await start_turn(client, thread["id"], f"run: echo thread{index}")
                turn_ids.append(response["result"]["turn"]["id"])
            while len(client.pending_requests) < 3:
                await client.next()
            for request in client.pending_requests:
                await client.answer(request, "accept")
            completed: dict[str, Message] = {}
            while len(completed) < 3:
                message = await client.until(is_method("turn/completed"))
                completed[message["params"]["turn"]["id"]] = message["params"]["turn"]
            for index, turn_id in enumerate(turn_ids):
                assert completed[turn_id]["items"][1]["aggregatedOutput"] == f"thread{index}\n"
            # All three were running at once: each thread went active before any turn completed.
            first_done = next(i for i, m in enumerate(client.received) if m.get("method") == "turn/completed")
            actives = [m for m in client.received[:first_done] if m.get("method") == "thread/status/changed" and m["params"]["status"] == "active"]
            assert {m["params"]["threadId"] for m in actives} == {t["id"] for t in threads}

    run(scenario())


def test_steer_adds_input_to_the_running_turn(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            thread = await client.start_thread()
            response, _ = await start_turn(client, thread["id"], "sleep: 30")
            turn_id = response["result"]["turn"]["id"]
            await client.until(is_method("turn/started"))
            steered = await client.call("turn/steer", {"threadId": thread["id"], "expectedTurnId": turn_id, "input": text_input("also this")})
            assert steered == {"turnId": turn_id}
            wrong = await client.request("turn/steer", {"threadId": thread["id"], "expectedTurnId": "nope", "input": text_input("x")})
            assert wrong["error"]["code"] == -32011 and wrong["error"]["data"] == {"threadId": thread["id"], "turnId": "nope"}
            await client.call("turn/interrupt", {"threadId": thread["id"], "turnId": turn_id})
            done = await client.until(lambda m: is_turn_completed(m, turn_id))
            assert done["params"]["turn"]["items"][1] == {"type": "userMessage", "id": f"{turn_id}-steer-1", "content": text_input("also this")}

    run(scenario())


def test_file_change_decline_delete_and_refusal_outside_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("old\n")
    answers = iter(["decline", "accept"])

    async def scenario() -> None:
        async with stdio_server(tmp_path, approve=lambda request: next(answers)) as client:
            await client.initialize()
            thread = await client.start_thread()
            turn = await client.run_turn(thread["id"], "write: new.txt\nx\nend:\ndelete: old.txt\nwrite: ../outside.txt\nx")
            assert items_of(turn) == [
                ("userMessage", None),
                ("fileChange", "declined"),
                ("fileChange", "completed"),
                ("fileChange", "failed"),
                ("agentMessage", None),
            ]
            assert "outside the workspace root" in turn["items"][4]["text"]
            asked = [m for m in turn_messages(client.received, turn["id"]) if m.get("method") == "item/fileChange/requestApproval"]
            assert [m["params"]["changes"][0]["kind"] for m in asked] == ["add", "delete"], "the refused change is never offered for approval"
            assert not (tmp_path / "new.txt").exists() and not (tmp_path / "old.txt").exists()
            assert not (tmp_path.parent / "outside.txt").exists()

    run(scenario())
