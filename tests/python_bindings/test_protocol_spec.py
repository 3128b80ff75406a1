"""The runtime follows the protocol's spec, not our App Server: another handshake, none at all,
framing without `"jsonrpc"`, waiting for a notification, a server that dies."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from pydantic import Field

from tests.python_bindings.support import run
from tests.python_bindings.test_runtime import MemoryTransport
from threadloom_runtime.base import ProtocolModel
from threadloom_runtime.binding import MethodInfo
from threadloom_runtime.client import ClientSession
from threadloom_runtime.connection import Connection, IncomingRequest, JsonObject
from threadloom_runtime.errors import ConnectionClosed, ProtocolError
from threadloom_runtime.server import ServerSession
from threadloom_runtime.spec import ErrorCodes, Framing, HandshakeSpec, Member, ProtocolSpec
from threadloom_runtime.transport import SubprocessTransport


class OpenParams(ProtocolModel):
    protocol_version: int | None = Field(default=None, alias="protocolVersion")


class OpenResult(ProtocolModel):
    protocol_version: int | None = Field(default=None, alias="protocolVersion")


class PingParams(ProtocolModel):
    text: str


class PingResult(ProtocolModel):
    text: str


def _info(name: str, params: type[ProtocolModel], result: type[ProtocolModel] | None, direction: str = "clientToServer") -> MethodInfo:
    kind = "request" if result is not None else "notification"
    return MethodInfo(name, name, direction, kind, params, result, params.__name__, result.__name__ if result else None, 1, "stable")


# An ACP-like opening: `session/open` offers one integer and the answer names the chosen one.
OPEN = HandshakeSpec(
    method="session/open", version_offer=Member(("protocolVersion",)), version_chosen=Member(("protocolVersion",)), version_offer_is_list=False
)
CODES = ErrorCodes(not_initialized=-32099, already_initialized=-32098, unsupported_version=-32097)
METHODS = {"session/open": _info("session/open", OpenParams, OpenResult), "ping": _info("ping", PingParams, PingResult)}


async def _open(params: Any, ctx: Any) -> OpenResult:
    return OpenResult()  # the runtime writes the negotiated version


async def _ping(params: Any, ctx: Any) -> PingResult:
    return PingResult(text=params.text)


def _server(spec: ProtocolSpec) -> tuple[ServerSession[None], MemoryTransport]:
    transport = MemoryTransport()
    handlers = {"session/open": _open, "ping": _ping}
    session: ServerSession[None] = ServerSession(transport, protocol=spec, methods=METHODS, shapes={}, handlers=handlers, make_peer=lambda s: None)
    session.connection.start()
    return session, transport


async def _ask(transport: MemoryTransport, message: bytes) -> dict[str, Any]:
    await transport.incoming.put(message)
    return await transport.outgoing.get()


def test_another_handshake_is_enforced_with_the_protocols_own_codes() -> None:
    spec = ProtocolSpec(name="other", version=3, handshake=OPEN, error_codes=CODES)

    async def scenario() -> None:
        session, transport = _server(spec)
        early = await _ask(transport, b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"text":"a"}}')
        assert early["error"]["code"] == -32099 and "session/open" in early["error"]["message"]
        refused = await _ask(transport, b'{"jsonrpc":"2.0","id":2,"method":"session/open","params":{"protocolVersion":9}}')
        assert refused["error"]["code"] == -32097 and refused["error"]["data"] == {"requested": [9], "supported": [1, 2, 3]}
        opened = await _ask(transport, b'{"jsonrpc":"2.0","id":3,"method":"session/open","params":{"protocolVersion":2}}')
        assert opened["result"] == {"protocolVersion": 2} and session.protocol_version == 2
        again = await _ask(transport, b'{"jsonrpc":"2.0","id":4,"method":"session/open","params":{"protocolVersion":2}}')
        assert again["error"]["code"] == -32098
        pong = await _ask(transport, b'{"jsonrpc":"2.0","id":5,"method":"ping","params":{"text":"b"}}')
        assert pong == {"jsonrpc": "2.0", "id": 5, "result": {"text": "b"}}
        await transport.incoming.put(None)

    run(scenario())


def test_without_a_handshake_every_method_is_callable_at_once() -> None:
    async def scenario() -> None:
        session, transport = _server(ProtocolSpec(name="plain", version=1))
        assert session.protocol_version == 1
        pong = await _ask(transport, b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"text":"a"}}')
        assert pong["result"] == {"text": "a"}
        await transport.incoming.put(None)

    run(scenario())


def test_framing_without_the_jsonrpc_member_tolerates_extras() -> None:
    spec = ProtocolSpec(name="codex-like", version=1, framing=Framing(jsonrpc_member=False, notification_extras=("emittedAtMs",)))

    async def scenario() -> None:
        _, transport = _server(spec)
        pong = await _ask(transport, b'{"id":1,"method":"ping","params":{"text":"a"}}')
        assert pong == {"id": 1, "result": {"text": "a"}}  # nothing added on the way out either
        also = await _ask(transport, b'{"jsonrpc":"2.0","id":2,"method":"ping","params":{"text":"b"}}')
        assert also == {"id": 2, "result": {"text": "b"}}
        await transport.incoming.put(None)

    run(scenario())


def test_jsonrpc_member_is_required_when_the_framing_has_it() -> None:
    async def scenario() -> None:
        _, transport = _server(ProtocolSpec(name="strict", version=1))
        refused = await _ask(transport, b'{"id":1,"method":"ping","params":{"text":"a"}}')
        assert refused["error"]["code"] == -32600
        await transport.incoming.put(None)

    run(scenario())


class NoteParams(ProtocolModel):
    n: int


def test_client_performs_the_declared_handshake_and_waits_for_matching_notifications() -> None:
    spec = ProtocolSpec(name="other", version=3, handshake=OPEN)
    methods = {**METHODS, "note": _info("note", NoteParams, None, direction="serverToClient")}

    async def scenario() -> None:
        transport = MemoryTransport()
        client = ClientSession(transport, protocol=spec, methods=methods, error_types={})
        client.connection.start()
        assert client.protocol_version is None
        opening = client.request(METHODS["session/open"], OpenParams(), OpenResult)
        task = asyncio.ensure_future(opening)
        sent = await transport.outgoing.get()
        assert sent["method"] == "session/open" and sent["params"] == {"protocolVersion": 3}  # offers its own version, as one integer
        await transport.incoming.put(b'{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":2}}')
        assert (await task).protocol_version == 2 and client.protocol_version == 2

        second = client.wait_for("note", lambda p: p.n == 2)
        for n in (1, 2, 3):
            await transport.incoming.put(b'{"jsonrpc":"2.0","method":"note","params":{"n":%d}}' % n)
        assert (await second).n == 2
        never = client.wait_for("note", lambda p: p.n == 99)
        await transport.incoming.put(None)
        with pytest.raises(ConnectionClosed):
            await never

    run(scenario())


class Silent:
    def on_request(self, request: IncomingRequest) -> Any:
        raise ProtocolError(-32601, "no")

    async def on_notification(self, method: str, params: JsonObject) -> None:
        return None


def test_a_dead_server_is_reported_with_its_exit_status_and_stderr() -> None:
    dying = [sys.executable, "-c", "import sys; sys.stdin.readline(); sys.stderr.write('out of disk\\n'); sys.exit(4)"]

    async def scenario() -> str:
        transport = await SubprocessTransport.spawn(dying)
        connection = Connection(transport, Silent())
        connection.start()
        try:
            await connection.request("anything", {})
        except ConnectionClosed as error:
            return str(error)
        finally:
            await connection.close()
        return "no error"

    message = run(scenario())
    assert "exited with status 4" in message and "out of disk" in message
