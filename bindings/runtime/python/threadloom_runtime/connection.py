"""JSON-RPC 2.0 over a `Transport`: framing-agnostic and protocol-agnostic (plain dicts).

The typed layers (`runtime.server.ServerSession`, `runtime.client.ClientSession`) sit on top and
decide what a method means. This module only knows JSON-RPC: id correlation in both directions,
concurrent requests, in-order notifications, error responses, size limits and shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from threadloom_runtime import errors
from threadloom_runtime.eager import start_eagerly
from threadloom_runtime.errors import ConnectionClosed, MessageTooLarge, ProtocolError
from threadloom_runtime.framing import SNIFF_BYTES, OversizedMessage
from threadloom_runtime.spec import NO_PROTOCOL, ProtocolSpec
from threadloom_runtime.transport import DEFAULT_MAX_MESSAGE_BYTES, Transport

log = logging.getLogger("threadloom_runtime")

RequestId = int | str
JsonObject = dict[str, Any]
AfterResponse = Callable[[], Awaitable[None]]


@dataclass
class IncomingRequest:
    method: str
    params: JsonObject
    id: RequestId
    # Run once the response is written: how a handler sends e.g. `thread/started` after the
    # `thread/start` response without racing it.
    after_response: list[AfterResponse] = field(default_factory=list)


class Dispatcher(Protocol):
    def on_request(self, request: IncomingRequest) -> Awaitable[JsonObject]:
        """Synchronous checks may raise ProtocolError at once; the awaitable runs as its own task."""
        ...

    async def on_notification(self, method: str, params: JsonObject) -> None: ...


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES  # per message, both directions
    max_in_flight: int = 64  # incoming requests handled at once; reading pauses beyond (backpressure, no refusal)
    notification_queue: int = 1024  # notifications waiting for their handler; reading pauses beyond
    retry_after_ms: int = 100
    shutdown_grace_seconds: float = 5.0  # after EOF, how long in-flight handlers may still run


class Connection:
    def __init__(self, transport: Transport, dispatcher: Dispatcher, limits: Limits | None = None, protocol: ProtocolSpec = NO_PROTOCOL) -> None:
        self._transport = transport
        self._codes = protocol.error_codes
        # `"jsonrpc": "2.0"` on every message written, and required on every message read, unless
        # the protocol's framing leaves it out (then it is tolerated when present).
        self._envelope: JsonObject = {"jsonrpc": "2.0"} if protocol.framing.jsonrpc_member else {}
        self._dispatcher = dispatcher
        self.limits = limits or Limits()
        self._ids = itertools.count(1)
        self._pending: dict[RequestId, tuple[str, asyncio.Future[JsonObject]]] = {}
        self._handlers: set[asyncio.Task[None]] = set()
        self._in_flight_ids: set[RequestId] = set()  # of requests whose handler runs: its size counts against max_in_flight
        self._slot_freed: asyncio.Future[None] | None = None  # the reader waits on it for a free slot
        self._notifications: asyncio.Queue[tuple[str, JsonObject] | None] = asyncio.Queue(self.limits.notification_queue)
        self._write_lock = asyncio.Lock()
        self._closed = asyncio.Event()
        self._ending = False
        self._reading: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Start reading in the background; the returned task ends when the connection is closed."""
        if self._reading is None:
            self._reading = asyncio.create_task(self.run())
        return self._reading

    async def run(self) -> None:
        """Serve until the peer closes its side (EOF), then finish in-flight work and close."""
        notifier = asyncio.create_task(self._deliver_notifications())
        try:
            await self._read_loop()
        finally:
            self._fail_pending(f"the connection closed before the response arrived{self.end_reason_suffix()}")
            await self._notifications.put(None)
            await notifier
            await self._finish_handlers()
            await self._transport.close()
            self._closed.set()

    async def _finish_handlers(self) -> None:
        """Let in-flight handlers (and their after-response steps) finish, for a bounded time."""
        if not self._handlers:
            return
        _, late = await asyncio.wait(set(self._handlers), timeout=self.limits.shutdown_grace_seconds)
        for task in late:
            task.cancel()
        if late:
            log.warning("cancelled %d handler(s) still running %ss after the peer closed", len(late), self.limits.shutdown_grace_seconds)
            await asyncio.gather(*late, return_exceptions=True)

    async def close(self) -> None:
        """Close now: pending requests fail with ConnectionClosed."""
        self._fail_pending("the connection was closed")
        await self._transport.close()
        reading = self._reading
        if reading is not None and not reading.done() and asyncio.current_task() is not reading:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
        self._closed.set()

    def end_reason_suffix(self) -> str:
        """Why the peer went away, when the transport knows (e.g. a server's exit status and stderr)."""
        reason = getattr(self._transport, "end_reason", None)
        return f" ({reason})" if reason else ""

    async def wait_closed(self) -> None:
        await self._closed.wait()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # -- outgoing ------------------------------------------------------------------------------

    async def request(self, method: str, params: JsonObject, request_id: RequestId | None = None) -> JsonObject:
        """Send a request and wait for its result; an error response raises ProtocolError.

        `request_id` lets the caller pick the id (use strings: automatic ids are integers), e.g. to
        announce `serverRequest/resolved` for it later. Cancelling the awaiting task abandons the
        request; a late response is then dropped.
        """
        if self._ending:
            raise ConnectionClosed(f"cannot send {method!r}: the connection is closed{self.end_reason_suffix()}")
        if request_id is None:
            request_id = next(self._ids)
        elif request_id in self._pending:
            raise ValueError(f"request id {request_id!r} is already waiting for a response")
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (method, future)
        try:
            await self._send({**self._envelope, "id": request_id, "method": method, "params": params})
            return await future
        finally:
            self._pending.pop(request_id, None)

    async def notify(self, method: str, params: JsonObject) -> None:
        await self._send({**self._envelope, "method": method, "params": params})

    async def _send(self, message: JsonObject, *, bounded: bool = True) -> None:
        """Write one message; one over the size limit raises MessageTooLarge (the peer would refuse it).

        Error responses are ours and small (`bounded=False`): they always go out, even under a tiny limit.
        """
        data = orjson.dumps(message)
        if bounded and len(data) > self.limits.max_message_bytes:
            raise MessageTooLarge(self.limits.max_message_bytes)
        # One message at a time, in the order the writers came: a write waits while the peer is slow to
        # read, and the next one must not pile up behind it (`async with` minus its two frames).
        lock = self._write_lock
        await lock.acquire()
        try:
            await self._transport.write(data)
        finally:
            lock.release()

    async def _send_error(self, request_id: RequestId | None, error: ProtocolError) -> None:
        await self._send({**self._envelope, "id": request_id, "error": error.to_json()}, bounded=False)

    def _fail_pending(self, reason: str) -> None:
        self._ending = True  # from now on no response can arrive: new requests fail at once
        for method, future in list(self._pending.values()):
            if not future.done():
                future.set_exception(ConnectionClosed(f"{reason}: {method!r} got no response"))
        self._pending.clear()

    # -- incoming ------------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        push_messages = getattr(self._transport, "push_messages", None)
        if push_messages is not None:
            # The transport pushes each message as it arrives (`pipes.PipeLinesTransport.push_messages`).
            with contextlib.suppress(ConnectionError, OSError):
                await push_messages(self._take_now)
            return
        while True:
            try:
                data: bytes | MessageTooLarge | None = await self._transport.read()
            except MessageTooLarge as too_large:
                data = too_large
            except (ConnectionError, OSError):
                return
            if data is None:
                return
            if (waiting := self._take(data)) is not None:
                await waiting

    def _take_now(self, data: bytes | MessageTooLarge) -> asyncio.Task[None] | None:
        """Take one pushed message; a task while it is still being taken (e.g. waiting for a slot)."""
        waiting = self._take(data)
        return None if waiting is None else start_eagerly(waiting)

    # Taking a message is synchronous as far as it can be (a request's handler starts at once, a
    # response resolves its future); what may have to wait (an error to write, a free slot, room in
    # the notification queue) is returned as a coroutine, which the reader awaits before the next
    # message: messages are taken one after another, in the order they came.

    def _take(self, data: bytes | MessageTooLarge) -> Coroutine[Any, Any, None] | None:
        if isinstance(data, MessageTooLarge):
            head, tail = (data.head, data.tail) if isinstance(data, OversizedMessage) else (b"", b"")
            return self._refuse_oversized(data.limit_bytes, head, tail)
        if len(data) > self.limits.max_message_bytes:
            return self._refuse_oversized(self.limits.max_message_bytes, data[:SNIFF_BYTES], data[-SNIFF_BYTES:])
        try:
            message = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self._send_error(None, ProtocolError(errors.PARSE_ERROR, "Parse error: the message is not valid JSON"))
        if isinstance(message, list):
            # Batches are not part of these protocols (one message per line, as in Codex): one error, nothing runs.
            return self._send_error(None, _invalid("batches are not supported; send one message per line"))
        if not isinstance(message, dict) or message.get("jsonrpc", None if self._envelope else "2.0") != "2.0":
            return self._send_error(_readable_id(message), _invalid("expected a JSON-RPC 2.0 object"))
        if "method" in message:
            return self._take_call(message)
        if "result" in message or "error" in message:
            self._receive_response(message)
            return None
        return self._send_error(_readable_id(message), _invalid("neither a request, a notification nor a response"))

    async def _receive(self, data: bytes) -> None:
        """Take one message read by other means, as the reader would."""
        if (waiting := self._take(data)) is not None:
            await waiting

    async def _refuse_oversized(self, limit: int, head: bytes, tail: bytes) -> None:
        """A discarded oversized message: a request gets the error under its own id; a response fails
        the call waiting for it, so nothing hangs. One that cannot be placed fails every pending call."""
        kind, request_id = sniff_envelope(head, tail)
        if kind is None and request_id is not None and request_id not in self._pending:
            kind = "call"  # an id we are not waiting for: the peer's request (its method came after the head)
        if kind == "call":
            await self._send_error(request_id, _too_large(self._codes.message_too_large, limit))
            return
        entry = self._pending.get(request_id) if request_id is not None else None
        waiting = [entry] if entry is not None else ([] if kind == "call" else list(self._pending.values()))
        for method, future in waiting:
            if not future.done():
                future.set_exception(
                    ProtocolError(errors.MESSAGE_TOO_LARGE, f"the response to {method!r} is larger than the {limit}-byte limit", {"limitBytes": limit})
                )
        if kind is None and not waiting:
            await self._send_error(None, _too_large(self._codes.message_too_large, limit))

    def _take_call(self, message: JsonObject) -> Coroutine[Any, Any, None] | None:
        method, params = message["method"], message.get("params", {})
        is_request = "id" in message
        request_id = message.get("id")
        if is_request and not _valid_id(request_id):
            return self._send_error(None, _invalid("`id` must be a string or an integer"))
        if not isinstance(method, str):
            return self._send_error(request_id if is_request else None, _invalid("`method` must be a string"))
        if not isinstance(params, dict):
            if is_request:
                return self._send_error(request_id, ProtocolError(errors.INVALID_PARAMS, "Invalid params", {"path": "", "reason": "params must be an object"}))
            return None
        if is_request:
            assert request_id is not None
            return self._take_request(IncomingRequest(method, params, request_id))
        try:
            self._notifications.put_nowait((method, params))
        except asyncio.QueueFull:
            return self._notifications.put((method, params))  # backpressure on reading
        return None

    def _take_request(self, request: IncomingRequest) -> Coroutine[Any, Any, None] | None:
        if request.id in self._in_flight_ids:
            # JSON-RPC needs ids to be unique among requests in flight: two answers to one id cannot be told apart.
            return self._send_error(request.id, _invalid(f"id {request.id!r} is already used by a request in flight"))
        if len(self._in_flight_ids) >= self.limits.max_in_flight:
            return self._start_when_a_slot_frees(request)
        return self._start_request(request)

    async def _start_when_a_slot_frees(self, request: IncomingRequest) -> None:
        """A burst waits here, in the order it arrived, while max_in_flight handlers run: the peer's
        writes block instead of its requests being refused."""
        while len(self._in_flight_ids) >= self.limits.max_in_flight:
            self._slot_freed = asyncio.get_running_loop().create_future()
            await self._slot_freed
        if (waiting := self._start_request(request)) is not None:
            await waiting

    def _start_request(self, request: IncomingRequest) -> Coroutine[Any, Any, None] | None:
        try:
            work = self._dispatcher.on_request(request)
        except ProtocolError as error:
            return self._send_error(request.id, error)
        self._in_flight_ids.add(request.id)  # also its slot: one id per request in flight
        answer = self._answer(request, work)
        if not self._notifications.empty():
            # Notifications that came before this request are handled before its handler starts.
            task: asyncio.Task[None] | None = asyncio.create_task(answer)
        else:
            # Most handlers answer without waiting (a read from memory): they run to the end right
            # here, and only one that suspends becomes a task (requests still run concurrently).
            task = self._start_now(request, answer)
        if task is None:
            self._request_done(request.id)
        else:
            self._handlers.add(task)
            task.add_done_callback(lambda done: self._handler_done(done, request.id))
        return None

    def _start_now(self, request: IncomingRequest, answer: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
        try:
            return start_eagerly(answer)
        except (Exception, asyncio.CancelledError):
            # What a task would have kept: the answer could not be written (the peer went away).
            log.debug("answering %r failed", request.method, exc_info=True)
            return None

    def _handler_done(self, task: asyncio.Task[None], request_id: RequestId) -> None:
        self._handlers.discard(task)
        self._request_done(request_id)

    def _request_done(self, request_id: RequestId) -> None:
        self._in_flight_ids.discard(request_id)
        freed = self._slot_freed
        if freed is not None and not freed.done():
            freed.set_result(None)

    async def _answer(self, request: IncomingRequest, work: Awaitable[JsonObject]) -> None:
        try:
            result = await work
        except ProtocolError as error:
            await self._send_error(request.id, error)
            return
        except Exception:
            log.exception("handler of %r failed", request.method)
            await self._send_error(request.id, ProtocolError(errors.INTERNAL_ERROR, "Internal error"))
            return
        try:
            await self._send({**self._envelope, "id": request.id, "result": result})
        except MessageTooLarge as too_large:
            log.error("the result of %r is over the %d-byte limit; answering with an error", request.method, too_large.limit_bytes)
            await self._send_error(request.id, _too_large(self._codes.message_too_large, too_large.limit_bytes))
            return
        for after in request.after_response:
            try:
                await after()
            except Exception:
                log.exception("after-response step of %r failed", request.method)

    def _receive_response(self, message: JsonObject) -> None:
        request_id = message.get("id")
        entry = self._pending.get(request_id) if isinstance(request_id, int | str) else None
        if entry is None:
            log.warning("dropping a response to an unknown request id %r", message.get("id"))
            return
        _, future = entry
        if future.done():
            return
        if "error" in message:
            error = message["error"] if isinstance(message["error"], dict) else {}
            code, text = error.get("code"), error.get("message")
            future.set_exception(ProtocolError(code if isinstance(code, int) else errors.INTERNAL_ERROR, str(text), error.get("data")))
        elif isinstance(message["result"], dict):
            future.set_result(message["result"])
        else:
            future.set_exception(ProtocolError(errors.INVALID_REQUEST, "the peer sent a result that is not an object"))

    async def _deliver_notifications(self) -> None:
        """One consumer, so a peer's notifications are handled in the order they were sent."""
        while (item := await self._notifications.get()) is not None:
            method, params = item
            try:
                await self._dispatcher.on_notification(method, params)
            except Exception:
                log.exception("notification handler of %r failed", method)


def sniff_envelope(head: bytes, tail: bytes) -> tuple[str | None, RequestId | None]:
    """Of a message known only by its first and last bytes: "call" or "response" (or None), and its id.

    The head is scanned for top-level keys (exact); an id that comes last is found in the tail.
    """
    kind: str | None = None
    request_id: RequestId | None = None
    for key, position in _top_level_keys(head):
        if key == "method":
            kind = "call"
        elif key in ("result", "error"):
            kind = kind or "response"
        elif key == "id":
            request_id = _id_at(head, position)
    if request_id is None and (found := _TAIL_ID.search(tail)) is not None:
        request_id = _id_of(found.group(1))
    return kind, request_id


_TAIL_ID = re.compile(rb'[,{]\s*"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")\s*}\s*$')
_ID_VALUE = re.compile(rb'\s*(-?\d+|"(?:[^"\\]|\\.)*")\s*[,}]')  # complete: followed by `,` or `}`


def _id_at(data: bytes, position: int) -> RequestId | None:
    found = _ID_VALUE.match(data, position)
    return _id_of(found.group(1)) if found is not None else None


def _id_of(token: bytes) -> RequestId | None:
    value = orjson.loads(token)
    return value if _valid_id(value) else None


def _top_level_keys(data: bytes) -> Iterator[tuple[str, int]]:
    """(key, offset after its colon) for each key of the outermost object, as far as `data` goes."""
    depth, index, end = 0, 0, len(data)
    while index < end:
        byte = data[index]
        if byte == 0x22:  # a string: skip it (escapes included); at depth 1 it may be a key
            close = index + 1
            while close < end and data[close] != 0x22:
                close += 2 if data[close] == 0x5C else 1
            if close >= end:
                return
            after = close + 1
            while after < end and data[after] in b" \t\r\n":
                after += 1
            if depth == 1 and after < end and data[after] == 0x3A:
                yield data[index + 1 : close].decode(errors="replace"), after + 1
            index = close + 1
            continue
        if byte in b"{[":
            depth += 1
        elif byte in b"}]":
            depth -= 1
        index += 1


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _readable_id(message: Any) -> RequestId | None:
    candidate = message.get("id") if isinstance(message, dict) else None
    return candidate if _valid_id(candidate) else None


def _invalid(reason: str) -> ProtocolError:
    return ProtocolError(errors.INVALID_REQUEST, f"Invalid request: {reason}")


def _too_large(code: int, limit: int) -> ProtocolError:
    return ProtocolError(code, f"Message too large: the limit is {limit} bytes", {"limitBytes": limit})
