"""`threadloom serve`: the reference App Server (scripted agent, SQLite store), over stdio or HTTP+SSE."""

from __future__ import annotations

import sys
from pathlib import Path

import click

DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024


def parse_bind(value: str) -> tuple[str, int]:
    """`HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (host 127.0.0.1); port 0 picks a free port."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(f"{value!r} is not HOST:PORT with a port from 0 to 65535", param_hint="--http")
    return host, int(port)


@click.command(name="serve")
@click.option("--store", "store", default=None, metavar="PATH", help="SQLite store file, or :memory: [default: ~/.local/share/threadloom/threads.sqlite3].")
@click.option(
    "--workspace",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Workspace root: thread cwds and file changes must stay inside it [default: the current directory].",
)
@click.option("--http", "http", default=None, metavar="HOST:PORT", help="Serve HTTP + SSE instead of stdio (default host 127.0.0.1; port 0 picks one).")
@click.option("--token", default=None, help="Bearer token HTTP clients must send [default: generated and printed].")
@click.option("--allow-origin", "allowed_origins", multiple=True, metavar="ORIGIN", help="Also accept browser requests from ORIGIN (repeatable).")
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    metavar="HOST",
    help="Also answer requests whose Host header names HOST (repeatable; loopback names always).",
)
@click.option("--max-sessions", type=click.IntRange(min=1), default=64, show_default=True, help="Most HTTP sessions at once.")
@click.option("--sse-buffer-bytes", type=click.IntRange(min=1024), default=16 * 1024 * 1024, show_default=True, help="Per-session SSE buffer.")
@click.option(
    "--slow-reader-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="How long a full SSE buffer waits for its reader.",
)
@click.option("--command-timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True, help="Seconds before a command is killed.")
@click.option("--max-message-bytes", type=click.IntRange(min=1024), default=DEFAULT_MAX_MESSAGE_BYTES, show_default=True, help="Largest accepted message.")
def command(
    store: str | None,
    workspace: Path | None,
    http: str | None,
    token: str | None,
    allowed_origins: tuple[str, ...],
    allowed_hosts: tuple[str, ...],
    max_sessions: int,
    sse_buffer_bytes: int,
    slow_reader_seconds: float,
    command_timeout: float,
    max_message_bytes: int,
) -> None:
    """Run the reference App Server with the scripted agent (see server/AGENT.md).

    stdio (default): JSON-RPC lines on stdin/stdout, logs on stderr; the server exits when stdin
    closes. --http: prints one line {"event":"listening","url":...,"token":...} on stdout, then
    serves until SIGTERM/SIGINT. Running turns are interrupted and stored as such on exit.
    """
    from threadloom_server.app import HttpBind, ServeSettings, serve

    if (token or allowed_origins or allowed_hosts) and http is None:
        raise click.UsageError("--token, --allow-origin and --allow-host need --http")
    bind = HttpBind(*parse_bind(http)) if http is not None else None
    settings = ServeSettings(
        store=store,
        workspace=workspace or Path.cwd(),
        http=bind,
        token=token,
        allowed_origins=allowed_origins,
        allowed_hosts=allowed_hosts,
        max_sessions=max_sessions,
        sse_buffer_bytes=sse_buffer_bytes,
        slow_reader_seconds=slow_reader_seconds,
        command_timeout=command_timeout,
        max_message_bytes=max_message_bytes,
    )
    sys.exit(serve(settings))


def main() -> None:
    """`threadloom-server`: the same command without the `threadloom` CLI around it (a faster start)."""
    command(prog_name="threadloom-server")
