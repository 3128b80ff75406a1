"""Talking to the server under test: stdio JSONL or HTTP + SSE, behind one small interface.

Both start the server command as a child process. `receive()` returns the next server message,
a `BadLine` for output that is not a JSON object, or `None` once the server is gone (its process
exited or its event stream ended); `exit_status()` and `stderr_tail()` explain why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import signal
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

MAX_LINE = 8 * 1024 * 1024 + 1024
STDERR_LINES = 40


@dataclass(frozen=True)
class BadLine:
    text: str
    reason: str


Incoming = dict[str, Any] | BadLine | None


class TransportError(Exception):
    pass


class Transport(Protocol):
    # True when start() returns only once the server is up (HTTP: it announced its URL and opened a
    # session); False when the first server message is the first sign of life (stdio).
    announces_readiness: bool

    async def start(self) -> None: ...
    async def send(self, message: dict[str, Any]) -> None: ...
    async def receive(self) -> Incoming: ...
    async def close(self) -> None: ...
    def exit_status(self) -> int | None: ...
    def stderr_tail(self) -> str: ...


def parse_line(raw: bytes) -> dict[str, Any] | BadLine:
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return BadLine(text[:500], f"not JSON ({error.msg})")
    if not isinstance(value, dict):
        return BadLine(text[:500], "not a JSON object")
    return value


class _Child:
    """The server process: started in its own process group so it and its children end together."""

    def __init__(self, command: str, env: dict[str, str] | None = None, ends_on_eof: bool = True) -> None:
        self.command = command
        self.ends_on_eof = ends_on_eof  # stdio servers end when their input closes; HTTP servers get SIGTERM
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._stderr_task: asyncio.Task[None] | None = None

    async def start(self) -> asyncio.subprocess.Process:
        argv = shlex.split(self.command)
        if not argv:
            raise TransportError("empty server command")
        try:
            self.process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=MAX_LINE,
                start_new_session=True,
                env={**os.environ, **(self.env or {})},
            )
        except OSError as error:
            raise TransportError(f"cannot start server `{self.command}`: {error.strerror or error}") from None
        self._stderr_task = asyncio.create_task(self._collect_stderr())
        return self.process

    async def _collect_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.stderr.append(line.decode("utf-8", errors="replace").rstrip("\n"))

    async def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()
        if not self.ends_on_eof and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 2)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        if self._stderr_task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._stderr_task, 1)

    def exit_status(self) -> int | None:
        return None if self.process is None else self.process.returncode

    def stderr_tail(self) -> str:
        return "\n".join(self.stderr)


class StdioTransport:
    announces_readiness = False

    def __init__(self, command: str, env: dict[str, str] | None = None) -> None:
        self.child = _Child(command, env)

    async def start(self) -> None:
        await self.child.start()

    async def send(self, message: dict[str, Any]) -> None:
        process = self.child.process
        assert process is not None and process.stdin is not None
        try:
            process.stdin.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
            await process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            raise TransportError("the server closed its stdin") from None

    async def receive(self) -> Incoming:
        process = self.child.process
        assert process is not None and process.stdout is not None
        try:
            raw = await process.stdout.readline()
        except ValueError:
            return BadLine("", f"line longer than {MAX_LINE} bytes")
        if not raw:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 2)
            return None
        return parse_line(raw)

    async def close(self) -> None:
        await self.child.stop()

    def exit_status(self) -> int | None:
        return self.child.exit_status()

    def stderr_tail(self) -> str:
        return self.child.stderr_tail()


class HttpTransport:
    """HTTP + SSE: the command prints `{"event":"listening","url":…,"token":…}` on its first stdout line."""

    announces_readiness = True

    def __init__(self, command: str, env: dict[str, str] | None = None, startup_timeout: float = 60.0) -> None:
        self.child = _Child(command, env, ends_on_eof=False)
        self.startup_timeout = startup_timeout
        self._queue: asyncio.Queue[Incoming] = asyncio.Queue()
        self._client: Any = None
        self._session = ""
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import httpx

        process = await self.child.start()
        assert process.stdout is not None
        try:
            first = await asyncio.wait_for(process.stdout.readline(), self.startup_timeout)
        except TimeoutError:
            raise TransportError(f"the server printed no `listening` line within {self.startup_timeout:g}s") from None
        announcement = parse_line(first) if first else BadLine("", "the server exited before announcing its URL")
        if isinstance(announcement, BadLine) or announcement.get("event") != "listening":
            detail = announcement.reason if isinstance(announcement, BadLine) else json.dumps(announcement)
            raise TransportError(f"expected a `listening` line on stdout, got: {detail}")
        headers = {"Authorization": f"Bearer {announcement.get('token', '')}"}
        self._client = httpx.AsyncClient(base_url=str(announcement["url"]), headers=headers, timeout=httpx.Timeout(10.0, read=None))
        reply = await self._client.post("/session")
        if reply.status_code != 200:
            raise TransportError(f"POST /session answered {reply.status_code}: {reply.text[:200]}")
        self._session = reply.json()["sessionId"]
        ready = asyncio.Event()
        self._reader = asyncio.create_task(self._read_events(ready))
        await asyncio.wait_for(ready.wait(), self.startup_timeout)

    async def _read_events(self, ready: asyncio.Event) -> None:
        import httpx

        data: list[str] = []
        try:
            async with self._client.stream("GET", "/events", params={"session": self._session}) as stream:
                ready.set()
                if stream.status_code != 200:
                    await self._queue.put(BadLine("", f"GET /events answered {stream.status_code}"))
                    return
                async for line in stream.aiter_lines():
                    if line.startswith("data:"):
                        data.append(line[5:].lstrip(" "))
                    elif not line and data:
                        await self._queue.put(parse_line("\n".join(data).encode()))
                        data = []
        except httpx.HTTPError:
            pass
        finally:
            ready.set()
            await self._queue.put(None)

    async def send(self, message: dict[str, Any]) -> None:
        import httpx

        body = json.dumps(message, ensure_ascii=False).encode()
        try:
            reply = await self._client.post("/rpc", content=body, headers={"Threadloom-Session": self._session, "Content-Type": "application/json"})
        except httpx.HTTPError as error:
            raise TransportError(f"POST /rpc failed: {error}") from None
        if reply.status_code >= 300:
            raise TransportError(f"POST /rpc answered {reply.status_code}: {reply.text[:200]}")

    async def receive(self) -> Incoming:
        message = await self._queue.get()
        process = self.child.process
        if message is None and process is not None:
            # the event stream ended: give a crashing server a moment so its exit status can be reported
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 2)
        return message

    async def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.request("DELETE", "/session", headers={"Threadloom-Session": self._session})
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._client is not None:
            await self._client.aclose()
        await self.child.stop()

    def exit_status(self) -> int | None:
        return self.child.exit_status()

    def stderr_tail(self) -> str:
        return self.child.stderr_tail()


def make_transport(kind: str, command: str, env: dict[str, str] | None = None) -> Transport:
    if kind == "stdio":
        return StdioTransport(command, env)
    if kind == "http":
        return HttpTransport(command, env)
    raise TransportError(f"unknown transport {kind!r} (stdio or http)")
