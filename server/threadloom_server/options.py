"""The server's command-line options, declared once as plain data.

Two front ends read this table: `threadloom serve` (a click command, since the `threadloom` CLI is
click) and the `threadloom-server` script (argparse, in the standard library: importing click costs
more than the rest of the option handling together, and the script exists for a fast start). Both
check the same ranges and both exit 2 on a bad value. Nothing here imports either library.
"""

from __future__ import annotations

from typing import Any, NamedTuple

DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024

DESCRIPTION = """Run the reference App Server with the scripted agent (see server/AGENT.md).

stdio (default): JSON-RPC lines on stdin/stdout, logs on stderr; the server exits when stdin
closes. --http: prints one line {"event":"listening","url":...,"token":...} on stdout, then
serves until SIGTERM/SIGINT. Running turns are interrupted and stored as such on exit."""


class Option(NamedTuple):
    flag: str
    dest: str
    help: str
    kind: str = "text"  # text | directory | int | float
    default: Any = None
    metavar: str | None = None
    minimum: float | None = None  # the smallest accepted value (int and float options)
    min_open: bool = False  # the minimum itself is refused
    repeatable: bool = False
    show_default: bool = False


OPTIONS = (
    Option("--store", "store", "SQLite store file, or :memory: [default: ~/.local/share/threadloom/threads.sqlite3].", metavar="PATH"),
    Option(
        "--workspace",
        "workspace",
        "Workspace root: thread cwds and file changes must stay inside it [default: the current directory].",
        kind="directory",
    ),
    Option("--http", "http", "Serve HTTP + SSE instead of stdio (default host 127.0.0.1; port 0 picks one).", metavar="HOST:PORT"),
    Option("--token", "token", "Bearer token HTTP clients must send [default: generated and printed]."),
    Option("--allow-origin", "allowed_origins", "Also accept browser requests from ORIGIN (repeatable).", metavar="ORIGIN", repeatable=True),
    Option(
        "--allow-host",
        "allowed_hosts",
        "Also answer requests whose Host header names HOST (repeatable; loopback names always).",
        metavar="HOST",
        repeatable=True,
    ),
    Option("--max-sessions", "max_sessions", "Most HTTP sessions at once.", kind="int", default=64, minimum=1, show_default=True),
    Option("--sse-buffer-bytes", "sse_buffer_bytes", "Per-session SSE buffer.", kind="int", default=16 * 1024 * 1024, minimum=1024, show_default=True),
    Option(
        "--slow-reader-seconds",
        "slow_reader_seconds",
        "How long a full SSE buffer waits for its reader.",
        kind="float",
        default=30.0,
        minimum=0,
        min_open=True,
        show_default=True,
    ),
    Option(
        "--command-timeout", "command_timeout", "Seconds before a command is killed.", kind="float", default=60.0, minimum=0, min_open=True, show_default=True
    ),
    Option(
        "--max-message-bytes",
        "max_message_bytes",
        "Largest accepted message.",
        kind="int",
        default=DEFAULT_MAX_MESSAGE_BYTES,
        minimum=1024,
        show_default=True,
    ),
)


def range_problem(option: Option, value: float) -> str | None:
    """Why `value` is out of the option's range, or None."""
    if option.minimum is None:
        return None
    if value < option.minimum or (option.min_open and value == option.minimum):
        bound = ">" if option.min_open else ">="
        return f"{value} is not in the range x{bound}{option.minimum}"
    return None
