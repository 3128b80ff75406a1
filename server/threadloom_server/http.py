"""HTTP + Server-Sent Events transport for browsers (see protocol/README.md, "Transports").

Each session is one logical JSON-RPC connection: the client POSTs its messages to `/rpc`, and
reads the server's messages from `/events` as SSE `message` events with increasing ids. Events
are kept in a bounded buffer per session so a client that reconnects with `Last-Event-ID`
receives everything it missed. Starlette provides routing and streaming; uvicorn serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

SESSION_HEADER = "Threadloom-Session"
KEEPALIVE_SECONDS = 15.0


class SessionTransport:
    """The server side of one HTTP session, shaped like every other transport (read/write/close)."""

    def __init__(self, session_id: str, inbox_limit: int, event_limit: int) -> None:
        self.session_id = session_id
        self._inbox: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=inbox_limit)
        self._events: deque[tuple[int, bytes]] = deque(maxlen=event_limit)
        self._next_id = 1
        self._changed = asyncio.Condition()
        self.closed = False
        self.last_seen = time.monotonic()

    # -- the connection's side ------------------------------------------------------------
    async def read(self) -> bytes | None:
        return await self._inbox.get()

    async def write(self, data: bytes) -> None:
        async with self._changed:
            self._events.append((self._next_id, data))
            self._next_id += 1
            self._changed.notify_all()

    async def close(self) -> None:
        async with self._changed:
            self.closed = True
            self._changed.notify_all()

    # -- the HTTP side ------------------------------------------------------------------------
    async def deliver(self, body: bytes) -> None:
        """A POSTed message; waits when the connection is behind (backpressure, no unbounded queue)."""
        self.last_seen = time.monotonic()
        await self._inbox.put(body)

    async def hang_up(self) -> None:
        """The client ended the session: the connection reads EOF."""
        await self._inbox.put(None)

    def first_available_id(self) -> int:
        return self._events[0][0] if self._events else self._next_id

    async def events_after(self, last_id: int) -> AsyncIterator[tuple[int, bytes] | None]:
        """Events with id > last_id, then new ones as they come; None means "nothing for a while"."""
        while True:
            async with self._changed:
                pending = [event for event in self._events if event[0] > last_id]
                if not pending and not self.closed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), KEEPALIVE_SECONDS)
                    pending = [event for event in self._events if event[0] > last_id]
            if not pending:
                if self.closed:
                    return
                yield None
                continue
            for event in pending:
                last_id = event[0]
                self.last_seen = time.monotonic()
                yield event


ConnectionFactory = Callable[[SessionTransport], Awaitable[None]]


@dataclass
class HttpSettings:
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    allowed_origins: frozenset[str] = frozenset()
    max_message_bytes: int = 8 * 1024 * 1024
    inbox_limit: int = 256
    event_buffer: int = 10_000
    idle_session_seconds: float = 600.0


class Sessions:
    def __init__(self, settings: HttpSettings, connect: ConnectionFactory) -> None:
        self.settings = settings
        self._connect = connect
        self._sessions: dict[str, SessionTransport] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def open(self) -> SessionTransport:
        session = SessionTransport(secrets.token_urlsafe(16), self.settings.inbox_limit, self.settings.event_buffer)
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
        for session in [s for s in self._sessions.values() if s.last_seen < cutoff or s.closed]:
            await self.end(session)

    async def shutdown(self) -> None:
        for session in list(self._sessions.values()):
            await self.end(session)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


Handler = Callable[[Request], Awaitable[Response]]


class Guard:
    """Origin check, CORS for allowed origins, and the bearer token (everything but /healthz).

    A wrapper per handler rather than a middleware: Starlette's BaseHTTPMiddleware buffers
    streaming responses badly, and the SSE stream must flow event by event.
    """

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings

    def __call__(self, handler: Handler, *, public: bool = False) -> Handler:
        async def guarded(request: Request) -> Response:
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


def create_app(settings: HttpSettings, connect: ConnectionFactory) -> Starlette:
    sessions = Sessions(settings, connect)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"ok": True})

    async def open_session(_: Request) -> Response:
        await sessions.end_idle()
        return JSONResponse({"sessionId": sessions.open().session_id})

    async def end_session(request: Request) -> Response:
        session = sessions.get(request.headers.get(SESSION_HEADER) or request.query_params.get("session"))
        if session is None:
            return _error(404, "unknown session")
        await sessions.end(session)
        return Response(status_code=204)

    async def rpc(request: Request) -> Response:
        session = sessions.get(request.headers.get(SESSION_HEADER))
        if session is None or session.closed:
            return _error(404, f"unknown or closed session; open one with POST /session and send its id in {SESSION_HEADER}")
        declared = int(request.headers.get("content-length") or 0)
        if declared > settings.max_message_bytes:
            return _error(413, f"message larger than {settings.max_message_bytes} bytes")
        body = await request.body()
        if len(body) > settings.max_message_bytes:
            return _error(413, f"message larger than {settings.max_message_bytes} bytes")
        await session.deliver(body)
        return Response(status_code=202)

    async def events(request: Request) -> Response:
        session = sessions.get(request.query_params.get("session"))
        if session is None:
            return _error(404, "unknown session")
        last = request.headers.get("last-event-id") or request.query_params.get("lastEventId") or "0"
        if not last.isdigit():
            return _error(400, "Last-Event-ID must be a non-negative integer")
        if int(last) + 1 < session.first_available_id():
            return _error(410, "events after Last-Event-ID are no longer buffered; open a new session")
        return StreamingResponse(_sse(session, int(last)), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

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


async def _sse(session: SessionTransport, last_id: int) -> AsyncIterator[bytes]:
    yield b"retry: 1000\n\n"
    async for event in session.events_after(last_id):
        if event is None:
            yield b": keepalive\n\n"
        else:
            event_id, data = event
            yield b"event: message\nid: " + str(event_id).encode() + b"\ndata: " + data + b"\n\n"
