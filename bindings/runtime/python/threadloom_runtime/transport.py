"""Transports: how whole messages move. The connection never sees framing.

A transport reads and writes one JSON-RPC message (bytes) at a time. The stdio transports frame
messages as JSON lines. An HTTP+SSE transport only has to implement the same three methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from threadloom_runtime.errors import ConnectionClosed, MessageTooLarge
from threadloom_runtime.framing import SNIFF_BYTES as SNIFF_BYTES
from threadloom_runtime.framing import LineFramer
from threadloom_runtime.framing import OversizedMessage as OversizedMessage

if TYPE_CHECKING:
    from threadloom_runtime.pipes import PipeLinesTransport

DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024
_CHUNK = 64 * 1024


class Transport(Protocol):
    async def read(self) -> bytes | None:
        """The next message, or None at end of input. May raise `MessageTooLarge` (then keep reading)."""
        ...

    async def write(self, data: bytes) -> None:
        """Send one message; waits while the peer is slow to read (backpressure)."""
        ...

    async def close(self) -> None: ...


# Takes one message, or the error for one discarded as too large; returns None when it is done with
# it, or a future (a task) while it still works on it (nothing more is pushed until that ends).
Receive = Callable[[bytes | MessageTooLarge], "asyncio.Future[Any] | None"]


class PushTransport(Transport, Protocol):
    """A transport that can also push messages as they arrive (`pipes.PipeLinesTransport`): the
    connection then takes each one within the event loop's data callback instead of waking a
    reading task for it. The connection uses `push_messages` when the transport has it."""

    async def push_messages(self, receive: Receive) -> None:
        """Hand every message to `receive`, in order, until end of input; return once the last one
        is done with. An exception raised by `receive` (or by the future it returned) ends it here."""
        ...


class JsonLinesTransport:
    """JSON lines over an asyncio stream pair (framing and its size limit: `framing.LineFramer`)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self._reader = reader
        self._writer = writer
        self._lines = LineFramer(max_message_bytes)

    async def read(self) -> bytes | None:
        while (line := self._lines.next_line()) is None:
            chunk = await self._reader.read(_CHUNK)
            if not chunk:
                return self._lines.last_line()
            self._lines.feed(chunk)
        return line

    async def write(self, data: bytes) -> None:
        self._writer.write(data + b"\n")
        await self._writer.drain()

    async def close(self) -> None:
        if self._writer.is_closing():
            return
        self._writer.close()
        # A pipe writer built on FlowControlMixin (stdio) has no close waiter: NotImplementedError.
        with contextlib.suppress(ConnectionError, BrokenPipeError, NotImplementedError):
            await self._writer.wait_closed()


