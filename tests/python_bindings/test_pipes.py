"""`PipeLinesTransport` (the server's stdio) over real pipes: framing, pushing in order, backpressure."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from tests.python_bindings.support import run
from threadloom_runtime.connection import Connection, IncomingRequest, JsonObject, Limits
from threadloom_runtime.errors import MessageTooLarge
from threadloom_runtime.framing import OversizedMessage
from threadloom_runtime.pipes import PipeLinesTransport


class Peer:
    """The other ends of the two pipes, written and read with plain blocking I/O in threads."""

    def __init__(self, to_transport: int, from_transport: int) -> None:
        self._to, self._from = to_transport, from_transport
        self._received = b""

    async def send(self, data: bytes) -> None:
        await asyncio.to_thread(os.write, self._to, data)

    def end_input(self) -> None:
        os.close(self._to)

    async def line(self) -> dict[str, Any]:
        while b"\n" not in self._received:
            chunk = await asyncio.to_thread(os.read, self._from, 1 << 16)
            assert chunk, "the transport closed its output"
            self._received += chunk
        line, self._received = self._received.split(b"\n", 1)
        parsed: dict[str, Any] = orjson.loads(line)
        return parsed

    async def read_bytes(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            data += await asyncio.to_thread(os.read, self._from, 1 << 16)
        return data


@contextlib.asynccontextmanager
async def pipes(max_message_bytes: int = 1000) -> AsyncIterator[tuple[PipeLinesTransport, Peer]]:
    into_read, into_write = os.pipe()
    out_read, out_write = os.pipe()
    transport = await PipeLinesTransport.connect(os.fdopen(into_read, "rb", buffering=0), os.fdopen(out_write, "wb", buffering=0), max_message_bytes)
    peer = Peer(into_write, out_read)
    try:
        yield transport, peer
    finally:
        await transport.close()
        with contextlib.suppress(OSError):
            os.close(into_write)
        os.close(out_read)


def test_read_frames_lines_skips_blank_ones_and_refuses_an_oversized_one() -> None:
    async def scenario() -> None:
        async with pipes() as (transport, peer):
            await peer.send(b'{"a":1}\n\n' + b"y" * 5000 + b'\n{"b":2}\n{"c":3}')
            peer.end_input()
            assert await transport.read() == b'{"a":1}'
            with pytest.raises(OversizedMessage) as refused:
                await transport.read()
            assert refused.value.head.startswith(b"yyy") and refused.value.limit_bytes == 1000
            assert await transport.read() == b'{"b":2}'
            assert await transport.read() == b'{"c":3}'  # a last line without a newline still counts
            assert await transport.read() is None

    run(scenario())


def test_pushed_messages_arrive_in_order_and_wait_for_one_still_being_taken() -> None:
    async def scenario() -> None:
        async with pipes() as (transport, peer):
            taken: list[bytes | str] = []
            release: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def receive(item: bytes | MessageTooLarge) -> asyncio.Future[None] | None:
                taken.append(item if isinstance(item, bytes) else "too large")
                return release if item == b"2" else None

            pushing = asyncio.create_task(transport.push_messages(receive))
            await peer.send(b"1\n2\n" + b"z" * 1500 + b"\n3\n4")
            peer.end_input()
            while len(taken) < 2:
                await asyncio.sleep(0)
            for _ in range(10):  # nothing after "2" is taken while it is
                await asyncio.sleep(0)
            assert taken == [b"1", b"2"] and not pushing.done()
            release.set_result(None)
            await pushing  # ends at end of input, once the last message was taken
            assert taken == [b"1", b"2", "too large", b"3", b"4"]

    run(scenario())


def test_a_failure_while_taking_a_message_ends_the_pushing_with_it() -> None:
    async def scenario() -> None:
        async with pipes() as (transport, peer):
            failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def receive(item: bytes | MessageTooLarge) -> asyncio.Future[None] | None:
                if item == b"at once":
                    raise ValueError("at once")
                return failed

            await peer.send(b"at once\n")
            with pytest.raises(ValueError, match="at once"):
                await transport.push_messages(receive)
            failed.set_exception(ValueError("later"))
            await peer.send(b"later\n")
            with pytest.raises(ValueError, match="later"):
                await transport.push_messages(receive)

    run(scenario())


def test_cancelling_the_pushing_cancels_the_message_being_taken() -> None:
    async def scenario() -> None:
        async with pipes() as (transport, peer):
            busy: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            taken = asyncio.Event()

            def receive(item: bytes | MessageTooLarge) -> asyncio.Future[None]:
                taken.set()
                return busy

            pushing = asyncio.create_task(transport.push_messages(receive))
            await peer.send(b"1\n")
            await taken.wait()
            pushing.cancel()
            with pytest.raises(asyncio.CancelledError):
                await pushing
            assert busy.cancelled()

    run(scenario())


def test_a_writer_waits_while_the_peer_does_not_read() -> None:
    async def scenario() -> None:
        async with pipes() as (transport, peer):
            big = b"x" * (2 * 1024 * 1024)
            writing = asyncio.create_task(transport.write(big))
            for _ in range(10):
                await asyncio.sleep(0)
            assert not writing.done()  # more than the pipe and the transport's buffer hold
            assert await peer.read_bytes(len(big) + 1) == big + b"\n"
            await writing

    run(scenario())


class Gate:
    def __init__(self) -> None:
        self.release = asyncio.Event()

    def on_request(self, request: IncomingRequest) -> Any:
        return self._answer(request)

    async def _answer(self, request: IncomingRequest) -> JsonObject:
        if request.method == "wait":
            await self.release.wait()
        return {"id": request.id}

    async def on_notification(self, method: str, params: JsonObject) -> None:
        pass


def test_a_connection_over_pipes_keeps_its_in_flight_limit_and_the_order_of_requests() -> None:
    async def scenario() -> None:
        async with pipes(max_message_bytes=1 << 20) as (transport, peer):
            gate = Gate()
            connection = Connection(transport, gate, Limits(max_in_flight=1))
            connection.start()
            requests = [{"jsonrpc": "2.0", "id": 1, "method": "wait"}, *({"jsonrpc": "2.0", "id": n, "method": "now"} for n in (2, 3))]
            await peer.send(b"".join(orjson.dumps(request) + b"\n" for request in requests))
            gate.release.set()
            assert [(await peer.line())["id"] for _ in range(3)] == [1, 2, 3]  # 2 and 3 waited for the one slot
            peer.end_input()
            await connection.wait_closed()

    run(scenario())


class Announcer:
    """Answers with a result of about 10 KB and notifies after each response."""

    def __init__(self) -> None:
        self.connection: Connection | None = None

    def on_request(self, request: IncomingRequest) -> Any:
        return self._answer(request)

    async def _answer(self, request: IncomingRequest) -> JsonObject:
        connection = self.connection
        assert connection is not None

        async def after() -> None:
            await connection.notify("announced", {"for": request.id})

        request.after_response.append(after)
        return {"id": request.id, "pad": "x" * 10_000}

    async def on_notification(self, method: str, params: JsonObject) -> None:
        pass


def test_every_answer_to_a_chunk_of_requests_comes_before_its_own_notifications() -> None:
    async def scenario() -> None:
        async with pipes(max_message_bytes=1 << 20) as (transport, peer):
            announcer = Announcer()
            connection = Connection(transport, announcer)
            announcer.connection = connection
            connection.start()
            count = 20  # ~200 KB of answers: more than is held back at once, more than the pipe holds
            await peer.send(b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"m"}\n' % n for n in range(count)))
            received = [await peer.line() for _ in range(2 * count)]
            order = [("answer", message["id"]) if "id" in message else ("notification", message["params"]["for"]) for message in received]
            assert sorted(order) == sorted((kind, n) for n in range(count) for kind in ("answer", "notification"))
            assert all(order.index(("answer", n)) < order.index(("notification", n)) for n in range(count))
            peer.end_input()
            await connection.wait_closed()

    run(scenario())
