"""The connection runs a request's handler at once and makes it a task only if it suspends:
both kinds keep every guarantee (answers, errors, slots, ids, after-response order)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from tests.python_bindings.support import run
from threadloom_runtime.connection import Connection, IncomingRequest, JsonObject, Limits
from threadloom_runtime.errors import ProtocolError


class Transport:
    """In memory; `fail_writes` makes that many writes raise, as a closed pipe would."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.fail_writes = 0

    async def read(self) -> bytes | None:
        return await self.incoming.get()

    async def write(self, data: bytes) -> None:
        if self.fail_writes:
            self.fail_writes -= 1
            raise BrokenPipeError("the peer went away")
        await self.outgoing.put(orjson.loads(data))

    async def close(self) -> None:
        await self.incoming.put(None)

    async def send(self, request_id: int, method: str) -> None:
        await self.incoming.put(orjson.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": {}}))


class Handlers:
    """`wait` suspends until released; `now` answers without suspending; `boom` fails in its first step;
    `announce` answers at once and notifies after its response."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.connection: Connection | None = None
        self.handled: list[str] = []

    def on_request(self, request: IncomingRequest) -> Any:
        return getattr(self, request.method)(request)

    async def wait(self, request: IncomingRequest) -> JsonObject:
        await self.release.wait()
        return {"handled": "after waiting"}

    async def now(self, request: IncomingRequest) -> JsonObject:
        self.handled.append(f"request {request.id}")
        return {"handled": "at once"}

    async def boom(self, request: IncomingRequest) -> JsonObject:
        raise RuntimeError("a bug in the first step")

    async def refuse(self, request: IncomingRequest) -> JsonObject:
        raise ProtocolError(-32010, "No thread has that id.")

    async def announce(self, request: IncomingRequest) -> JsonObject:
        connection = self.connection
        assert connection is not None

        async def after() -> None:
            await connection.notify("announced", {"for": request.id})

        request.after_response.append(after)
        return {"handled": "at once"}

    async def on_notification(self, method: str, params: JsonObject) -> None:
        self.handled.append(method)


def _start(limits: Limits | None = None) -> tuple[Connection, Transport, Handlers]:
    transport, handlers = Transport(), Handlers()
    connection = Connection(transport, handlers, limits)
    handlers.connection = connection
    connection.start()
    return connection, transport, handlers


async def _end(connection: Connection, transport: Transport) -> None:
    await transport.incoming.put(None)
    await connection.wait_closed()


def test_answers_that_need_no_waiting_do_not_hold_a_slot_while_another_request_waits() -> None:
    async def scenario() -> None:
        connection, transport, handlers = _start(Limits(max_in_flight=2))
        await transport.send(1, "wait")
        for request_id in (2, 3, 4):  # one slot left: each must give it back as soon as it answered
            await transport.send(request_id, "now")
            assert await transport.outgoing.get() == {"jsonrpc": "2.0", "id": request_id, "result": {"handled": "at once"}}
        handlers.release.set()
        assert await transport.outgoing.get() == {"jsonrpc": "2.0", "id": 1, "result": {"handled": "after waiting"}}
        await _end(connection, transport)

    run(scenario())


def test_an_id_is_free_again_once_its_request_answered_but_not_while_it_waits() -> None:
    async def scenario() -> None:
        connection, transport, handlers = _start()
        await transport.send(1, "wait")
        await transport.send(1, "now")
        refused = await transport.outgoing.get()
        assert refused["id"] == 1 and refused["error"]["code"] == -32600 and "in flight" in refused["error"]["message"]
        for _ in range(2):  # answered without waiting: the id can be used again at once
            await transport.send(2, "now")
            assert (await transport.outgoing.get())["id"] == 2
        handlers.release.set()
        assert (await transport.outgoing.get())["result"] == {"handled": "after waiting"}
        await _end(connection, transport)

    run(scenario())


def test_failures_in_the_first_step_get_their_error_codes() -> None:
    async def scenario() -> None:
        connection, transport, _ = _start()
        await transport.send(1, "boom")
        assert await transport.outgoing.get() == {"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "Internal error"}}
        await transport.send(2, "refuse")
        assert (await transport.outgoing.get())["error"] == {"code": -32010, "message": "No thread has that id."}
        await _end(connection, transport)

    run(scenario())


def test_after_response_steps_of_an_answer_without_waiting_follow_its_response() -> None:
    async def scenario() -> None:
        connection, transport, _ = _start()
        for request_id in (1, 2):
            await transport.send(request_id, "announce")
        received = [await transport.outgoing.get() for _ in range(4)]
        assert [message.get("id", message.get("params")) for message in received] == [1, {"for": 1}, 2, {"for": 2}]
        await _end(connection, transport)

    run(scenario())


def test_an_answer_that_cannot_be_written_frees_its_slot_and_reading_goes_on() -> None:
    async def scenario() -> None:
        connection, transport, _ = _start(Limits(max_in_flight=1))
        transport.fail_writes = 1
        await transport.send(1, "now")  # its answer is lost with the broken write
        await transport.send(2, "now")
        assert await transport.outgoing.get() == {"jsonrpc": "2.0", "id": 2, "result": {"handled": "at once"}}
        await _end(connection, transport)

    run(scenario())


def test_a_request_still_waiting_at_the_end_is_cancelled_after_the_grace_period() -> None:
    async def scenario() -> None:
        connection, transport, handlers = _start(Limits(shutdown_grace_seconds=0))
        await transport.send(1, "now")
        assert (await transport.outgoing.get())["id"] == 1
        await transport.send(2, "wait")
        await _end(connection, transport)
        assert transport.outgoing.empty() and not handlers.release.is_set()

    run(scenario())


def test_notifications_that_came_first_are_handled_before_a_request_that_needs_no_waiting() -> None:
    async def scenario() -> None:
        transport, handlers = Transport(), Handlers()
        connection = Connection(transport, handlers)
        for method in ("first", "second"):
            await transport.incoming.put(orjson.dumps({"jsonrpc": "2.0", "method": method, "params": {}}))
        await transport.send(1, "now")  # read in the same turn of the loop as the notifications
        connection.start()
        assert (await transport.outgoing.get())["id"] == 1
        await transport.send(2, "now")
        assert (await transport.outgoing.get())["id"] == 2
        assert handlers.handled == ["first", "second", "request 1", "request 2"]
        await _end(connection, transport)

    run(scenario())
