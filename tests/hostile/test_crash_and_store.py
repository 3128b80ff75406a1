"""One server per store, and nothing a SIGKILLed server started keeps running."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

from tests.hang import HANG_LIMIT
from tests.server.support import StdioChannel, WireClient, run, serve_command, stdio_server


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose (its parent, the killed server, cannot reap it).
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rpartition(")")[2].split()[0] == "Z")


async def wait_for_file(path: Path) -> int:
    while not (path.exists() and path.read_text().strip()):
        await asyncio.sleep(0.05)
    return int(path.read_text())


async def gone(pid: int) -> None:
    while alive(pid):
        await asyncio.sleep(0.05)


def test_a_second_server_on_the_same_store_is_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = str(tmp_path / "threads.sqlite3")
        async with stdio_server(tmp_path, store) as client:
            await client.initialize()  # the first server holds the store
            second = subprocess.run(serve_command(tmp_path, store), input=b"", capture_output=True, timeout=HANG_LIMIT)
            assert second.returncode == 2
            assert b"in use by another threadloom server" in second.stderr and b"Traceback" not in second.stderr
            assert (await client.call("thread/list", {}))["data"] == []  # the first one is untouched
        after = subprocess.run(serve_command(tmp_path, store), input=b"", capture_output=True, timeout=HANG_LIMIT)
        assert after.returncode == 0, after.stderr  # the lock goes with its holder

    run(scenario())


def test_commands_die_with_a_sigkilled_server_and_recovered_turns_get_a_duration(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = str(tmp_path / "threads.sqlite3")
        process = await asyncio.create_subprocess_exec(
            *serve_command(tmp_path, store), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        client = WireClient(StdioChannel(process))
        await client.initialize()
        thread = await client.start_thread(approvalPolicy="never")
        # The shell itself (exec'd into sleep) and a background child of it (which no parent-death signal reaches).
        script = "run: sleep 300 & echo $! > background.pid; echo $$ > shell.pid; exec sleep 300"
        await client.call("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": script}]})
        shell = await asyncio.wait_for(wait_for_file(tmp_path / "shell.pid"), HANG_LIMIT)
        background = await asyncio.wait_for(wait_for_file(tmp_path / "background.pid"), HANG_LIMIT)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await asyncio.wait_for(gone(shell), HANG_LIMIT)  # killed by the kernel with its parent
        async with stdio_server(tmp_path, store) as restarted:
            await asyncio.wait_for(gone(background), HANG_LIMIT)  # killed by the next server's recovery
            await restarted.initialize()
            read = await restarted.call("thread/read", {"threadId": thread["id"], "includeTurns": True})
            turn = read["thread"]["turns"][-1]
            assert turn["status"] == "interrupted" and isinstance(turn["durationMs"], int)

    run(scenario())
