"""HTTP + Server-Sent Events transport for browsers (see protocol/README.md, "Transports").

Each session is one logical JSON-RPC connection: the client POSTs its messages to `/rpc`, and
reads the server's messages from `/events` as SSE `message` events with increasing ids.

Delivery contract (server/README.md, "Limits and guarantees"): every event reaches the reader
exactly once, in order, or the reader is told it fell behind. The session's buffer is bounded in
bytes: at most a quarter of it holds events not yet sent (beyond that the writer waits, and the
backpressure reaches the agent); the rest keeps sent events for a reconnect, since what was sent
may still have been lost with the connection. A reader that stays behind longer than `slow_reader_seconds` gets an
`event: lost` and the session ends: reconnecting answers 410 and the client recovers with a new
session and `thread/resume`. Events already sent stay replayable (`Last-Event-ID`) until the
budget evicts them; a reconnect asking for evicted events also gets 410. A session has one live
stream: a new `GET /events` replaces the previous one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

SESSION_HEADER = "Threadloom-Session"
KEEPALIVE_SECONDS = 15.0
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
MAX_EVENT_ID_DIGITS = 18
RECOVER_HINT = "open a new session (POST /session) and call thread/resume for each thread you follow"


class SessionEnded(ConnectionResetError):
    """Writing to a session whose client is gone or fell behind: the connection drops this subscriber."""


@dataclass(frozen=True)
class Lost:
    """Marks the end of a stream whose reader fell behind (the session ended)."""

    after_id: int


class SessionTransport:
    """The server side of one HTTP session, shaped like every other transport (read/write/close)."""

    def __init__(self, session_id: str, inbox_limit: int, buffer_bytes: int, slow_reader_seconds: float) -> None:
        self.session_id = session_id
        self._inbox: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=inbox_limit)
        self._budget = buffer_bytes
        self._unsent_limit = max(1, buffer_bytes // 4)
        self._slow_reader_seconds = slow_reader_seconds
        self._events: deque[tuple[int, bytes]] = deque()
        self._buffered_bytes = 0
        self._unsent_bytes = 0
        self._sent_id = 0  # highest id handed to the live stream
        self._next_id = 1
        self._stream_generation = 0
        # Fresh events per change instead of a shared Condition: a cancelled stream can never
        # take a lock or a wake-up away from the stream that replaced it.
        self._changed = asyncio.Event()
        self._progress = asyncio.Event()
        self.lost_after: int | None = None
        self.closed = False
        self.last_seen = time.monotonic()

    # -- the connection's side ------------------------------------------------------------
    async def read(self) -> bytes | None:
        return await self._inbox.get()

    async def write(self, data: bytes) -> None:
        """Buffer one event; waits while the reader is behind by more than the budget."""
        await self._wait_for_room(len(data))
        self._events.append((self._next_id, data))
        self._next_id += 1
        self._buffered_bytes += len(data)
        self._unsent_bytes += len(data)
        self._evict_sent()
        self._signal_change()

    async def _wait_for_room(self, size: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._slow_reader_seconds
        while True:
            if self.closed or self.lost_after is not None:
                raise SessionEnded(f"session {self.session_id} has ended")
            if self._unsent_bytes == 0 or self._unsent_bytes + size <= self._unsent_limit:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                self._fall_behind()
                raise SessionEnded(f"session {self.session_id} fell behind by {self._unsent_limit} bytes for {self._slow_reader_seconds:g}s")
            progress = self._progress
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), remaining)

    def _fall_behind(self) -> None:
        """The reader did not keep up: what is buffered is still delivered, then `lost`; nothing more is accepted."""
        self.lost_after = self._next_id - 1
        self._hang_up_now()
        self._signal_change()

    def _evict_sent(self) -> None:
        """Keep sent events for replay only while the buffer is over budget; unsent ones are never dropped."""
        while self._events and self._buffered_bytes > self._budget and self._events[0][0] <= self._sent_id:
            _, data = self._events.popleft()
            self._buffered_bytes -= len(data)

    def _signal_change(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _signal_progress(self) -> None:
        progress, self._progress = self._progress, asyncio.Event()
        progress.set()

    async def close(self) -> None:
        self.closed = True
        self._signal_change()
        self._signal_progress()

    # -- the HTTP side ------------------------------------------------------------------------
    async def deliver(self, body: bytes) -> None:
        """A POSTed message; waits when the connection is behind (backpressure, no unbounded queue)."""
        self.last_seen = time.monotonic()
        await self._inbox.put(body)

    async def hang_up(self) -> None:
        """The client ended the session: the connection reads EOF."""
        await self._inbox.put(None)

    def _hang_up_now(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self._inbox.put_nowait(None)
        if self._inbox.full():  # a full inbox: the connection still reads EOF, after what it holds
            asyncio.get_running_loop().create_task(self.hang_up())

    @property
    def newest_id(self) -> int:
        return self._next_id - 1

    def first_available_id(self) -> int:
        return self._events[0][0] if self._events else self._next_id

    def replay_refusal(self, last_id: int) -> tuple[int, str] | None:
        """Why a stream resuming after `last_id` cannot be served, as (HTTP status, message)."""
        if last_id > self.newest_id:
            return 400, f"Last-Event-ID {last_id} is beyond the newest event {self.newest_id}"
        if self.lost_after is not None and last_id >= self.lost_after:
            return 410, f"this session fell behind and ended after event {self.lost_after}; {RECOVER_HINT}"
        if last_id + 1 < self.first_available_id():
            return 410, f"events after {last_id} are no longer buffered (the oldest kept is {self.first_available_id()}); {RECOVER_HINT}"
        return None

    def open_stream(self, last_id: int) -> AsyncIterator[tuple[int, bytes] | Lost | None]:
        """The live stream from `last_id` on; it replaces (ends) any earlier stream of the session."""
        self._stream_generation += 1
        self._sent_id = last_id
        self._unsent_bytes = sum(len(data) for event_id, data in self._events if event_id > last_id)
        self._signal_change()
        self._signal_progress()
        return self._events_after(last_id, self._stream_generation)

    def _event(self, event_id: int) -> tuple[int, bytes] | None:
        index = event_id - self.first_available_id()
        return self._events[index] if 0 <= index < len(self._events) else None

    def _mark_sent(self, event_id: int, size: int) -> None:
        if event_id > self._sent_id:
            self._sent_id = event_id
            self._unsent_bytes = max(0, self._unsent_bytes - size)
            self._evict_sent()
            self._signal_progress()

    async def _events_after(self, last_id: int, generation: int) -> AsyncIterator[tuple[int, bytes] | Lost | None]:
        """Events with id > last_id, then new ones as they come; None means "nothing for a while"."""
        while generation == self._stream_generation:
            changed = self._changed
            event = self._event(last_id + 1)
            if event is not None:
                last_id = event[0]
                self.last_seen = time.monotonic()
                self._mark_sent(last_id, len(event[1]))
                yield event
                continue
            if self.lost_after is not None and last_id >= self.lost_after:
                yield Lost(self.lost_after)
                return
            if last_id + 1 < self.first_available_id():  # evicted while this stream was replaced and back
                yield Lost(last_id)
                return
            if self.closed:
                return
            try:
                await asyncio.wait_for(changed.wait(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield None


ConnectionFactory = Callable[[SessionTransport], Awaitable[None]]


@dataclass
class HttpSettings:
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    allowed_origins: frozenset[str] = frozenset()
    allowed_hosts: frozenset[str] = frozenset()
    """Host names (besides loopback ones) a request's Host header may name: DNS-rebinding defence."""
    max_message_bytes: int = 8 * 1024 * 1024
    inbox_limit: int = 256
    buffer_bytes: int = 16 * 1024 * 1024
    """Per-session SSE buffer: unsent events (up to a quarter) plus sent ones kept for a reconnect."""
    slow_reader_seconds: float = 30.0
    """How long a writer waits for a reader that is `buffer_bytes` behind before the session ends."""
    max_sessions: int = 64
    body_timeout_seconds: float = 30.0
    idle_session_seconds: float = 600.0


