"""What is approved is what runs, inside the workspace: NUL and invalid Unicode are refused before any
approval, paths are confined when used (not only when planned), and a thread's cwd must lie in
today's workspace."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.server.support import Message, is_turn_completed, run, stdio_server


def approvals(received: list[Message]) -> list[Message]:
    return [message for message in received if "id" in message and message.get("method", "").endswith("requestApproval")]


def completed_items(received: list[Message], turn_id: str) -> list[Message]:
    return [m["params"]["item"] for m in received if m.get("method") == "item/completed" and m["params"]["turnId"] == turn_id]


def test_nul_and_lone_surrogates_are_refused_before_any_approval(tmp_path: Path) -> None:
    async def scenario() -> None:
        workspace = tmp_path / "ws"
        workspace.mkdir()
        (workspace / "important.txt").write_text("keep me\n")
        async with stdio_server(workspace) as client:
            await client.initialize()
            thread = await client.start_thread()
            for script in ("run: echo overwritten > important.txt\x00.bak", "run: echo \udc80", "write: important.txt\x00.bak\nx", "delete: important.txt\x00"):
                since = len(client.received)
                params = {"threadId": thread["id"], "input": [{"type": "text", "text": script}]}
                # The standard json module writes a lone surrogate as the escape `\udc80`, as a hostile client would.
                await client.send(json.dumps({"jsonrpc": "2.0", "id": "t", "method": "turn/start", "params": params}).encode())
                answer = await client.until(lambda message: message.get("id") in ("t", None) and "method" not in message)
                if "error" in answer:  # refused as a whole (a lone surrogate is not valid JSON text for the parser)
                    assert answer["error"]["code"] in (-32700, -32602), answer
                    continue
                turn = answer["result"]["turn"]
                await client.until(lambda message, turn_id=turn["id"]: is_turn_completed(message, turn_id))  # type: ignore[misc]
                assert not approvals(client.received[since:]), script
                items = [item for item in completed_items(client.received[since:], turn["id"]) if item["type"] in ("commandExecution", "fileChange")]
                assert [item["status"] for item in items] == ["failed"], (script, items)
            assert (workspace / "important.txt").read_text() == "keep me\n"
            bad_cwd = await client.request("thread/start", {"cwd": "sub\x00dir"})
            assert bad_cwd["error"]["code"] == -32602 and bad_cwd["error"]["data"]["path"] == "/cwd"

    run(scenario())


def test_a_directory_swapped_for_a_link_during_the_approval_cannot_escape(tmp_path: Path) -> None:
    async def scenario() -> None:
        workspace, outside = tmp_path / "ws", tmp_path / "outside"
        workspace.mkdir()
        outside.mkdir()
        (outside / "victim.txt").write_text("outside\n")
        async with stdio_server(workspace, approve=lambda request: None) as client:
            await client.initialize()
            thread = await client.start_thread()

            def nothing_created() -> bool:
                return not (outside / "new.txt").exists()

            def nothing_deleted() -> bool:
                return (outside / "victim.txt").read_text() == "outside\n"

            for script, check in (("write: sub/new.txt\ncontent", nothing_created), ("delete: sub/victim.txt", nothing_deleted)):
                (workspace / "sub").mkdir()
                (workspace / "sub" / "victim.txt").write_text("inside\n")
                since = len(client.received)
                turn_id = (await client.call("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": script}]}))["turn"]["id"]
                while not client.pending_requests:
                    await client.next()
                request = client.pending_requests.pop()
                shutil.rmtree(workspace / "sub")  # planned inside; now the same path leads outside
                (workspace / "sub").symlink_to(outside, target_is_directory=True)
                await client.answer(request, "accept")
                await client.until(lambda message, turn_id=turn_id: is_turn_completed(message, turn_id))  # type: ignore[misc]
                changes = [item for item in completed_items(client.received[since:], turn_id) if item["type"] == "fileChange"]
                assert [item["status"] for item in changes] == ["failed"], changes
                assert check(), script
                (workspace / "sub").unlink()

    run(scenario())


def test_a_thread_whose_cwd_left_the_workspace_does_not_run_there(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = str(tmp_path / "threads.sqlite3")
        first, second = tmp_path / "first", tmp_path / "second"
        first.mkdir()
        second.mkdir()
        async with stdio_server(first, store) as client:
            await client.initialize()
            thread = await client.start_thread(approvalPolicy="never")
        async with stdio_server(second, store) as client:
            await client.initialize()
            await client.call("thread/resume", {"threadId": thread["id"]})  # reading history is fine
            refused = await client.request("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": "run: pwd"}]})
            assert refused["error"]["code"] == -32602 and "outside the workspace" in refused["error"]["message"]
            read = await client.call("thread/read", {"threadId": thread["id"], "includeTurns": True})
            assert read["thread"]["turns"] == []

    run(scenario())
