"""What every generated `vN.client` module shares: the base of its typed `Client`, and spawning a server.

A generated client names its version's tables in its class statement::

    class Client(TypedClient, protocol=_m.PROTOCOL, methods=_m.METHODS, error_types=ERROR_TYPES):
        ...  # one typed method per request, subscription, waiter and server-request handler

    spawn_server = Spawning(Client).spawn_server

so the session set-up, the lifecycle and `spawn_server` live here once. Nothing here runs per message.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import ClassVar, Generic, Self, TypeVar

from threadloom_runtime.binding import MethodInfo, default_limits
from threadloom_runtime.client import ClientSession, ErrorTypes
from threadloom_runtime.connection import Limits
from threadloom_runtime.spec import ProtocolSpec
from threadloom_runtime.transport import SubprocessTransport, Transport


class TypedClient:
    """A client over any transport, for the version whose tables the subclass names."""

    _protocol: ClassVar[ProtocolSpec]
    _methods: ClassVar[Mapping[str, MethodInfo]]
    _error_types: ClassVar[ErrorTypes]

    def __init_subclass__(
        cls, *, protocol: ProtocolSpec | None = None, methods: Mapping[str, MethodInfo] | None = None, error_types: ErrorTypes | None = None
    ) -> None:
        # Optional, so that a user's subclass of a generated Client inherits its tables.
        super().__init_subclass__()
        if protocol is not None:
            cls._protocol = protocol
        if methods is not None:
            cls._methods = methods
        if error_types is not None:
            cls._error_types = error_types

    def __init__(self, transport: Transport, limits: Limits | None = None) -> None:
        limits = limits or default_limits(self._protocol)
        self.session = ClientSession(transport, protocol=self._protocol, methods=self._methods, error_types=self._error_types, limits=limits)

    @property
    def protocol_version(self) -> int | None:
        return self.session.protocol_version

    def start(self) -> None:
        self.session.connection.start()

    async def close(self) -> None:
        await self.session.connection.close()

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


ClientT = TypeVar("ClientT", bound=TypedClient)


class Spawning(Generic[ClientT]):
    """`spawn_server` for one generated Client class."""

    def __init__(self, client_class: type[ClientT]) -> None:
        self.client_class = client_class

    @contextlib.asynccontextmanager
    async def spawn_server(
        self, command: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None, limits: Limits | None = None
    ) -> AsyncIterator[ClientT]:
        """Start `command` as a server speaking JSON lines on its stdin/stdout and yield a started client
        (`await client.connect(...)` next). On exit the server's stdin is closed (its graceful
        shutdown) and the process is awaited. If the server dies, waiting calls raise ConnectionClosed
        naming its exit status and the end of its stderr.
        """
        limits = limits or default_limits(self.client_class._protocol)
        transport = await SubprocessTransport.spawn(command, env=env, cwd=cwd, max_message_bytes=limits.max_message_bytes)
        client = self.client_class(transport, limits)
        client.start()
        try:
            yield client
        finally:
            await client.close()
