"""`threadloom serve --http` over real HTTP + SSE: the listening line, sessions, concurrency, disconnects."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.hang import HANG_LIMIT

from .support import Message, SseChannel, WireClient, http_server, is_method, is_turn_completed, run, serve_command, text_input

LISTENING = re.compile(rb'\{"event":"listening","url":"http://127\.0\.0\.1:(\d+)","token":"([^"]+)"\}\n')


async def connect(http: httpx.AsyncClient, approve: str | None = "accept") -> tuple[WireClient, SseChannel]:
    channel = await SseChannel.open(http)
    client = WireClient(channel, approve=lambda request: approve)
    await client.initialize()
    return client, channel


def test_listening_line_health_and_token(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path, "--token", "s3cret", "--allow-origin", "http://app.example") as server:
            assert server.token == "s3cret" and server.url.startswith("http://127.0.0.1:")
            async with httpx.AsyncClient(base_url=server.url) as anonymous:
                assert (await anonymous.get("/healthz")).status_code == 200
                assert (await anonymous.post("/session")).status_code == 401
            async with server.client() as http:
                allowed = await http.post("/session", headers={"Origin": "http://app.example"})
                assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "http://app.example"
                assert (await http.post("/session", headers={"Origin": "http://evil.example"})).status_code == 403
            process = server.process
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), HANG_LIMIT) == 0
            assert process.stdout is not None and await process.stdout.read() == b"", "nothing but the listening line on stdout"

    run(scenario())


def test_the_listening_line_is_exact_and_the_token_is_generated(tmp_path: Path) -> None:
    async def scenario() -> None:
        process = await asyncio.create_subprocess_exec(
            *serve_command(tmp_path, ":memory:", "--http", ":0"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), HANG_LIMIT)  # readiness: the server's first line
            match = LISTENING.fullmatch(line)
            assert match is not None, line
            port, token = int(match[1]), match[2].decode()
            assert port > 0 and len(token) >= 16
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}) as http:
                assert (await http.post("/session")).status_code == 200
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), HANG_LIMIT)

    run(scenario())


def test_concurrent_turns_across_sessions(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path) as server, server.client() as http:
            sessions = [await connect(http) for _ in range(3)]
            threads = [await client.start_thread() for client, _ in sessions]

            async def one(index: int) -> dict[str, object]:
                client, _ = sessions[index]
                return await client.run_turn(threads[index]["id"], f"run: sleep 0.2; echo session{index}\nsaid {index}")

            turns = await asyncio.gather(*(one(index) for index in range(3)))
            for index, turn in enumerate(turns):
                assert turn["status"] == "completed"
                assert turn["items"][1]["aggregatedOutput"] == f"session{index}\n"  # type: ignore[index]
                client, _ = sessions[index]
                approvals = [m for m in client.received if m.get("method") == "item/commandExecution/requestApproval"]
                assert len(approvals) == 1 and approvals[0]["params"]["threadId"] == threads[index]["id"], "each session is asked about its own turn"
            busy_client, _ = sessions[0]
            started = await busy_client.call("turn/start", {"threadId": threads[0]["id"], "input": text_input("sleep: 30")})
            other_client, _ = sessions[1]
            refused = await other_client.request("turn/start", {"threadId": threads[0]["id"], "input": text_input("me too")})
            assert refused["error"]["code"] == -32012 and refused["error"]["data"]["activeTurnId"] == started["turn"]["id"]
            await busy_client.call("turn/interrupt", {"threadId": threads[0]["id"], "turnId": started["turn"]["id"]})
            done = await busy_client.until(lambda m: is_turn_completed(m, started["turn"]["id"]))
            assert done["params"]["turn"]["status"] == "interrupted"

    run(scenario())


def test_disconnect_mid_approval_interrupts_the_turn_and_others_keep_working(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path) as server, server.client() as http:
            owner, owner_channel = await connect(http, approve=None)
            watcher, _ = await connect(http)
            thread = await owner.start_thread()
            await watcher.call("thread/resume", {"threadId": thread["id"]})
            turn_id = (await owner.call("turn/start", {"threadId": thread["id"], "input": text_input("run: touch never.txt")}))["turn"]["id"]
            await owner.until(is_method("item/commandExecution/requestApproval"))
            await owner_channel.hang_up()
            done = await watcher.until(lambda m: is_turn_completed(m, turn_id))
            assert done["params"]["turn"]["status"] == "interrupted"
            assert done["params"]["turn"]["items"][1]["status"] == "declined"
            assert not (tmp_path / "never.txt").exists()
            # The watcher saw the whole turn but was never asked to approve it.
            assert not [m for m in watcher.received if m.get("method", "").endswith("requestApproval")]
            again = await watcher.run_turn(thread["id"], "run: echo carry on")
            assert again["status"] == "completed" and again["items"][1]["aggregatedOutput"] == "carry on\n"

    run(scenario())


def test_sigterm_interrupts_running_turns_over_http(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path) as server, server.client() as http:
            client, _ = await connect(http)
            thread = await client.start_thread()
            turn_id = (await client.call("turn/start", {"threadId": thread["id"], "input": text_input("sleep: 30")}))["turn"]["id"]
            await client.until(is_method("turn/started"))
            server.process.send_signal(signal.SIGTERM)
            done = await client.until(lambda m: is_turn_completed(m, turn_id))
            assert done["params"]["turn"]["status"] == "interrupted"
            assert await asyncio.wait_for(server.process.wait(), HANG_LIMIT) == 0
            assert server.process.stderr is not None
            stderr = await server.process.stderr.read()
            assert b"Traceback" not in stderr and b"ERROR" not in stderr, stderr.decode()

    run(scenario())


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(serve_command(tmp_path, ":memory:", "--http", f"127.0.0.1:{port}"), capture_output=True, timeout=HANG_LIMIT)
    assert result.returncode == 2 and result.stdout == b""
    assert f"cannot listen on 127.0.0.1:{port}".encode() in result.stderr and b"Traceback" not in result.stderr


async def read_sse(http: httpx.AsyncClient, session: str, last_event_id: str | None, stop: Callable[[Message], bool]) -> list[tuple[int, Message]]:
    """Events of one GET /events, until `stop(message)` is true."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    events: list[tuple[int, Message]] = []
    event_id = 0
    async with http.stream("GET", "/events", params={"session": session}, headers=headers) as stream:
        async for line in stream.aiter_lines():
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("data: "):
                events.append((event_id, json.loads(line[6:])))
                if stop(events[-1][1]):
                    break
    return events


