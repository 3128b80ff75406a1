"""The JSON-RPC runtime in isolation: in-memory transports, framing, limits, shutdown, downgrading."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from tests.python_bindings.support import run
from threadloom_protocol.v2 import methods as methods2
from threadloom_runtime.binding import OMIT, downgrade
from threadloom_runtime.connection import Connection, IncomingRequest, JsonObject, Limits
from threadloom_runtime.errors import ConnectionClosed, MessageTooLarge, ProtocolError
from threadloom_runtime.transport import JsonLinesTransport


class MemoryTransport:
    """One end of an in-memory pipe; `peer_*` is the other end, driven by the test."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def read(self) -> bytes | None:
        return await self.incoming.get()

    async def write(self, data: bytes) -> None:
        await self.outgoing.put(orjson.loads(data))

    async def close(self) -> None:
        await self.incoming.put(None)


class Gate:
    """A dispatcher whose request handlers wait until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.notifications: list[str] = []

    def on_request(self, request: IncomingRequest) -> asyncio.Future[JsonObject] | Any:
        if request.method == "fail":
            raise ProtocolError(-32010, "No thread has that id.", {"threadId": "x"})
        return self._answer(request)

    async def _answer(self, request: IncomingRequest) -> JsonObject:
        await self.release.wait()
        return {"echo": request.params}

    async def on_notification(self, method: str, params: JsonObject) -> None:
        self.notifications.append(method)


def _connection(limits: Limits | None = None) -> tuple[Connection, MemoryTransport, Gate]:
    transport, gate = MemoryTransport(), Gate()
    return Connection(transport, gate, limits), transport, gate


def test_oversized_messages_get_message_too_large_and_the_connection_goes_on() -> None:
    async def scenario() -> None:
        connection, transport, gate = _connection(Limits(max_message_bytes=64))
        connection.start()
        await transport.incoming.put(b'{"jsonrpc":"2.0","method":"n","params":{"pad":"' + b"x" * 100 + b'"}}')
        assert await transport.outgoing.get() == {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32004, "message": "Message too large: the limit is 64 bytes", "data": {"limitBytes": 64}},
        }
        gate.release.set()
        await transport.incoming.put(b'{"jsonrpc":"2.0","id":1,"method":"m","params":{}}')
        assert (await transport.outgoing.get())["result"] == {"echo": {}}
        await transport.incoming.put(None)
        await connection.wait_closed()

    run(scenario())


def test_requests_beyond_the_in_flight_limit_wait_instead_of_being_refused() -> None:
    async def scenario() -> None:
        connection, transport, gate = _connection(Limits(max_in_flight=2))
        connection.start()
        for request_id in (1, 2, 1, 3):  # the second 1 comes while 1 is in flight; 3 waits for a slot
            await transport.incoming.put(b'{"jsonrpc":"2.0","id":%d,"method":"m","params":{}}' % request_id)
        duplicate = await transport.outgoing.get()
        assert duplicate["id"] == 1 and duplicate["error"]["code"] == -32600 and "in flight" in duplicate["error"]["message"]
        gate.release.set()
        answers = [await transport.outgoing.get() for _ in range(3)]
        assert sorted(answer["id"] for answer in answers) == [1, 2, 3] and all("result" in answer for answer in answers)
        await transport.incoming.put(None)
        await connection.wait_closed()

    run(scenario())


def test_synchronous_rejections_and_invalid_envelopes() -> None:
    async def scenario() -> None:
        connection, transport, _ = _connection()
        connection.start()
        await transport.incoming.put(b'{"jsonrpc":"2.0","id":3,"method":"fail","params":{}}')
        assert (await transport.outgoing.get())["error"] == {"code": -32010, "message": "No thread has that id.", "data": {"threadId": "x"}}
        await transport.incoming.put(b'{"jsonrpc":"2.0","id":true,"method":"m","params":{}}')
        assert (await transport.outgoing.get())["error"]["code"] == -32600
        await transport.incoming.put(b'[{"jsonrpc":"2.0","id":4,"method":"m"}]')
        assert (await transport.outgoing.get())["error"]["code"] == -32600
        await transport.incoming.put(b'{"jsonrpc":"2.0","id":5,"method":"m","params":[1]}')
        assert (await transport.outgoing.get())["error"]["code"] == -32602
        await transport.incoming.put(None)
        await connection.wait_closed()

    run(scenario())


def test_pending_requests_fail_clearly_when_the_peer_goes_away() -> None:
    async def scenario() -> None:
        connection, transport, _ = _connection()
        connection.start()
        pending = asyncio.create_task(connection.request("item/commandExecution/requestApproval", {}))
        sent = await transport.outgoing.get()
        assert sent["method"] == "item/commandExecution/requestApproval"
        await transport.incoming.put(None)  # EOF before the answer
        with pytest.raises(ConnectionClosed, match="requestApproval"):
            await pending
        with pytest.raises(ConnectionClosed):
            await connection.request("again", {})

    run(scenario())


def test_notifications_are_delivered_in_order() -> None:
    async def scenario() -> None:
        connection, transport, gate = _connection()
        connection.start()
        for index in range(20):
            await transport.incoming.put(orjson.dumps({"jsonrpc": "2.0", "method": f"n{index}", "params": {}}))
        await transport.incoming.put(None)
        await connection.wait_closed()
        assert gate.notifications == [f"n{index}" for index in range(20)]

    run(scenario())


def test_json_lines_framing_discards_an_overlong_line_and_keeps_reading() -> None:
    async def scenario() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(b'{"a":1}\n\n' + b"y" * 200_000 + b'\n{"b":2}\n{"c":3}')
        reader.feed_eof()
        transport = JsonLinesTransport(reader, writer=None, max_message_bytes=1000)  # type: ignore[arg-type]
        assert await transport.read() == b'{"a":1}'
        with pytest.raises(MessageTooLarge):
            await transport.read()
        assert await transport.read() == b'{"b":2}'
        assert await transport.read() == b'{"c":3}'  # a last line without a newline still counts
        assert await transport.read() is None

    run(scenario())


def test_downgrade_omits_newer_variants_and_members_for_an_older_peer() -> None:
    turn = {
        "id": "t",
        "status": "completed",
        "error": None,
        "startedAt": 1,
        "durationMs": 2,
        "items": [{"type": "plan", "id": "p", "steps": []}, {"type": "commandExecution", "id": "c", "durationMs": 3}],
    }
    shaped = downgrade(methods2.SHAPES, "TurnCompletedParams", {"threadId": "x", "turn": turn}, 1)
    assert shaped == {"threadId": "x", "turn": {"id": "t", "status": "completed", "error": None, "items": [{"type": "commandExecution", "id": "c"}]}}
    item = {"threadId": "x", "turnId": "t", "item": {"type": "reasoning", "id": "r", "summary": []}}
    assert downgrade(methods2.SHAPES, "ItemStartedParams", item, 1) is OMIT
    assert downgrade(methods2.SHAPES, "ItemStartedParams", dict(item), 2) == item


def test_experimental_fields_need_the_opt_in() -> None:
    """No field of today's protocol is experimental, so the gate is checked with an amended table."""
    from threadloom_protocol.v2 import models as m2
    from threadloom_runtime.server import ServerSession

    async def thread_read(params: m2.ThreadReadParams, ctx: object) -> m2.ThreadReadResult:
        raise ProtocolError(-32010, "No thread has that id.", {"threadId": params.thread_id})

    async def initialize(params: m2.InitializeParams, ctx: object) -> m2.InitializeResult:
        return m2.InitializeResult(server_info=m2.ServerInfo(name="s", version="1"), protocol_version=2)

    async def scenario() -> None:
        transport = MemoryTransport()
        methods = {"initialize": methods2.INITIALIZE, "thread/read": methods2.THREAD_READ._replace(experimental_fields=("includeTurns",))}
        session: ServerSession[None] = ServerSession(
            transport,
            protocol=methods2.PROTOCOL,
            methods=methods,
            shapes={},
            handlers={"initialize": initialize, "thread/read": thread_read},
            make_peer=lambda s: None,
        )
        session.connection.start()
        await transport.incoming.put(
            b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"c","version":"1"},"protocolVersions":[2]}}'
        )
        assert (await transport.outgoing.get())["result"]["protocolVersion"] == 2
        await transport.incoming.put(b'{"jsonrpc":"2.0","id":2,"method":"thread/read","params":{"threadId":"t","includeTurns":true}}')
        gated = (await transport.outgoing.get())["error"]
        assert gated == {
            "code": -32020,
            "message": "Experimental API required for thread/read#/includeTurns",
            "data": {"feature": "thread/read#/includeTurns"},
        }
        await transport.incoming.put(b'{"jsonrpc":"2.0","id":3,"method":"thread/read","params":{"threadId":"t"}}')
        assert (await transport.outgoing.get())["error"]["code"] == -32010
        await transport.incoming.put(None)
        await session.connection.wait_closed()

    run(scenario())


def test_handlers_still_running_after_eof_are_cancelled_after_the_grace_period() -> None:
    async def scenario() -> None:
        connection, transport, gate = _connection(Limits(shutdown_grace_seconds=0))
        connection.start()
        await transport.incoming.put(b'{"jsonrpc":"2.0","id":1,"method":"m","params":{}}')
        await transport.incoming.put(None)  # the handler never gets released
        await connection.wait_closed()
        assert transport.outgoing.empty() and not gate.release.is_set()

    run(scenario())
