"""`threadloom record` and `threadloom replay`: the conformance commands (see conformance/README.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from threadloom.commands._options import PROTOCOL_HELP, protocol_option
from threadloom.errors import EXIT_FINDINGS, EXIT_OK, InputError
from threadloom.terminal import wants_progress

ANY_FORMAT = PROTOCOL_HELP + " Any format Threadloom reads (its own, a Codex export or release, an ACP schema or package)."


def parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    variables = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InputError("--var", f"expected NAME=VALUE, got {pair!r}")
        variables[name] = value
    return variables


@click.command(name="replay")
@click.option("--server", required=True, help='Server command line, e.g. "threadloom serve --store :memory:". ${tmpdir} and ${token} are filled per run.')
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True)
@click.option("--schema", default=None, help="Validate against this version (number or release) or document instead of the transcript's own version.")
@protocol_option(dest="protocol_dir", help=ANY_FORMAT, source_format=False)
@click.option("--server-version", default=None, help="The version (number or release) the server implements: expected breaks from it on apply.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "github"]), default="text", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write the report here instead of stdout.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Servers at once [default: the usable cores, or $THREADLOOM_JOBS].")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=None, help="Seconds of server silence that count as a hang [default: header, else 30]."
)
@click.option(
    "--startup-timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True, help="Seconds a server may take to show it is up."
)
@click.option("--progress/--no-progress", default=None, help="One line per finished transcript on stderr [default: on a terminal, off in CI].")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="Value of ${NAME} in transcripts and the server command (repeatable).")
@click.argument("transcripts", nargs=-1, required=True, type=click.Path(path_type=Path))
def replay(
    server: str,
    transport: str,
    schema: str | None,
    protocol_dir: Path,
    server_version: str | None,
    fmt: str,
    output: Path | None,
    jobs: int | None,
    timeout: float | None,
    startup_timeout: float,
    progress: bool | None,
    variables: tuple[str, ...],
    transcripts: tuple[Path, ...],
) -> None:
    """Replay TRANSCRIPT files (or folders of *.jsonl) against --server. Exit 0 all pass, 1 failures, 2 bad input."""
    import asyncio

    from threadloom_conformance.protocol import ProtocolLoadError
    from threadloom_conformance.replay import ReplayOptions, replay_all
    from threadloom_conformance.report import SUMMARISED, render, summary
    from threadloom_conformance.transcript import TranscriptError, load

    if not server.strip():
        raise InputError("--server", "empty server command", hint='e.g. --server "threadloom serve --store :memory:"')
    files = expand_paths(transcripts)
    try:
        loaded = [load(path) for path in files]
    except TranscriptError as error:
        raise InputError(error.file, f"line {error.line}: {error.message}" if error.line else error.message) from None
    options = ReplayOptions(
        server,
        transport,
        schema,
        protocol_dir,
        timeout,
        startup_timeout=startup_timeout,
        variables=parse_vars(variables),
        jobs=jobs,
        server_version=server_version,
    )
    show = progress if progress is not None else wants_progress(sys.stderr)
    try:
        results = asyncio.run(replay_all(loaded, options, on_result=Progress(len(loaded)) if show else None))
    except ProtocolLoadError as error:
        raise InputError("--protocol/--schema", str(error), hint="use --protocol PATH or --schema VERSION|FILE") from None
    report = render(results, fmt)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(report, nl=False)
    if output is not None or fmt not in SUMMARISED:
        # Said once: stdout's report ends with it (text, github); otherwise a person reads it on
        # stderr, and stdout stays pure JSON or XML.
        click.echo(summary(results), err=True)
    sys.exit(EXIT_OK if all(r.passed for r in results) else EXIT_FINDINGS)


class Progress:
    """`[3/36] FAIL path (2 failures) 1.4s` on stderr as each transcript finishes."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def __call__(self, result: Any) -> None:
        self.done += 1
        status = "PASS" if result.passed else f"FAIL ({len(result.failures)} failure(s))"
        note = " (expected break)" if result.notes else ""
        click.echo(f"[{self.done}/{self.total}] {status}{note} {result.transcript} {result.duration:.1f}s", err=True)


def expand_paths(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.rglob("*.jsonl"))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(path, "no such transcript file or folder")
    if not files:
        raise InputError(", ".join(str(p) for p in paths), "no transcripts (*.jsonl) found")
    return files


@click.command(name="record", context_settings={"ignore_unknown_options": True})
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Transcript file to write (JSONL).")
@click.option("--scenario", default="recorded session", show_default=True, help="What the session exercises (goes into the header).")
@protocol_option(help=ANY_FORMAT, source_format=False)
@click.option("--protocol-version", default=None, help="Version the client speaks (number or release) [default: negotiated in the handshake, else the newest].")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="Write VALUE as ${NAME} in the transcript (e.g. the workspace path).")
@click.argument("server", nargs=-1, required=True, type=click.UNPROCESSED)
def record(out: Path, scenario: str, protocol_path: Path, protocol_version: str | None, variables: tuple[str, ...], server: tuple[str, ...]) -> None:
    """Start SERVER (after `--`) and relay a client on this process's stdin/stdout to it, recording every message to --out."""
    from threadloom_conformance.protocol import ProtocolLoadError
    from threadloom_conformance.protocols import find_version, load_versions
    from threadloom_conformance.record import run_record

    if not server:
        raise InputError("threadloom record", "missing server command", hint="threadloom record --out FILE -- SERVER_CMD ...")
    try:  # before the client starts talking: a wrong --protocol must not cost a recorded session
        versions = load_versions(protocol_path)
        told = find_version(versions, protocol_version, protocol_path).version if protocol_version else None
    except ProtocolLoadError as error:
        raise InputError("--protocol", str(error), hint="--protocol PATH: a folder of versions, a version folder or a document") from None
    try:
        status = run_record(list(server), out, scenario, told, parse_vars(variables), versions)
    except FileNotFoundError as error:
        raise InputError(server[0], f"cannot start the server ({error.strerror})") from None
    sys.exit(0 if status == 0 else 1)
