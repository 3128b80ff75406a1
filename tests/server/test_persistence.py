"""Persistence across real restarts: full history on resume, a SIGKILL mid-turn, a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.hang import HANG_LIMIT

from .support import StdioChannel, WireClient, is_method, run, serve_command, stdio_server, text_input


def test_resume_after_restart_returns_the_full_history(tmp_path: Path) -> None:
    store = str(tmp_path / "threads.sqlite3")
    workspace = tmp_path / "ws"
    workspace.mkdir()

    async def scenario() -> None:
        async with stdio_server(workspace, store) as client:
            await client.initialize()
            thread = await client.start_thread()
            first = await client.run_turn(thread["id"], "think: look\nrun: echo persisted\nwrite: kept.txt\nkept\nend:\nAll done.")
        async with stdio_server(workspace, store) as client:
            await client.initialize()
            resumed = (await client.call("thread/resume", {"threadId": thread["id"]}))["thread"]
            assert resumed["turns"] == [first], "the resumed history is exactly what turn/completed reported"
            types = [(item["type"], item.get("status")) for item in resumed["turns"][0]["items"]]
            assert types == [("userMessage", None), ("reasoning", None), ("commandExecution", "completed"), ("fileChange", "completed"), ("agentMessage", None)]
            assert resumed["turns"][0]["items"][2]["aggregatedOutput"] == "persisted\n"
            assert "+kept" in resumed["turns"][0]["items"][3]["changes"][0]["diff"]
            # Resuming subscribes: the next turn streams to this connection and continues the thread.
            second = await client.run_turn(thread["id"], "and more")
            assert second["status"] == "completed"
            history = (await client.call("thread/read", {"threadId": thread["id"], "includeTurns": True}))["thread"]["turns"]
            assert [turn["id"] for turn in history] == [first["id"], second["id"]]

    run(scenario())


def test_sigkill_mid_turn_keeps_completed_items_and_marks_the_turn_interrupted(tmp_path: Path) -> None:
    store = str(tmp_path / "threads.sqlite3")

    async def scenario() -> None:
        process = await asyncio.create_subprocess_exec(*serve_command(tmp_path, store), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        client = WireClient(StdioChannel(process))
        await client.initialize()
        thread = await client.start_thread(approvalPolicy="never")
        turn_id = (await client.call("turn/start", {"threadId": thread["id"], "input": text_input("run: echo before the crash\nsleep: 30")}))["turn"]["id"]
        await client.until(lambda m: m.get("method") == "item/completed" and m["params"]["item"]["type"] == "commandExecution")
        process.send_signal(signal.SIGKILL)
        await process.wait()

        async with stdio_server(tmp_path, store) as client:
            await client.initialize()
            resumed = (await client.call("thread/resume", {"threadId": thread["id"]}))["thread"]
            (turn,) = resumed["turns"]
            assert turn["id"] == turn_id and turn["status"] == "interrupted"
            command = turn["items"][1]
            assert (command["status"], command["exitCode"], command["aggregatedOutput"]) == ("completed", 0, "before the crash\n")
            assert resumed["status"] == "idle"
            again = await client.run_turn(thread["id"], "after the crash")
            assert again["status"] == "completed" and again["items"][1]["text"] == "after the crash"

    run(scenario())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_interrupts_running_turns_and_stores_them(tmp_path: Path, signum: signal.Signals) -> None:
    store = str(tmp_path / "threads.sqlite3")

    async def scenario() -> None:
        process = await asyncio.create_subprocess_exec(
            *serve_command(tmp_path, store), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        client = WireClient(StdioChannel(process))
        await client.initialize()
        thread = await client.start_thread(approvalPolicy="never")
        turn_id = (await client.call("turn/start", {"threadId": thread["id"], "input": text_input("run: sleep 30")}))["turn"]["id"]
        await client.until(is_method("item/started"))
        await client.until(lambda m: m.get("method") == "item/started" and m["params"]["item"]["type"] == "commandExecution")
        process.send_signal(signum)
        done = await client.until(is_method("turn/completed"))
        assert done["params"]["turn"]["id"] == turn_id and done["params"]["turn"]["status"] == "interrupted"
        assert await asyncio.wait_for(process.wait(), HANG_LIMIT) == 0

        async with stdio_server(tmp_path, store) as client:
            await client.initialize()
            turns = (await client.call("thread/read", {"threadId": thread["id"], "includeTurns": True}))["thread"]["turns"]
            assert turns[0]["status"] == "interrupted" and turns[0]["items"][1]["status"] == "failed"

    run(scenario())


def test_closing_stdin_mid_approval_interrupts_and_stores_the_turn(tmp_path: Path) -> None:
    store = str(tmp_path / "threads.sqlite3")

    async def scenario() -> None:
        process = await asyncio.create_subprocess_exec(*serve_command(tmp_path, store), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        client = WireClient(StdioChannel(process), approve=lambda request: None)
        await client.initialize()
        thread = await client.start_thread()
        await client.call("turn/start", {"threadId": thread["id"], "input": text_input("run: touch never.txt")})
        await client.until(is_method("item/commandExecution/requestApproval"))
        assert process.stdin is not None
        process.stdin.close()
        assert await asyncio.wait_for(process.wait(), HANG_LIMIT) == 0

        async with stdio_server(tmp_path, store) as client:
            await client.initialize()
            (turn,) = (await client.call("thread/resume", {"threadId": thread["id"]}))["thread"]["turns"]
            assert turn["status"] == "interrupted" and turn["items"][1]["status"] == "declined"
            assert not (tmp_path / "never.txt").exists()

    run(scenario())
