"""What every generated `vN.server` module shares: the base of its typed peer, and serving a handler.

A generated server module declares only what its version has (the typed `ServerPeer` methods, the
abstract `ServerHandler`) and binds its tables once::

    _serving: Serving[ServerHandler, ServerPeer] = Serving(_m.PROTOCOL, _m.METHODS, _m.SHAPES, ServerPeer)
    session = _serving.session

so its public `session`, `serve` and `serve_stdio` are these bound methods, fully typed for that
version, and the logic lives here once. Nothing here runs per message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Generic, Protocol, TypeVar

from threadloom_runtime.binding import MethodInfo, Shape, default_limits
from threadloom_runtime.connection import Limits
from threadloom_runtime.server import Handler, ServerSession
from threadloom_runtime.spec import ProtocolSpec
from threadloom_runtime.transport import Transport, stdio_transport

PeerT = TypeVar("PeerT")


class HasHandlers(Protocol):
    """A generated `ServerHandler`: wire method -> bound handler, built once per connection."""

    def handlers(self) -> Mapping[str, Handler]: ...


HandlerT = TypeVar("HandlerT", bound=HasHandlers)


class SessionPeer(Generic[PeerT]):
    """The base of a generated `ServerPeer`: the client of one connection, reached through its session."""

    def __init__(self, session: ServerSession[PeerT]) -> None:
        self.session = session

    @property
    def protocol_version(self) -> int | None:
        return self.session.protocol_version


class Serving(Generic[HandlerT, PeerT]):
    """One version's tables, bound: sessions and serving loops for its typed handlers."""

    def __init__(
        self, protocol: ProtocolSpec, methods: Mapping[str, MethodInfo], shapes: dict[str, Shape], make_peer: Callable[[ServerSession[PeerT]], PeerT]
    ) -> None:
        self.protocol = protocol
        self.methods = methods
        self.shapes = shapes
        self.make_peer = make_peer

    def session(
        self, handler: HandlerT, transport: Transport, *, supported_versions: Sequence[int] | None = None, limits: Limits | None = None
    ) -> ServerSession[PeerT]:
        """A server session for one connection; `await session(...).run()` serves it until EOF."""
        return ServerSession(
            transport,
            protocol=self.protocol,
            methods=self.methods,
            shapes=self.shapes,
            handlers=handler.handlers(),
            make_peer=self.make_peer,
            supported_versions=supported_versions,
            limits=limits or default_limits(self.protocol),
        )

    async def serve(self, handler: HandlerT, transport: Transport, *, supported_versions: Sequence[int] | None = None, limits: Limits | None = None) -> None:
        """Serve one connection until the client closes it."""
        await self.session(handler, transport, supported_versions=supported_versions, limits=limits).run()

    async def serve_stdio(self, handler: HandlerT, *, supported_versions: Sequence[int] | None = None, limits: Limits | None = None) -> None:
        """Serve this process's stdin/stdout (JSON lines) until stdin closes."""
        limits = limits or default_limits(self.protocol)
        transport = await stdio_transport(limits.max_message_bytes)
        await self.serve(handler, transport, supported_versions=supported_versions, limits=limits)