def _streamable(fd: int) -> bool:
    """Pipes and sockets go through the event loop; files and character devices (a terminal,
    /dev/null) through blocking I/O in a thread: uvloop aborts the process on a write pipe that is
    a character device."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class FileLinesTransport:
    """JSON lines over plain files (stdin/stdout redirected to files): blocking I/O in a thread."""

    def __init__(self, source: BinaryIO, sink: BinaryIO, max_message_bytes: int) -> None:
        self._source, self._sink, self._limit = source, sink, max_message_bytes

    async def read(self) -> bytes | None:
        while True:
            line = await asyncio.to_thread(self._source.readline, self._limit + 2)
            if not line:
                return None
            if len(line) > self._limit + 1 or (len(line) == self._limit + 1 and not line.endswith(b"\n")):
                tail = await asyncio.to_thread(self._skip_rest)
                raise OversizedMessage(self._limit, line[:SNIFF_BYTES], tail)
            if line.strip():
                return line.rstrip(b"\r\n")

    def _skip_rest(self) -> bytes:
        """Discard the rest of an oversized line; its last SNIFF_BYTES."""
        tail = b""
        while chunk := self._source.readline(_CHUNK):
            tail = (tail + chunk)[-SNIFF_BYTES:]
            if chunk.endswith(b"\n"):
                break
        return tail.rstrip(b"\r\n")

    async def write(self, data: bytes) -> None:
        await asyncio.to_thread(self._write, data + b"\n")

    def _write(self, data: bytes) -> None:
        self._sink.write(data)
        self._sink.flush()

    async def close(self) -> None:
        await asyncio.to_thread(self._sink.flush)


async def stdio_transport(max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, already_read: bytes = b"") -> PipeLinesTransport | FileLinesTransport:
    """Server side: this process's stdin and stdout. Log to stderr: stdout carries the protocol.

    `already_read`: bytes taken from stdin before (by `threadloom_runtime.early`), read first; pipes only."""
    if not (_streamable(sys.stdin.fileno()) and _streamable(sys.stdout.fileno())):
        if already_read:
            raise ValueError("bytes already read from stdin can only be handed to a pipe transport")
        return FileLinesTransport(sys.stdin.buffer, sys.stdout.buffer, max_message_bytes)
    from threadloom_runtime.pipes import PipeLinesTransport

    # A duplicate of fd 1 so closing the transport never closes Python's own sys.stdout.
    stdout = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    return await PipeLinesTransport.connect(sys.stdin.buffer, stdout, max_message_bytes, already_read)


class SubprocessTransport(JsonLinesTransport):
    """Client side: spawn a server process and talk to it over its stdin/stdout.

    The server's stderr is passed through to ours and its tail is kept, so when the server dies
    `end_reason` says how (exit status, last stderr lines) and waiting requests fail with it.
    """

    STDERR_TAIL_BYTES = 2048
    EXIT_WAIT_SECONDS = 10.0  # after stdout closes, how long to wait for the exit status (a hang detector)

    def __init__(self, process: asyncio.subprocess.Process, max_message_bytes: int) -> None:
        assert process.stdout is not None and process.stdin is not None
        super().__init__(process.stdout, process.stdin, max_message_bytes)
        self.process = process
        self.end_reason: str | None = None
        self._stderr_tail = bytearray()
        self._stderr_pump = asyncio.create_task(self._pump_stderr()) if process.stderr is not None else None

    @classmethod
    async def spawn(
        cls,
        command: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> SubprocessTransport:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=cwd,
            limit=_CHUNK * 2,
        )
        return cls(process, max_message_bytes)

    async def _pump_stderr(self) -> None:
        assert self.process.stderr is not None
        while chunk := await self.process.stderr.read(_CHUNK):
            with contextlib.suppress(OSError, ValueError, AttributeError):  # our stderr may be closed or replaced
                sys.stderr.buffer.write(chunk)
                sys.stderr.buffer.flush()
            self._stderr_tail += chunk
            del self._stderr_tail[: -self.STDERR_TAIL_BYTES]

    async def read(self) -> bytes | None:
        try:
            data = await super().read()
        except (ConnectionError, OSError):
            data = None
        if data is None:
            await self._describe_end()
        return data

    async def write(self, data: bytes) -> None:
        try:
            await super().write(data)
        except (ConnectionError, OSError) as failure:
            await self._describe_end()
            raise ConnectionClosed(f"cannot write to the server ({self.end_reason})") from failure

    async def _describe_end(self) -> None:
        """The server closed its stdout: wait (boundedly) for its exit status and stderr, and say what happened."""
        if self.end_reason is not None:
            return
        try:
            status = await asyncio.wait_for(self.process.wait(), self.EXIT_WAIT_SECONDS)
        except TimeoutError:
            self.end_reason = "the server closed its stdout but is still running"
            return
        if self._stderr_pump is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._stderr_pump), self.EXIT_WAIT_SECONDS)
        tail = bytes(self._stderr_tail).decode("utf-8", "replace").strip()
        how = f"killed by signal {-status}" if status < 0 else f"exited with status {status}"
        self.end_reason = f"the server {how}" + (f"; its stderr ended with:\n{tail}" if tail else "; its stderr was empty")

    async def close(self, timeout: float = 5.0) -> None:
        """Close the server's stdin (its EOF: a graceful shutdown) and wait for it to exit."""
        with contextlib.suppress(ConnectionError, OSError):
            await super().close()
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        if self._stderr_pump is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._stderr_pump), timeout)
