"""The reference App Server process: store + scripted agent + runtime + handler, over stdio or HTTP+SSE.

`threadloom serve` (server/threadloom_server/command.py) parses options into `ServeSettings` and calls
`serve(settings)`. stdio serves one connection and ends when stdin closes; HTTP serves many
sessions until SIGTERM/SIGINT. Either way running turns are interrupted (and stored as interrupted)
before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threadloom_protocol.v2.server import session
from threadloom_runtime.connection import Limits
from threadloom_runtime.early import NOTHING_EARLY, Handover
from threadloom_runtime.transport import DEFAULT_MAX_MESSAGE_BYTES, Transport, stdio_transport
from threadloom_server.agent import DEFAULT_COMMAND_TIMEOUT, Agent, TurnContext
from threadloom_server.handler import AppServerHandler
from threadloom_server.limits import shown_budget
from threadloom_server.opening import Opened, StartRefused, check_workspace, open_for_serving
from threadloom_server.store import ThreadStore
from threadloom_server.threads import ThreadRuntime

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

    from threadloom_server.agent.processes import ProcessRegistry
    from threadloom_server.http import HttpSettings

log = logging.getLogger("threadloom_server")

DEFAULT_HOST = "127.0.0.1"
SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass(frozen=True)
class HttpBind:
    host: str = DEFAULT_HOST
    port: int = 0


@dataclass(frozen=True)
class ServeSettings:
    store: str | None = None
    """A file path, `:memory:`, or None for the per-user default."""
    workspace: Path = field(default_factory=Path.cwd)
    http: HttpBind | None = None
    token: str | None = None
    allowed_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_sessions: int = 64
    sse_buffer_bytes: int = 16 * 1024 * 1024
    slow_reader_seconds: float = 30.0


class AppServer:
    """One server process: a runtime shared by every connection, one handler object for all of them."""

    def __init__(self, store: ThreadStore, workspace: Path, agent: Agent, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self.store = store
        self.runtime = ThreadRuntime(store, agent, workspace.resolve(), max_message_bytes)
        self.handler = AppServerHandler(self.runtime)
        self.limits = Limits(max_message_bytes=max_message_bytes, shutdown_grace_seconds=2.0)

    async def serve_connection(self, transport: Transport) -> None:
        connection = session(self.handler, transport, limits=self.limits)
        try:
            await connection.run()
        finally:
            self.runtime.disconnect(connection.peer)

    async def serve_stdio(self, stop: asyncio.Event, handover: Handover = NOTHING_EARLY) -> None:
        """`handover`: what an early `initialize` answer read and wrote (threadloom_runtime.early)."""
        transport = handover.transport(await stdio_transport(self.limits.max_message_bytes, handover.already_read))
        serving = asyncio.create_task(self.serve_connection(transport))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        await self.runtime.shutdown()
        stopping.cancel()
        if not serving.done():
            serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving

    async def serve_http(self, settings: HttpSettings, bind: HttpBind, stop: asyncio.Event) -> None:
        from threadloom_server.http import SessionTransport, create_app

        live: dict[SessionTransport, asyncio.Task[object]] = {}

        async def connect(transport: SessionTransport) -> None:
            task = asyncio.current_task()
            assert task is not None
            live[transport] = task
            try:
                await self.serve_connection(transport)
            finally:
                live.pop(transport, None)

        server, serving, port = await _start_uvicorn(create_app(settings, connect), bind, settings.body_timeout_seconds)
        announce({"event": "listening", "url": f"http://{_url_host(bind.host)}:{port}", "token": settings.token})
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        # Turns end first, so their `turn/completed` is in the sessions' buffers; then every session
        # reads EOF and closes, which ends its event stream, so uvicorn finds no open response.
        await self.runtime.shutdown()
        sessions = dict(live)
        for transport in sessions:
            await transport.hang_up()
        if sessions:
            await asyncio.wait(sessions.values(), timeout=5)
        server.should_exit = True
        await serving


async def _start_uvicorn(app: ASGIApp, bind: HttpBind, body_timeout: float) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """uvicorn serving `app` on a socket bound here (so a taken port is a clean OSError, not uvicorn's sys.exit)."""
    import uvicorn

    from threadloom_server.http_protocol import ConnectionLimits, protocol_with

    # log_config=None: uvicorn's default config logs access lines to stdout, which carries the one
    # `listening` line clients parse. The graceful timeout is a backstop for streams left open.
    # The protocol class bounds connections, header size and header/body time before any token check.
    limits = ConnectionLimits(max_connections=_connection_budget(), body_timeout=body_timeout)
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=3, http=protocol_with(limits), backlog=128)
    server = _uvicorn_server(config)
    listener = listen(bind)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if serving.done():
            await serving
            raise OSError(f"cannot serve on {bind.host}:{bind.port}")
        await asyncio.sleep(0.01)
    port: int = listener.getsockname()[1]
    return server, serving, port


