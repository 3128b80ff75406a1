"""The server side of a connection: handshake, gating, dispatch to typed handlers, downgrading.

Generated code (`<package>.vN.server`) supplies the protocol spec, the method table, the downgrade
table, the handler dispatch table and the typed peer; this module holds everything version-independent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel, ValidationError

from threadloom_runtime import errors
from threadloom_runtime.binding import CLIENT_TO_SERVER, OMIT, MethodInfo, Shape, downgrade
from threadloom_runtime.connection import AfterResponse, Connection, IncomingRequest, JsonObject, Limits
from threadloom_runtime.errors import PeerTooOld, ProtocolError
from threadloom_runtime.spec import HandshakeSpec, ProtocolSpec
from threadloom_runtime.transport import Transport
from threadloom_runtime.validation import dump, parse, validate

log = logging.getLogger("threadloom_runtime")

PeerT = TypeVar("PeerT")
ResultT = TypeVar("ResultT", bound=BaseModel)
Handler = Callable[[Any, Any], Awaitable[Any]]


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
        """The version negotiated by the handshake (during the handshake itself: the one just chosen)."""
        return self.session.protocol_version or self.session.version

    @property
    def request_id(self) -> int | str | None:
        return self._request.id if self._request else None

    def after_response(self, step: AfterResponse) -> None:
        """Run `step` once this request's response is written (e.g. send `thread/started`)."""
        if self._request is None:
            raise RuntimeError("after_response() is only available while handling a request")
        self._request.after_response.append(step)