def test_reconnecting_with_last_event_id_misses_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path) as server, server.client() as http:
            session = (await http.post("/session")).json()["sessionId"]

            async def post(message: Message) -> None:
                assert (await http.post("/rpc", json=message, headers={"Threadloom-Session": session})).status_code == 202

            await post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "sse", "version": "1"}, "protocolVersions": [2]}})
            await post({"jsonrpc": "2.0", "id": 2, "method": "thread/start", "params": {"approvalPolicy": "never"}})
            first = await read_sse(http, session, None, lambda message: message.get("method") == "thread/started")
            thread_id = first[-1][1]["params"]["thread"]["id"]
            await post(
                {"jsonrpc": "2.0", "id": 3, "method": "turn/start", "params": {"threadId": thread_id, "input": text_input("run: echo a\nsome words here")}}
            )
            # The stream drops after two events of the turn; the client reconnects from the last id it saw.
            part = await read_sse(http, session, str(first[-1][0]), lambda message: message.get("method") == "turn/started")
            rest = await read_sse(http, session, str(part[-1][0]), lambda message: message.get("method") == "turn/completed")
            ids = [event_id for event_id, _ in first + part + rest]
            assert ids == list(range(1, len(ids) + 1)), "every event exactly once, in order"
            methods = [message.get("method", "reply") for _, message in part + rest]
            assert methods[:2] == ["reply", "turn/started"] and methods[-1] == "turn/completed"
            assert "item/commandExecution/outputDelta" in methods and methods.count("item/agentMessage/delta") == 3

    run(scenario())