def _connection_budget(reserve: int = 64, most: int = 1024) -> int:
    """Connections to accept: the descriptor limit (raised to its hard maximum) minus a reserve for the
    store, pipes and commands, so a flood of sockets can never starve the rest of the process."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = hard if hard != resource.RLIM_INFINITY else 4096
        if soft != resource.RLIM_INFINITY and soft < wanted:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, 4096), hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except ImportError:  # not POSIX
        return 256
    available = most if soft == resource.RLIM_INFINITY else soft - reserve
    return max(16, min(most, available))


def _uvicorn_server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's Server without its own signal handling: ours interrupts turns before the server stops."""
    import uvicorn

    class QuietSignalsServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietSignalsServer(config)


def listen(bind: HttpBind) -> socket.socket:
    try:
        family = socket.AF_INET6 if ":" in bind.host else socket.AF_INET
        return socket.create_server((bind.host, bind.port), family=family)
    except OSError as error:
        raise OSError(f"cannot listen on {bind.host}:{bind.port}: {error.strerror or error}") from None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def announce(event: dict[str, str]) -> None:
    """The one line `--http` prints on stdout; conformance tools and tests wait for it."""
    import json  # here, like everything only HTTP needs: stdio never loads it

    sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _install_signal_handlers(stop: asyncio.Event) -> Callable[[], None]:
    loop = asyncio.get_running_loop()
    for signum in SHUTDOWN_SIGNALS:
        loop.add_signal_handler(signum, stop.set)

    def remove() -> None:
        for signum in SHUTDOWN_SIGNALS:
            loop.remove_signal_handler(signum)

    return remove


def http_settings(settings: ServeSettings) -> HttpSettings:
    import secrets

    from threadloom_server.http import HttpSettings

    return HttpSettings(
        token=settings.token or secrets.token_urlsafe(24),
        allowed_origins=frozenset(settings.allowed_origins),
        allowed_hosts=frozenset(settings.allowed_hosts) | _bound_host(settings.http),
        max_message_bytes=settings.max_message_bytes,
        buffer_bytes=settings.sse_buffer_bytes,
        slow_reader_seconds=settings.slow_reader_seconds,
        max_sessions=settings.max_sessions,
    )


def _bound_host(bind: HttpBind | None) -> frozenset[str]:
    """A server bound to one specific name or address answers to it; a wildcard bind answers only to --allow-host."""
    if bind is None or bind.host in ("0.0.0.0", "::", ""):
        return frozenset()
    return frozenset({_url_host(bind.host).lower()})


class DeferredScriptedAgent:
    """The scripted agent, imported and built on the first turn, so answering `initialize` never pays
    for its modules (bench/NOTES.md, "Cold start")."""

    def __init__(self, settings: ServeSettings, processes: ProcessRegistry | None) -> None:
        self._settings = settings
        self._processes = processes
        self._agent: Agent | None = None

    async def run_turn(self, turn: TurnContext) -> None:
        if self._agent is None:
            from threadloom_server.agent.scripted import ScriptedAgent

            shown = shown_budget(self._settings.max_message_bytes)
            self._agent = ScriptedAgent(command_timeout=self._settings.command_timeout, max_shown_bytes=shown, processes=self._processes)
        await self._agent.run_turn(turn)


async def run(settings: ServeSettings, store: ThreadStore, processes: ProcessRegistry | None = None, handover: Handover = NOTHING_EARLY) -> None:
    agent = DeferredScriptedAgent(settings, processes)
    app = AppServer(store, settings.workspace, agent, settings.max_message_bytes)
    stop = asyncio.Event()
    remove_handlers = _install_signal_handlers(stop)
    try:
        if settings.http is None:
            await app.serve_stdio(stop, handover)
        else:
            await app.serve_http(http_settings(settings), settings.http, stop)
    finally:
        remove_handlers()


def configure_logging() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="threadloom serve: %(levelname)s %(name)s: %(message)s")


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """uvloop where it exists (measured on stdio: ~18% more requests/s, ~15% lower one-at-a-time
    latency than the default loop, see bench/NOTES.md); the standard loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def serve(settings: ServeSettings, opened: Opened | None = None, handover: Handover = NOTHING_EARLY) -> int:
    """Run the server until stdin closes (stdio) or a signal arrives; the exit status.

    `opened` and `handover` come from a start that answered `initialize` early (threadloom_server.command)."""
    configure_logging()
    if opened is None:
        try:
            check_workspace(settings.workspace)
            opened = open_for_serving(settings.store)
        except StartRefused as refused:
            print(f"threadloom serve: error: {refused}", file=sys.stderr)
            return 2
    if opened.killed_leftovers:
        log.warning("killed %d command process group(s) an earlier server left running", opened.killed_leftovers)
    if opened.store.recovered_turns:
        log.warning("marked %d turn(s) left running by an earlier crash as interrupted", len(opened.store.recovered_turns))
    try:
        run_event_loop(run(settings, opened.store, opened.processes, handover))
    except OSError as error:
        print(f"threadloom serve: error: {error}", file=sys.stderr)
        return 2
    finally:
        opened.close()
    return 0