class ServerSession(Generic[PeerT]):
    """One client connection served by one handler object.

    Everything protocol-specific comes from `protocol` (generated from the document): with a
    declared handshake, requests before it are refused and it negotiates the version, the
    experimental opt-in and notification opt-outs; without one, every method is callable at once
    and the session speaks `protocol.version`.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        protocol: ProtocolSpec,
        methods: Mapping[str, MethodInfo],
        shapes: dict[str, Shape],
        handlers: Mapping[str, Handler],
        make_peer: Callable[[ServerSession[PeerT]], PeerT],
        supported_versions: Sequence[int] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.protocol = protocol
        self.version = protocol.version
        self.supported_versions = tuple(sorted(supported_versions or range(1, protocol.version + 1)))
        self._methods = methods
        self._shapes = shapes
        self._handlers = handlers
        self._handshake = protocol.handshake
        self.peer = make_peer(self)
        self.connection = Connection(transport, self, limits, protocol)
        # None until the handshake chose a version; a protocol without a handshake speaks its own.
        self.protocol_version: int | None = None if self._handshake else protocol.version
        self.handshake_params: JsonObject = {}  # the raw params of the handshake request
        self.experimental_api = self._handshake is None or self._handshake.experimental_opt_in is None
        self.opted_out: frozenset[str] = frozenset()

    async def run(self) -> None:
        """Serve until the client closes the connection."""
        await self.connection.run()

    # -- incoming ------------------------------------------------------------------------------

    def on_request(self, request: IncomingRequest) -> Awaitable[JsonObject]:
        info = self._callable(request.method, request=True)
        opens = self._check_lifecycle(info)
        self._check_experimental(info, request.params)
        params = parse(info.params, request.params)
        if opens is not None:
            self._negotiate(opens, request.params)
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

    def _check_lifecycle(self, info: MethodInfo) -> HandshakeSpec | None:
        """Refuse requests before the handshake and a second handshake; return the spec when `info` opens."""
        handshake = self._handshake
        if handshake is None:
            return None
        codes = self.protocol.error_codes
        if self.protocol_version is None and info.name != handshake.method:
            raise ProtocolError(codes.not_initialized, f"Not initialized: send `{handshake.method}` first")
        if self.protocol_version is not None and info.name == handshake.method:
            raise ProtocolError(codes.already_initialized, "Already initialized")
        return handshake if info.name == handshake.method else None

    def _check_experimental(self, info: MethodInfo, params: JsonObject) -> None:
        if self.experimental_api:
            return
        feature = info.name if info.experimental else next((f"{info.name}#/{f}" for f in info.experimental_fields if f in params), None)
        if feature is not None:
            code = self.protocol.error_codes.experimental_required
            raise ProtocolError(code, f"Experimental API required for {feature}", {"feature": feature})

    def _negotiate(self, handshake: HandshakeSpec, params: JsonObject) -> None:
        chosen = self._choose_version(handshake, params)
        self.protocol_version = chosen
        self.handshake_params = params
        opt_in = handshake.experimental_opt_in
        if opt_in is not None:
            self.experimental_api = opt_in.since <= chosen and opt_in.get(params) is True
        opt_out = handshake.opt_out_notifications
        listed = opt_out.get(params) if opt_out is not None else None
        self.opted_out = frozenset(m for m in listed if isinstance(m, str)) if isinstance(listed, list) else frozenset()

    def _choose_version(self, handshake: HandshakeSpec, params: JsonObject) -> int:
        offer = handshake.version_offer
        if offer is None:
            return self.version
        offered = offer.get(params) if offer.present(params) else handshake.version_without_offer
        requested = list(offered) if isinstance(offered, list) else [offered]
        chosen = next((v for v in requested if isinstance(v, int) and v in self.supported_versions), None)
        if chosen is None:
            data = {"requested": requested, "supported": list(self.supported_versions)}
            raise ProtocolError(self.protocol.error_codes.unsupported_version, "Unsupported protocol version", data)
        return chosen

    async def _answer(self, info: MethodInfo, handler: Handler, params: Any, context: RequestContext[PeerT]) -> JsonObject:
        result = await handler(params, context)
        if info.result is None or (isinstance(info.result, type) and not isinstance(result, info.result)):
            raise TypeError(f"handler of {info.name!r} returned {type(result).__name__}, not {info.result}")
        data = dump(result)
        handshake = self._handshake
        if handshake is not None and handshake.version_chosen is not None and info.name == handshake.method:
            handshake.version_chosen.set_default(data, self.protocol_version)  # shaping drops it for peers before the member
        data = self._shape(info.result_definition, data)
        if data is OMIT:
            raise TypeError(f"the result of {info.name!r} cannot be expressed in protocol version {self.protocol_version}")
        return data  # type: ignore[no-any-return]

    # -- outgoing ------------------------------------------------------------------------------

    async def notify(self, info: MethodInfo, params: Any) -> None:
        """Send a notification unless the client cannot or does not want to receive it."""
        version = self.protocol_version
        if version is None or info.since > version or info.name in self.opted_out:
            return
        data = self._outgoing(info.params_definition, params)
        if data is not OMIT:
            await self.connection.notify(info.name, data)

    @overload
    async def request(self, info: MethodInfo, params: Any, result: type[ResultT], request_id: int | str | None = None) -> ResultT: ...
    @overload
    async def request(self, info: MethodInfo, params: Any, result: object, request_id: int | str | None = None) -> Any: ...
    async def request(self, info: MethodInfo, params: Any, result: object, request_id: int | str | None = None) -> Any:
        """Send a server->client request and wait for the client's typed reply (see Connection.request for `request_id`)."""
        version = self.protocol_version
        if version is None or info.since > version:
            raise PeerTooOld(f"{info.name!r} needs protocol version {info.since}; this client speaks {version}")
        data = self._outgoing(info.params_definition, params)
        if data is OMIT:
            raise PeerTooOld(f"the params of {info.name!r} cannot be expressed in protocol version {version}")
        reply = await self.connection.request(info.name, data, request_id)
        try:
            return validate(result, reply)
        except ValidationError as failure:
            raise ProtocolError(errors.INVALID_PARAMS, f"the client's reply to {info.name!r} is invalid: {failure.errors()[0]['msg']}") from None

    def _outgoing(self, definition: str | None, model: Any) -> Any:
        return self._shape(definition, dump(model))

    def _shape(self, definition: str | None, data: Any) -> Any:
        version = self.protocol_version or self.version
        if definition is not None and version < self.version:
            return downgrade(self._shapes, definition, data, version)
        return data
