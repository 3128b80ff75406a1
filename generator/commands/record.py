"""`threadloom record`: a recording stdio proxy between a real client and a real server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from threadloom.generator.commands.replay import parse_vars
from threadloom.generator.errors import InputError


@click.command(name="record", context_settings={"ignore_unknown_options": True})
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Transcript file to write (JSONL).")
@click.option("--scenario", default="recorded session", show_default=True, help="What the session exercises (goes into the header).")
@click.option("--protocol-version", type=click.IntRange(min=1), default=None, help="Version the client speaks [default: negotiated in initialize].")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="Write VALUE as ${NAME} in the transcript (e.g. the workspace path).")
@click.argument("server", nargs=-1, required=True, type=click.UNPROCESSED)
def command(out: Path, scenario: str, protocol_version: int | None, variables: tuple[str, ...], server: tuple[str, ...]) -> None:
    """Start SERVER (after `--`) and relay a client on this process's stdin/stdout to it, recording every message to --out."""
    from threadloom.conformance.record import run_record

    if not server:
        raise InputError("threadloom record", "missing server command", hint="threadloom record --out FILE -- SERVER_CMD ...")
    try:
        status = run_record(list(server), out, scenario, protocol_version, parse_vars(variables))
    except FileNotFoundError as error:
        raise InputError(server[0], f"cannot start the server ({error.strerror})") from None
    sys.exit(0 if status == 0 else 1)
