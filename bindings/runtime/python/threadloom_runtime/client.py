"""The client side of a connection: typed requests, notification subscribers, approval handlers."""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from threadloom_runtime import errors
from threadloom_runtime.binding import SERVER_TO_CLIENT, MethodInfo
from threadloom_runtime.connection import Connection, IncomingRequest, JsonObject, Limits
from threadloom_runtime.errors import ProtocolError
from threadloom_runtime.transport import Transport
from threadloom_runtime.validation import parse

log = logging.getLogger("threadloom_protocol")

ResultT = TypeVar("ResultT", bound=BaseModel)
Subscriber = Callable[[Any], Awaitable[None] | None]
RequestHandler = Callable[[Any], Awaitable[BaseModel]]
ErrorTypes = Mapping[int, tuple[type[ProtocolError], type[BaseModel] | None]]


class ClientSession:
    def __init__(
        self,
        transport: Transport,
        *,
        version: int,
        methods: Mapping[str, MethodInfo],
        error_types: ErrorTypes,
        limits: Limits | None = None,
    ) -> None:
        self.version = version
        self._methods = methods
        self._error_types = error_types
        self._subscribers: dict[str, list[Subscriber]] = {}
        self._handlers: dict[str, RequestHandler] = {}
        self.connection = Connection(transport, self, limits)
        self.protocol_version: int | None = None

    # -- outgoing ------------------------------------------------------------------------------

    async def request(self, info: MethodInfo, params: BaseModel, result: type[ResultT], defaults: JsonObject | None = None) -> ResultT:
        """Send a request; `defaults` fill members an older server leaves out (e.g. `protocolVersion`)."""
        try:
            reply = await self.connection.request(info.name, params.model_dump(by_alias=True, exclude_unset=True))
        except ProtocolError as error:
            raise typed_error(self._error_types, error) from None
        for member, value in (defaults or {}).items():
            reply.setdefault(member, value)
        try:
            return result.model_validate(reply, by_alias=True, by_name=False)
        except ValidationError as failure:
            raise ProtocolError(errors.INVALID_PARAMS, f"the server's result of {info.name!r} is invalid: {failure.errors()[0]['msg']}") from failure

    async def notify(self, info: MethodInfo, params: BaseModel) -> None:
        await self.connection.notify(info.name, params.model_dump(by_alias=True, exclude_unset=True))

    # -- registration --------------------------------------------------------------------------

    def subscribe(self, method: str, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` with the typed params of every `method` notification; returns an unsubscribe function."""
        self._subscribers.setdefault(method, []).append(subscriber)
        return lambda: self._subscribers[method].remove(subscriber)

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

    async def _answer(self, handler: RequestHandler, params: BaseModel) -> JsonObject:
        result = await handler(params)
        return result.model_dump(by_alias=True, exclude_unset=True)

    async def on_notification(self, method: str, params: JsonObject) -> None:
        subscribers = self._subscribers.get(method)
        info = self._methods.get(method)
        if not subscribers or info is None or info.direction != SERVER_TO_CLIENT:
            return  # unknown notifications are skipped: a newer server may send more kinds
        try:
            parsed = parse(info.params, params)
        except ProtocolError as error:
            log.warning("dropping notification %r: %s", method, error.data)
            return
        for subscriber in list(subscribers):
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