class Sessions:
    def __init__(self, settings: HttpSettings, connect: ConnectionFactory) -> None:
        self.settings = settings
        self._connect = connect
        self._sessions: dict[str, SessionTransport] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def has_room(self) -> bool:
        """Whether another session fits; ended sessions (kept only to answer 410) make way first."""
        for session in [s for s in self._sessions.values() if s.closed]:
            if len(self._sessions) < self.settings.max_sessions:
                break
            self._sessions.pop(session.session_id, None)
        return len(self._sessions) < self.settings.max_sessions

    def open(self) -> SessionTransport:
        settings = self.settings
        session = SessionTransport(secrets.token_urlsafe(16), settings.inbox_limit, settings.buffer_bytes, settings.slow_reader_seconds)
        self._sessions[session.session_id] = session
        task = asyncio.create_task(self._serve(session))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return session

    def get(self, session_id: str | None) -> SessionTransport | None:
        return self._sessions.get(session_id or "")

    async def _serve(self, session: SessionTransport) -> None:
        try:
            await self._connect(session)
        finally:
            await session.close()

    async def end(self, session: SessionTransport) -> None:
        self._sessions.pop(session.session_id, None)
        await session.hang_up()

    async def end_idle(self) -> None:
        """Sessions nobody used for a while end, so abandoned browser tabs do not pile up."""
        cutoff = time.monotonic() - self.settings.idle_session_seconds
        for session in [s for s in self._sessions.values() if s.last_seen < cutoff or (s.closed and s.lost_after is None)]:
            await self.end(session)

    async def shutdown(self) -> None:
        for session in list(self._sessions.values()):
            await self.end(session)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)


