"""`threadloom serve` and `threadloom-server`: the reference App Server (scripted agent, SQLite store), over stdio or HTTP+SSE.

Both front ends read the one option table in `threadloom_server.options` and call `start`.
`threadloom serve` is a click command (`command`, built on first access, which is when the
`threadloom` CLI loads this entry point); `threadloom-server` (`main`) parses the same options with
argparse, so starting the server alone never imports click (see bench/NOTES.md, "Cold start").
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threadloom_server.options import DESCRIPTION, OPTIONS, Option, range_problem

if TYPE_CHECKING:
    import argparse

    import click

    from threadloom_runtime.early import EarlyHandshake
    from threadloom_server.app import ServeSettings


class UsageProblem(Exception):
    """A command line the server cannot run with; each front end reports it its own way (exit 2)."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


def parse_bind(value: str) -> tuple[str, int]:
    """`HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (host 127.0.0.1); port 0 picks a free port."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        raise UsageProblem(f"{value!r} is not HOST:PORT with a port from 0 to 65535", "--http")
    return host, int(port)


def start(options: dict[str, Any]) -> int:
    """Run the server with parsed options (keyed by `Option.dest`); the exit status."""
    http: str | None = options["http"]
    if (options["token"] or options["allowed_origins"] or options["allowed_hosts"]) and http is None:
        raise UsageProblem("--token, --allow-origin and --allow-host need --http")
    bind = parse_bind(http) if http is not None else None
    if bind is None:
        from threadloom_runtime.early import stdio_is_pipes

        if stdio_is_pipes():
            return _start_answering_early(options)
    serve, settings = _load_server(options, bind)
    return serve(settings)


def _start_answering_early(options: dict[str, Any]) -> int:
    """stdio over pipes: answer `initialize` while the server loads (threadloom_runtime.early).

    What can refuse the start (the workspace, a store file) is checked first, so a refused start
    never answers anything; `:memory:` cannot refuse and is opened with the rest."""
    from threadloom_runtime.early import answer_while_loading
    from threadloom_server.opening import MEMORY, StartRefused, check_workspace, open_for_serving

    try:
        check_workspace(options["workspace"] or Path.cwd())
        opened = open_for_serving(options["store"]) if options["store"] != MEMORY else None
    except StartRefused as refused:
        print(f"threadloom serve: error: {refused}", file=sys.stderr)
        return 2
    (serve, settings), handover = answer_while_loading(lambda: _load_server(options, None), lambda: _early_handshake(options))
    return serve(settings, opened, handover)


def _early_handshake(options: dict[str, Any]) -> EarlyHandshake:
    from threadloom_protocol.v2 import handshake
    from threadloom_runtime.early import EarlyHandshake
    from threadloom_server.handshake import initialize_result

    return EarlyHandshake.from_module(handshake, initialize_result, max_message_bytes=options["max_message_bytes"])


def _load_server(options: dict[str, Any], bind: tuple[str, int] | None) -> tuple[Callable[..., int], ServeSettings]:
    """Import the server (the slow part of a start) and build its settings."""
    with _collector_paused():
        from threadloom_server.app import HttpBind, ServeSettings, serve

    settings = ServeSettings(
        store=options["store"],
        workspace=options["workspace"] or Path.cwd(),
        http=HttpBind(*bind) if bind is not None else None,
        token=options["token"],
        allowed_origins=tuple(options["allowed_origins"] or ()),
        allowed_hosts=tuple(options["allowed_hosts"] or ()),
        max_sessions=options["max_sessions"],
        sse_buffer_bytes=options["sse_buffer_bytes"],
        slow_reader_seconds=options["slow_reader_seconds"],
        command_timeout=options["command_timeout"],
        max_message_bytes=options["max_message_bytes"],
    )
    return serve, settings


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Import the server without cyclic garbage collection, then freeze what the import made.

    Importing builds ~100 model classes and their pydantic metadata, all alive for the whole process,
    and the collector ran ~90 times over them for nothing (~5% of the start-up CPU, bench/NOTES.md).
    Frozen, they are also left out of the full collections of a long-running server."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


# -- threadloom-server: argparse ----------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """`threadloom-server`: the same command without the `threadloom` CLI around it (a faster start)."""
    parser = _argument_parser()
    options = vars(parser.parse_args(argv))
    try:
        status = start(options)
    except UsageProblem as problem:
        parser.error(f"argument {problem.option}: {problem}" if problem.option else str(problem))
    sys.exit(status)


def _argument_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(prog="threadloom-server", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    for option in OPTIONS:
        shown_default = f"  [default: {option.default}; x{'>' if option.min_open else '>='}{option.minimum}]" if option.show_default else ""
        parser.add_argument(
            option.flag,
            dest=option.dest,
            metavar=option.metavar or option.kind.upper(),
            help=option.help + shown_default,
            type=_argparse_converter(option),
            default=[] if option.repeatable else option.default,
            action="append" if option.repeatable else "store",
        )
    return parser


def _argparse_converter(option: Option) -> Any:
    import argparse

    def convert(text: str) -> object:
        try:
            value = _convert(option, text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return value

    return convert


def _convert(option: Option, text: str) -> object:
    if option.kind == "directory":
        path = Path(text)
        if path.exists() and not path.is_dir():
            raise ValueError(f"directory {text!r} is a file")
        return path
    if option.kind in ("int", "float"):
        kind = int if option.kind == "int" else float
        try:
            number = kind(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a valid {'integer' if kind is int else 'number'}") from None
        problem = range_problem(option, number)
        if problem is not None:
            raise ValueError(problem)
        return number
    return text


# -- threadloom serve: click (loaded by the `threadloom` CLI through the entry point) ------------


def __getattr__(name: str) -> Any:
    """`command` is built on first access, so importing this module for `main` never imports click."""
    if name == "command":
        built = _click_command()
        globals()["command"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _click_command() -> click.Command:
    import click

    def callback(**options: Any) -> None:
        try:
            status = start(options)
        except UsageProblem as problem:
            if problem.option:
                raise click.BadParameter(str(problem), param_hint=problem.option) from None
            raise click.UsageError(str(problem)) from None
        sys.exit(status)

    return click.Command("serve", callback=callback, params=[_click_option(option) for option in OPTIONS], help=DESCRIPTION)


def _click_option(option: Option) -> click.Option:
    import click

    kind: Any = None  # a click.ParamType
    if option.kind == "directory":
        kind = click.Path(path_type=Path, file_okay=False)
    elif option.kind == "int":
        kind = click.IntRange(min=None if option.minimum is None else int(option.minimum), min_open=option.min_open)
    elif option.kind == "float":
        kind = click.FloatRange(min=option.minimum, min_open=option.min_open)
    return click.Option(
        [option.flag, option.dest],
        type=kind,
        default=option.default,
        metavar=option.metavar,
        multiple=option.repeatable,
        show_default=option.show_default,
        help=option.help,
    )
