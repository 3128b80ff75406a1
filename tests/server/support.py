"""Helpers for the reference server tests: real `threadloom serve` processes over real pipes and HTTP.

`WireClient` speaks raw JSON-RPC and keeps every message it receives, in order, so tests can
assert event order. Server->client approval requests are answered by `approve` (a callable
returning a decision, or None to leave the request pending).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import orjson

from tests.hang import HANG_LIMIT
from tests.protocol_schemas import ROOT as ROOT
from tests.protocol_schemas import document as document
from tests.protocol_schemas import run as run
from tests.protocol_schemas import schema_errors as schema_errors
from tests.protocol_schemas import validator as validator

THREADLOOM = str(Path(sys.executable).parent / "threadloom")
T = TypeVar("T")
Message = dict[str, Any]
Approver = Callable[[Message], str | None]


def serve_command(workspace: Path, store: str = ":memory:", *extra: str) -> list[str]:
    return [THREADLOOM, "serve", "--store", store, "--workspace", str(workspace), *extra]


class Channel(Protocol):
    async def send(self, data: bytes) -> None: ...

    async def receive(self) -> Message | None: ...


class StdioChannel:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data + b"\n")
        await self.process.stdin.drain()

    async def receive(self) -> Message | None:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            return None
        message: Message = orjson.loads(line)
        return message


@dataclass
class WireClient:
    channel: Channel
    approve: Approver = lambda request: "accept"
    received: list[Message] = field(default_factory=list)
    pending_requests: list[Message] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    async def send(self, message: Message | bytes) -> None:
        await self.channel.send(message if isinstance(message, bytes) else orjson.dumps(message))

    async def next(self) -> Message:
        message = await asyncio.wait_for(self.channel.receive(), HANG_LIMIT)
        assert message is not None, "the server closed the connection"
        self.received.append(message)
        if "method" in message and "id" in message:
            decision = self.approve(message)
            if decision is None:
                self.pending_requests.append(message)
            else:
                await self.answer(message, decision)
        return message

    async def answer(self, request: Message, decision: str) -> None:
        await self.send({"jsonrpc": "2.0", "id": request["id"], "result": {"decision": decision}})

    async def until(self, predicate: Callable[[Message], bool]) -> Message:
        while True:
            message = await self.next()
            if predicate(message):
                return message

    async def request(self, method: str, params: Message | None = None) -> Message:
        """Send a request and read until its response (result or error); everything is kept in `received`."""
        request_id = next(self._ids)
        await self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}})
        return await self.until(lambda message: message.get("id") == request_id and "method" not in message)

    async def call(self, method: str, params: Message | None = None) -> Message:
        response = await self.request(method, params)
        assert "result" in response, f"{method} failed: {response}"
        result: Message = response["result"]
        return result

    async def initialize(self, versions: tuple[int, ...] | None = (2,), experimental: bool = False) -> Message:
        params: Message = {"clientInfo": {"name": "tests", "version": "1"}}
        if versions is not None:
            params["protocolVersions"] = list(versions)
        if experimental:
            params["capabilities"] = {"experimentalApi": True}
        result = await self.call("initialize", params)
        await self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        return result

    async def start_thread(self, **params: Any) -> Message:
        thread: Message = (await self.call("thread/start", params))["thread"]
        await self.until(lambda message: message.get("method") == "thread/started")
        return thread

    async def run_turn(self, thread_id: str, text: str) -> Message:
        """Start a turn and read until its `turn/completed`; the completed turn."""
        turn_id = (await self.call("turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": text}]}))["turn"]["id"]
        done = await self.until(lambda message: is_turn_completed(message, turn_id))
        turn: Message = done["params"]["turn"]
        return turn

    def methods(self, since: int = 0) -> list[str]:
        return [message["method"] for message in self.received[since:] if "method" in message]


def is_turn_completed(message: Message, turn_id: str) -> bool:
    return message.get("method") == "turn/completed" and message["params"]["turn"]["id"] == turn_id


def is_method(name: str) -> Callable[[Message], bool]:
    return lambda message: message.get("method") == name


def turn_messages(received: list[Message], turn_id: str) -> list[Message]:
    """Notifications and server requests of the turn, in arrival order, with the thread's
    `serverRequest/resolved` notifications in between (they carry no turn id)."""
    found: list[Message] = []
    thread_id = None
    for message in received:
        params = message.get("params") or {}
        if params.get("turnId") == turn_id or (params.get("turn") or {}).get("id") == turn_id:
            thread_id = params["threadId"]
            found.append(message)
        elif thread_id is not None and message.get("method") == "serverRequest/resolved" and params["threadId"] == thread_id:
            found.append(message)
        if is_turn_completed(message, turn_id):
            break
    return found


@contextlib.asynccontextmanager
async def stdio_server(workspace: Path, store: str = ":memory:", *extra: str, approve: Approver | None = None) -> AsyncIterator[WireClient]:
    process = await asyncio.create_subprocess_exec(
        *serve_command(workspace, store, *extra),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=16 * 1024 * 1024,
    )
    client = WireClient(StdioChannel(process))
    if approve is not None:
        client.approve = approve
    try:
        yield client
    finally:
        await stop(process)


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), HANG_LIMIT)
        except TimeoutError:
            process.kill()
            await process.wait()


# ---------------------------------------------------------------------- HTTP


@dataclass
class HttpServer:
    process: asyncio.subprocess.Process
    url: str
    token: str

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=httpx.Timeout(HANG_LIMIT, read=None))


@contextlib.asynccontextmanager
async def http_server(workspace: Path, *extra: str) -> AsyncIterator[HttpServer]:
    process = await asyncio.create_subprocess_exec(
        *serve_command(workspace, ":memory:", "--http", "127.0.0.1:0", *extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), HANG_LIMIT)  # the server is ready once it has said so
        announcement = json.loads(line)
        assert announcement["event"] == "listening", line
        yield HttpServer(process, announcement["url"], announcement["token"])
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), HANG_LIMIT)
            except TimeoutError:
                process.kill()
                await process.wait()


class SseChannel:
    """One HTTP session: POST /rpc to send, an SSE stream of /events to receive."""

    def __init__(self, http: httpx.AsyncClient, session: str) -> None:
        self.http = http
        self.session = session
        self.queue: asyncio.Queue[Message | None] = asyncio.Queue()
        self.reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, http: httpx.AsyncClient) -> SseChannel:
        response = await http.post("/session")
        assert response.status_code == 200, response.text
        channel = cls(http, response.json()["sessionId"])
        ready = asyncio.Event()
        channel.reader = asyncio.create_task(channel._read(ready))
        await ready.wait()
        return channel

    async def _read(self, ready: asyncio.Event) -> None:
        try:
            async with self.http.stream("GET", "/events", params={"session": self.session}) as stream:
                ready.set()
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        await self.queue.put(orjson.loads(line[6:]))
        except httpx.HTTPError:
            pass
        finally:
            ready.set()
            await self.queue.put(None)

    async def send(self, data: bytes) -> None:
        response = await self.http.post("/rpc", content=data, headers={"Threadloom-Session": self.session})
        assert response.status_code == 202, response.text

    async def receive(self) -> Message | None:
        return await self.queue.get()

    async def hang_up(self) -> None:
        response = await self.http.request("DELETE", "/session", headers={"Threadloom-Session": self.session})
        assert response.status_code == 204
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


def text_input(text: str) -> list[Message]:
    return [{"type": "text", "text": text}]