def _error(status: int, message: str, **extra: str) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


Handler = Callable[[Request], Awaitable[Response]]


def host_name(host_header: str) -> str:
    """The host part of a Host header, lowercased (`[::1]:80` -> `[::1]`, `Example:1` -> `example`)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rpartition(":")[0] if ":" in host else host


class Guard:
    """Host check, Origin check, CORS for allowed origins, and the bearer token (everything but /healthz).

    A wrapper per handler rather than a middleware: Starlette's BaseHTTPMiddleware buffers
    streaming responses badly, and the SSE stream must flow event by event.
    """

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.hosts = LOOPBACK_HOSTS | {host.lower() for host in settings.allowed_hosts}

    def __call__(self, handler: Handler, *, public: bool = False) -> Handler:
        async def guarded(request: Request) -> Response:
            # The Host check comes first, for every endpoint: a page on a rebound DNS name must
            # not even learn that the server exists.
            host = request.headers.get("host", "")
            if host_name(host) not in self.hosts:
                return _error(421, f"host {host!r} is not served here; start the server with --allow-host to serve another name")
            origin = request.headers.get("origin")
            if origin is not None and not self._origin_allowed(request, origin):
                return _error(403, f"origin {origin} is not allowed; start the server with --allow-origin {origin}")
            if request.method == "OPTIONS":
                response: Response = Response(status_code=204)
            elif not public and not self._authorised(request):
                response = _error(401, "missing or wrong bearer token")
                response.headers["WWW-Authenticate"] = "Bearer"
            else:
                response = await handler(request)
            if origin is not None:
                response.headers.update(self._cors(origin))
            return response

        return guarded

    @staticmethod
    def _cors(origin: str) -> dict[str, str]:
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Headers": f"Authorization, Content-Type, Last-Event-ID, {SESSION_HEADER}",
            "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
            "Vary": "Origin",
        }

    def _origin_allowed(self, request: Request, origin: str) -> bool:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        return origin == own or origin in self.settings.allowed_origins

    def _authorised(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), self.settings.token.encode())


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The request body, counted while it streams in (chunked bodies too) and read within `timeout`."""
    body = bytearray()
    async with asyncio.timeout(timeout):
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise BodyTooLarge
    return bytes(body)


