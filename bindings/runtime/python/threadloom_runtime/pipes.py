"""JSON lines over a pair of pipes on the event loop's own protocols: the server's stdin and stdout.

Besides `read`/`write`/`close` (the `Transport` shape), `PipeLinesTransport.push_messages` pushes each
message to the connection from the loop's data callback: a request answered without waiting (a
read from memory) is then read, handled and answered within one callback, with no future to wake
a reading task and no extra turn of the event loop. When the connection has to wait on a message
(a full in-flight window, a slow peer), the message's continuation is a task: reading pauses and
the messages after it wait for that task, so they are still handled one after another, in order.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any, BinaryIO, cast

from threadloom_runtime.errors import MessageTooLarge
from threadloom_runtime.framing import LineFramer, OversizedMessage
from threadloom_runtime.transport import Receive

_PAUSE_BYTES = 256 * 1024  # lines waiting beyond this: stop reading the pipe until they are taken
_HELD_BYTES = 64 * 1024  # output held while a chunk of input is taken: written out beyond this


class PipeLinesTransport:
    def __init__(self, reading: LineReader, write_pipe: asyncio.WriteTransport, writing: PipeWriter) -> None:
        self._reading = reading
        self._pipe = write_pipe
        self._writing = writing
        self._held: list[bytes] | None = None  # see `hold_writes`
        self._held_bytes = 0

    @classmethod
    async def connect(cls, source: BinaryIO, sink: BinaryIO, max_message_bytes: int, already_read: bytes = b"") -> PipeLinesTransport:
        """`already_read`: bytes taken from `source` before (the early handshake's), delivered first."""
        loop = asyncio.get_running_loop()
        reading = LineReader(max_message_bytes)
        if already_read:
            reading.feed(already_read)
        await loop.connect_read_pipe(lambda: reading, source)
        writing = PipeWriter()
        write_pipe, _ = await loop.connect_write_pipe(lambda: writing, sink)
        return cls(reading, write_pipe, writing)

    async def read(self) -> bytes | None:
        return await self._reading.read()

    async def push_messages(self, receive: Receive) -> None:
        """See `transport.PushTransport`; `receive` runs in a copy of this task's context."""
        await self._reading.deliver(receive, contextvars.copy_context(), self)

    async def write(self, data: bytes) -> None:
        if self._pipe.is_closing():
            raise ConnectionResetError("the peer closed the pipe")
        held = self._held
        if held is not None and not self._writing.paused and self._reading.has_line():
            # More requests of this chunk wait to be taken: their answers can leave together.
            held += (data, b"\n")
            self._held_bytes += len(data) + 1
            if self._held_bytes >= _HELD_BYTES:
                self._write_held()
            return
        self._write_held()  # what was held goes first
        self._pipe.write(data + b"\n")
        if self._writing.paused:
            await self._writing.drained()

    def hold_writes(self) -> None:
        """Collect what is written until `release_writes` while more pushed requests wait to be taken:
        the answers to a chunk of requests (and their after-response notifications, in order) leave in
        one write instead of one each, and the answer to the chunk's last request leaves at once."""
        if self._held is None:
            self._held, self._held_bytes = [], 0

    def release_writes(self) -> None:
        self._write_held()
        self._held = None

    def _write_held(self) -> None:
        held = self._held
        if held:
            if not self._pipe.is_closing():  # else the reader is gone: nothing can reach it
                self._pipe.write(b"".join(held))
            held.clear()
            self._held_bytes = 0

    async def close(self) -> None:
        if not self._pipe.is_closing():
            self._pipe.close()  # what is buffered is still written


class PipeWriter(asyncio.BaseProtocol):
    """Flow control of the write pipe: writers wait while the pipe's buffer is over its high-water mark."""

    def __init__(self) -> None:
        self.paused = False
        self._waiters: list[asyncio.Future[None]] = []
        self._lost: BaseException | None = None

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._wake(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = exc or ConnectionResetError("the write pipe closed")
        self.paused = False
        self._wake(self._lost)

    async def drained(self) -> None:
        if self._lost is not None:
            raise self._lost
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    def _wake(self, error: BaseException | None) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if waiter.done():
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)


class LineReader(asyncio.Protocol):
    """The read pipe's protocol: frames lines, and either queues them for `read` or pushes them."""

    def __init__(self, max_message_bytes: int) -> None:
        self._lines = LineFramer(max_message_bytes)
        self._pipe: asyncio.ReadTransport | None = None
        self._paused = False
        self._ended = False  # end of input (or a read error, which ends input the same way)
        self._waiter: asyncio.Future[None] | None = None  # `read` waiting for data
        # Push mode (`deliver`):
        self._receive: Receive | None = None
        self._context: contextvars.Context | None = None
        self._busy: asyncio.Future[Any] | None = None  # what `receive` is still working on
        self._output: PipeLinesTransport | None = None  # holds its writes while lines are pushed
        self._finished: asyncio.Future[None] | None = None

    # -- the pipe's callbacks ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._pipe = cast(asyncio.ReadTransport, transport)  # uvloop's pipes do not subclass asyncio's ABCs

    def feed(self, data: bytes) -> None:
        """Input read before the pipe was connected: framed ahead of what the pipe brings."""
        self._lines.feed(data)

    def data_received(self, data: bytes) -> None:
        self._lines.feed(data)
        if self._receive is not None:
            self._pump()
            return
        if self._lines.buffered_bytes > _PAUSE_BYTES and self._lines.has_line():
            self._pause()
        self._wake_reader()

    def eof_received(self) -> bool:
        self._end()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        if self._receive is not None:
            self._pump()
        self._wake_reader()

    # -- pull --------------------------------------------------------------------------------------

    async def read(self) -> bytes | None:
        while (line := self._lines.next_line()) is None:
            if self._ended:
                return self._lines.last_line()
            self._resume()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return line

    def has_line(self) -> bool:
        return self._lines.has_line()

    def _wake_reader(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- push --------------------------------------------------------------------------------------

    async def deliver(self, receive: Receive, context: contextvars.Context, output: PipeLinesTransport) -> None:
        if self._receive is not None:
            raise RuntimeError("this pipe already delivers its messages")
        finished = self._finished = asyncio.get_running_loop().create_future()
        self._receive, self._context, self._output = receive, context, output
        try:
            self._pump()
            await finished
        finally:
            self._receive = self._context = self._finished = self._output = None
            busy, self._busy = self._busy, None
            if busy is not None:
                busy.cancel()  # delivery cancelled (the connection closed) while a message was in progress

    def _pump(self) -> None:
        output = self._output
        if output is None:
            self._deliver_lines()
            return
        output.hold_writes()
        try:
            self._deliver_lines()
        finally:
            output.release_writes()

    def _deliver_lines(self) -> None:
        """Deliver the waiting lines, in order, until `receive` needs time for one or the lines run out."""
        receive, context, finished = self._receive, self._context, self._finished
        assert receive is not None and context is not None and finished is not None
        while self._busy is None and not finished.done():
            item: bytes | MessageTooLarge | None
            try:
                item = self._lines.next_line()
                if item is None and self._ended:
                    item = self._lines.last_line()
                    if item is None:
                        finished.set_result(None)
                        return
            except OversizedMessage as too_large:
                item = too_large
            if item is None:
                self._resume()
                return
            try:
                busy = context.run(receive, item)
            except BaseException as failure:  # it ends the delivery, raised from `deliver`
                finished.set_exception(failure)
                return
            if busy is not None:
                self._busy = busy
                self._pause()
                busy.add_done_callback(self._taken)

    def _taken(self, busy: asyncio.Future[Any]) -> None:
        if busy is not self._busy:
            return  # delivery ended meanwhile
        self._busy = None
        finished = self._finished
        if finished is None or finished.done():
            return
        if busy.cancelled():
            finished.cancel()
        elif (failure := busy.exception()) is not None:
            finished.set_exception(failure)
        else:
            self._pump()

    # -- flow control ------------------------------------------------------------------------------

    def _pause(self) -> None:
        if not self._paused and not self._ended and self._pipe is not None:
            self._paused = True
            self._pipe.pause_reading()

    def _resume(self) -> None:
        if self._paused and not self._ended and self._pipe is not None:
            self._paused = False
            self._pipe.resume_reading()
