"""The server side of a connection: negotiation, gating, dispatch to typed handlers, downgrading.

Generated code (`threadloom_protocol.vN.server`) supplies the method table, the downgrade table,
the handler dispatch table and the typed peer; this module holds everything version-independent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from threadloom_runtime import errors
from threadloom_runtime.binding import CLIENT_TO_SERVER, OMIT, MethodInfo, Shape, downgrade
from threadloom_runtime.connection import AfterResponse, Connection, IncomingRequest, JsonObject, Limits
from threadloom_runtime.errors import PeerTooOld, ProtocolError
from threadloom_runtime.transport import Transport
from threadloom_runtime.validation import parse

log = logging.getLogger("threadloom_protocol")

PeerT = TypeVar("PeerT")
ResultT = TypeVar("ResultT", bound=BaseModel)
Handler = Callable[[Any, Any], Awaitable[BaseModel | None]]


class RequestContext(Generic[PeerT]):
    """What a handler gets besides its params: the typed peer and the connection's state."""

    def __init__(self, session: ServerSession[PeerT], request: IncomingRequest | None) -> None:
        self.session = session
        self._request = request

    @property
    def peer(self) -> PeerT:
        """Send notifications and server->client requests to this connection's client."""
        return self.session.peer

    @property
    def protocol_version(self) -> int:
        """The version negotiated at `initialize` (during `initialize` itself: the one just chosen)."""
        return self.session.protocol_version or 1

    @property
    def request_id(self) -> int | str | None:
        return self._request.id if self._request else None

    def after_response(self, step: AfterResponse) -> None:
        """Run `step` once this request's response is written (e.g. send `thread/started`)."""
        if self._request is None:
            raise RuntimeError("after_response() is only available while handling a request")
        self._request.after_response.append(step)


class ServerSession(Generic[PeerT]):
    """One client connection served by one handler object."""

    def __init__(
        self,
        transport: Transport,
        *,
        version: int,
        methods: Mapping[str, MethodInfo],
        shapes: dict[str, Shape],
        handlers: Mapping[str, Handler],
        make_peer: Callable[[ServerSession[PeerT]], PeerT],
        supported_versions: Sequence[int] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.version = version
        self.supported_versions = tuple(sorted(supported_versions or range(1, version + 1)))
        self._methods = methods
        self._shapes = shapes
        self._handlers = handlers
        self.peer = make_peer(self)
        self.connection = Connection(transport, self, limits)
        self.protocol_version: int | None = None  # set by `initialize`
        self.client_info: dict[str, Any] = {}
        self.experimental_api = False
        self.opted_out: frozenset[str] = frozenset()

    async def run(self) -> None:
        """Serve until the client closes the connection."""
        await self.connection.run()

    # -- incoming ------------------------------------------------------------------------------

    def on_request(self, request: IncomingRequest) -> Awaitable[JsonObject]:
        info = self._callable(request.method, request=True)
        self._check_lifecycle(info)
        self._check_experimental(info, request.params)
        params = parse(info.params, request.params)
        if info.name == "initialize":
            self._negotiate(request.params)
        context = RequestContext(self, request)
        return self._answer(info, self._handlers[info.name], params, context)

    async def on_notification(self, method: str, params: JsonObject) -> None:
        info = self._methods.get(method)
        if info is None or info.direction != CLIENT_TO_SERVER or info.is_request or self.protocol_version is None:
            return  # notifications are never answered: unknown or early ones are dropped
        try:
            parsed = parse(info.params, params)
        except ProtocolError:
            log.warning("dropping notification %r with invalid params", method)
            return
        await self._handlers[method](parsed, RequestContext(self, None))

    def _callable(self, method: str, request: bool) -> MethodInfo:
        info = self._methods.get(method)
        unknown = info is None or info.direction != CLIENT_TO_SERVER or info.is_request is not request
        if info is None or unknown or (self.protocol_version is not None and info.since > self.protocol_version):
            raise ProtocolError(errors.METHOD_NOT_FOUND, f"Method not found: {method}")
        return info

    def _check_lifecycle(self, info: MethodInfo) -> None:
        if self.protocol_version is None and info.name != "initialize":
            raise ProtocolError(errors.NOT_INITIALIZED, "Not initialized: send `initialize` first")
        if self.protocol_version is not None and info.name == "initialize":
            raise ProtocolError(errors.ALREADY_INITIALIZED, "Already initialized")

    def _check_experimental(self, info: MethodInfo, params: JsonObject) -> None:
        if self.experimental_api:
            return
        feature = info.name if info.experimental else next((f"{info.name}#/{f}" for f in info.experimental_fields if f in params), None)
        if feature is not None:
            raise ProtocolError(errors.EXPERIMENTAL_API_REQUIRED, f"Experimental API required for {feature}", {"feature": feature})

    def _negotiate(self, params: JsonObject) -> None:
        offered = params.get("protocolVersions")
        requested = list(offered) if isinstance(offered, list) else [1]  # absent: a version-1 client
        chosen = next((v for v in requested if v in self.supported_versions), None)
        if chosen is None:
            data = {"requested": requested, "supported": list(self.supported_versions)}
            raise ProtocolError(errors.UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version", data)
        capabilities = params.get("capabilities") or {}
        self.protocol_version = chosen
        self.client_info = params.get("clientInfo") or {}
        self.experimental_api = chosen >= 2 and capabilities.get("experimentalApi") is True
        self.opted_out = frozenset(capabilities.get("optOutNotificationMethods") or ())

    async def _answer(self, info: MethodInfo, handler: Handler, params: BaseModel, context: RequestContext[PeerT]) -> JsonObject:
        result = await handler(params, context)
        if info.result is None or not isinstance(result, info.result):
            raise TypeError(f"handler of {info.name!r} returned {type(result).__name__}, not {info.result}")
        data = self._outgoing(info.result_definition, result)
        if data is OMIT:
            raise TypeError(f"the result of {info.name!r} cannot be expressed in protocol version {self.protocol_version}")
        return data  # type: ignore[no-any-return]

    # -- outgoing ------------------------------------------------------------------------------

    async def notify(self, info: MethodInfo, params: BaseModel) -> None:
        """Send a notification unless the client cannot or does not want to receive it."""
        version = self.protocol_version
        if version is None or info.since > version or info.name in self.opted_out:
            return
        data = self._outgoing(info.params_definition, params)
        if data is not OMIT:
            await self.connection.notify(info.name, data)

    async def request(self, info: MethodInfo, params: BaseModel, result: type[ResultT], request_id: int | str | None = None) -> ResultT:
        """Send a server->client request and wait for the client's typed reply (see Connection.request for `request_id`)."""
        version = self.protocol_version
        if version is None or info.since > version:
            raise PeerTooOld(f"{info.name!r} needs protocol version {info.since}; this client speaks {version}")
        data = self._outgoing(info.params_definition, params)
        if data is OMIT:
            raise PeerTooOld(f"the params of {info.name!r} cannot be expressed in protocol version {version}")
        reply = await self.connection.request(info.name, data, request_id)
        try:
            return result.model_validate(reply, by_alias=True, by_name=False)
        except ValidationError as failure:
            raise ProtocolError(errors.INVALID_PARAMS, f"the client's reply to {info.name!r} is invalid: {failure.errors()[0]['msg']}") from None

    def _outgoing(self, definition: str | None, model: BaseModel) -> Any:
        data = model.model_dump(by_alias=True, exclude_unset=True)
        version = self.protocol_version or self.version
        if definition is not None and version < self.version:
            return downgrade(self._shapes, definition, data, version)
        return data