def parse_event_id(value: str) -> int | None:
    """A Last-Event-ID: ASCII digits only, at most 18 of them; None for anything else."""
    if not value.isascii() or not value.isdigit() or len(value) > MAX_EVENT_ID_DIGITS:
        return None
    return int(value)


def create_app(settings: HttpSettings, connect: ConnectionFactory) -> Starlette:
    sessions = Sessions(settings, connect)
    too_large = f"message larger than {settings.max_message_bytes} bytes"

    async def healthz(_: Request) -> Response:
        return JSONResponse({"ok": True})

    async def open_session(_: Request) -> Response:
        await sessions.end_idle()
        if not sessions.has_room():
            return _error(503, f"too many sessions (the limit is {settings.max_sessions}); end one with DELETE /session")
        return JSONResponse({"sessionId": sessions.open().session_id})

    async def end_session(request: Request) -> Response:
        session = sessions.get(request.headers.get(SESSION_HEADER) or request.query_params.get("session"))
        if session is None:
            return _error(404, "unknown session")
        await sessions.end(session)
        return Response(status_code=204)

    async def rpc(request: Request) -> Response:
        session = sessions.get(request.headers.get(SESSION_HEADER))
        if session is None or session.closed or session.lost_after is not None:
            return _error(404, f"unknown or closed session; open one with POST /session and send its id in {SESSION_HEADER}")
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isascii() or not declared.isdigit()):
            return _error(400, "Content-Length must be a non-negative integer")
        if declared is not None and int(declared) > settings.max_message_bytes:
            return _error(413, too_large)
        try:
            body = await read_body(request, settings.max_message_bytes, settings.body_timeout_seconds)
        except BodyTooLarge:
            return _error(413, too_large)
        except TimeoutError:
            return _error(408, f"the body did not arrive within {settings.body_timeout_seconds:g}s")
        except ClientDisconnect:
            return Response(status_code=400)
        await session.deliver(body)
        return Response(status_code=202)

    async def events(request: Request) -> Response:
        session = sessions.get(request.query_params.get("session"))
        if session is None:
            return _error(404, "unknown session")
        raw = request.headers.get("last-event-id") or request.query_params.get("lastEventId") or "0"
        last = parse_event_id(raw)
        if last is None:
            return _error(400, f"Last-Event-ID must be a non-negative integer of at most {MAX_EVENT_ID_DIGITS} ASCII digits")
        refusal = session.replay_refusal(last)
        if refusal is not None:
            status, message = refusal
            return _error(status, message, recover=RECOVER_HINT) if status == 410 else _error(status, message)
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(_sse(session.open_stream(last)), media_type="text/event-stream", headers=headers)

    async def session_route(request: Request) -> Response:
        return await (end_session if request.method == "DELETE" else open_session)(request)

    guard = Guard(settings)
    return Starlette(
        routes=[
            Route("/healthz", guard(healthz, public=True), methods=["GET", "OPTIONS"]),
            Route("/session", guard(session_route), methods=["POST", "DELETE", "OPTIONS"]),
            Route("/rpc", guard(rpc), methods=["POST", "OPTIONS"]),
            Route("/events", guard(events), methods=["GET", "OPTIONS"]),
        ],
        lifespan=_lifespan(sessions),
    )


def _lifespan(sessions: Sessions) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await sessions.shutdown()

    return lifespan


async def _sse(stream: AsyncIterator[tuple[int, bytes] | Lost | None]) -> AsyncIterator[bytes]:
    yield b"retry: 1000\n\n"
    async for event in stream:
        if event is None:
            yield b": keepalive\n\n"
        elif isinstance(event, Lost):
            notice = json.dumps({"error": f"this reader fell behind; events after {event.after_id} were not kept", "recover": RECOVER_HINT})
            yield b"event: lost\ndata: " + notice.encode() + b"\n\n"
        else:
            event_id, data = event
            yield b"event: message\nid: " + str(event_id).encode() + b"\ndata: " + data + b"\n\n"
