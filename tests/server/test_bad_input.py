"""Bad input on the wire: each gets the protocol's error and the server keeps serving."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from tests.hang import HANG_LIMIT

from .support import THREADLOOM, run, serve_command, stdio_server


def test_errors_before_and_after_initialize(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path, ":memory:", "--max-message-bytes", "4096") as client:
            early = await client.request("thread/list")
            assert early["error"]["code"] == -32002
            await client.send(b'{"jsonrpc":"2.0","id":1,"method":')
            parse = await client.next()
            assert parse == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": parse["error"]["message"]}}
            await client.initialize()
            again = await client.request("initialize", {"clientInfo": {"name": "x", "version": "1"}})
            assert again["error"]["code"] == -32003
            unknown = await client.request("thread/explode", {})
            assert unknown["error"]["code"] == -32601
            wrong_type = await client.request("thread/read", {"threadId": 42})
            assert wrong_type["error"]["code"] == -32602 and wrong_type["error"]["data"]["path"] == "/threadId"
            missing = await client.request("turn/start", {"threadId": "x"})
            assert missing["error"]["code"] == -32602 and missing["error"]["data"]["path"] in ("", "/input")
            bad_input = await client.request("turn/start", {"threadId": "x", "input": [{"type": "text", "text": 5}]})
            assert bad_input["error"]["code"] == -32602
            await client.send(b'{"jsonrpc":"2.0","id":77,"method":"thread/list","params":{"cwd":"' + b"x" * 5000 + b'"}}')
            too_large = await client.next()
            assert too_large["error"]["code"] == -32004 and too_large["error"]["data"] == {"limitBytes": 4096}
            await client.send(b"[1,2,3]")
            assert (await client.next())["error"]["code"] == -32600
            # Still serving, and a turn still works.
            thread = await client.start_thread()
            assert (await client.run_turn(thread["id"], "still alive"))["status"] == "completed"

    run(scenario())


def test_a_broken_store_file_is_a_clear_error_at_start(tmp_path: Path) -> None:
    store = tmp_path / "broken.sqlite3"
    garbage = b"this is not a database\n" * 200
    store.write_bytes(garbage)
    result = subprocess.run(serve_command(tmp_path, str(store)), input=b"", capture_output=True, timeout=HANG_LIMIT)
    assert result.returncode == 2
    assert result.stdout == b""
    stderr = result.stderr.decode()
    assert "cannot open thread store" in stderr and str(store) in stderr and "Traceback" not in stderr
    assert store.read_bytes() == garbage, "the file is left untouched"


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    for extra in (["--http", "127.0.0.1:99999"], ["--token", "x"], ["--command-timeout", "0"]):
        result = subprocess.run([THREADLOOM, "serve", "--store", ":memory:", *extra], input=b"", capture_output=True, timeout=HANG_LIMIT)
        assert result.returncode == 2, (extra, result)
        assert b"Traceback" not in result.stderr


def test_client_closing_stdin_ends_the_server_cleanly(tmp_path: Path) -> None:
    async def scenario() -> None:
        process = await asyncio.create_subprocess_exec(
            *serve_command(tmp_path), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        _, stderr = await process.communicate(b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"x","version":"1"}}}\n')
        assert process.returncode == 0 and b"Traceback" not in stderr

    run(scenario())
