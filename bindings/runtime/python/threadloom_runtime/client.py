"""The client side of a connection: the handshake, typed requests, notification subscribers and
waiters, handlers of server->client requests (e.g. approvals)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ValidationError

from threadloom_runtime import errors
from threadloom_runtime.binding import SERVER_TO_CLIENT, MethodInfo
from threadloom_runtime.connection import Connection, IncomingRequest, JsonObject, Limits
from threadloom_runtime.errors import ConnectionClosed, ProtocolError
from threadloom_runtime.spec import ProtocolSpec
from threadloom_runtime.transport import Transport
from threadloom_runtime.validation import dump, parse, validate

log = logging.getLogger("threadloom_runtime")

ResultT = TypeVar("ResultT", bound=BaseModel)
Subscriber = Callable[[Any], Awaitable[None] | None]
RequestHandler = Callable[[Any], Awaitable[Any]]
ErrorTypes = Mapping[int, tuple[type[ProtocolError], type[BaseModel] | None]]
Predicate = Callable[[Any], bool]


class _Awaitable:
    """Starts its coroutine only when awaited: a waiter left behind (its request failed first)
    is dropped silently instead of warning "coroutine ... was never awaited" at exit."""

    def __init__(self, start: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        self._start = start

    def __await__(self) -> Generator[Any, None, Any]:
        return self._start().__await__()


class ClientSession:
    def __init__(
        self,
        transport: Transport,
        *,
        protocol: ProtocolSpec,
        methods: Mapping[str, MethodInfo],
        error_types: ErrorTypes,
        limits: Limits | None = None,
    ) -> None:
        self.protocol = protocol
        self.version = protocol.version
        self._methods = methods
        self._error_types = error_types
        self._subscribers: dict[str, list[Subscriber]] = {}
        self._waiters: dict[str, list[tuple[Predicate | None, asyncio.Future[Any]]]] = {}
        self._handlers: dict[str, RequestHandler] = {}
        self.connection = Connection(transport, self, limits, protocol)
        # None until the handshake's answer names a version; without a handshake: this version.
        self.protocol_version: int | None = None if protocol.handshake else protocol.version

    # -- outgoing ------------------------------------------------------------------------------

    @overload
    async def request(self, info: MethodInfo, params: Any, result: type[ResultT]) -> ResultT: ...
    @overload
    async def request(self, info: MethodInfo, params: Any, result: object) -> Any: ...
    async def request(self, info: MethodInfo, params: Any, result: object) -> Any:
        """Send a request and return its typed result. The handshake request offers this version
        (unless the params already do) and records the version the server chose."""
        data = dump(params)
        handshake = self.protocol.handshake
        opens = handshake is not None and info.name == handshake.method
        if handshake is not None and opens and handshake.version_offer is not None:
            handshake.version_offer.set_default(data, [self.version] if handshake.version_offer_is_list else self.version)
        try:
            reply = await self.connection.request(info.name, data)
        except ProtocolError as error:
            raise typed_error(self._error_types, error) from None
        if handshake is not None and opens:
            chosen = handshake.version_chosen
            if chosen is not None:
                # A server from before version negotiation leaves the member out: it speaks that old version.
                chosen.set_default(reply, handshake.version_without_offer)
            negotiated = chosen.get(reply) if chosen is not None else self.version
            self.protocol_version = negotiated if isinstance(negotiated, int) else self.version
        try:
            return validate(result, reply)
        except ValidationError as failure:
            raise ProtocolError(errors.INVALID_PARAMS, f"the server's result of {info.name!r} is invalid: {failure.errors()[0]['msg']}") from failure

    async def notify(self, info: MethodInfo, params: Any) -> None:
        await self.connection.notify(info.name, dump(params))

    # -- registration --------------------------------------------------------------------------

    def subscribe(self, method: str, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` with the typed params of every `method` notification; returns an unsubscribe function."""
        self._subscribers.setdefault(method, []).append(subscriber)
        return lambda: self._subscribers[method].remove(subscriber)

    def wait_for(self, method: str, predicate: Predicate | None = None) -> Awaitable[Any]:
        """The typed params of the next `method` notification that satisfies `predicate`.

        The waiter is registered when this is called, so call it before sending the request that
        triggers the notification, and await it afterwards. A closed connection raises ConnectionClosed.
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.setdefault(method, []).append(entry)
        return _Awaitable(lambda: self._wait(method, entry))

    async def _wait(self, method: str, entry: tuple[Predicate | None, asyncio.Future[Any]]) -> Any:
        future = entry[1]
        closed = asyncio.ensure_future(self.connection.wait_closed())
        try:
            await asyncio.wait({future, closed}, return_when=asyncio.FIRST_COMPLETED)
            if future.done():
                return future.result()
            raise ConnectionClosed(f"the connection closed before a matching {method!r} arrived{self.connection.end_reason_suffix()}")
        finally:
            closed.cancel()
            waiting = self._waiters.get(method, [])
            if entry in waiting:
                waiting.remove(entry)

    def set_handler(self, method: str, handler: RequestHandler) -> None:
        """Answer the server->client request `method` (e.g. an approval) with `handler`."""
        self._handlers[method] = handler

    # -- incoming ------------------------------------------------------------------------------

    def on_request(self, request: IncomingRequest) -> Awaitable[JsonObject]:
        info = self._methods.get(request.method)
        handler = self._handlers.get(request.method)
        if info is None or info.direction != SERVER_TO_CLIENT or not info.is_request or handler is None:
            raise ProtocolError(errors.METHOD_NOT_FOUND, f"Method not found: {request.method}")
        return self._answer(handler, parse(info.params, request.params))

    async def _answer(self, handler: RequestHandler, params: Any) -> JsonObject:
        result = await handler(params)
        return dump(result)  # type: ignore[no-any-return]

    async def on_notification(self, method: str, params: JsonObject) -> None:
        subscribers = self._subscribers.get(method)
        waiters = self._waiters.get(method)
        info = self._methods.get(method)
        if not (subscribers or waiters) or info is None or info.direction != SERVER_TO_CLIENT:
            return  # unknown notifications are skipped: a newer server may send more kinds
        try:
            parsed = parse(info.params, params)
        except ProtocolError as error:
            log.warning("dropping notification %r: %s", method, error.data)
            return
        for predicate, future in list(waiters or ()):
            if future.done():
                continue
            try:
                if predicate is None or predicate(parsed):
                    future.set_result(parsed)
            except Exception as failure:  # a broken predicate fails its own waiter, not delivery
                future.set_exception(failure)
        for subscriber in list(subscribers or ()):
            outcome = subscriber(parsed)
            if inspect.isawaitable(outcome):
                await outcome


def typed_error(error_types: ErrorTypes, error: ProtocolError) -> ProtocolError:
    """The generated exception class for a received error code, with `data` parsed when it fits."""
    entry = error_types.get(error.code)
    if entry is None:
        return error
    cls, data_model = entry
    data = error.data
    if data_model is not None and isinstance(data, dict):
        # Undecodable data stays raw rather than hide the error behind a decoding failure.
        with contextlib.suppress(ValidationError):
            data = data_model.model_validate(data, by_alias=True, by_name=False)
    typed = cls.__new__(cls)
    ProtocolError.__init__(typed, error.code, error.message, data)
    return typed
