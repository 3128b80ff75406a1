from __future__ import annotations

import sys
from pathlib import Path

import click

from threadloom.commands._options import protocol_option
from threadloom.errors import EXIT_FINDINGS, EXIT_OK


@click.command(name="validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@protocol_option()
@click.option(
    "--version",
    "wanted_version",
    type=int,
    default=None,
    help="Protocol version to check against (default: the transcript's, else the oldest the source holds).",
)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(files: tuple[Path, ...], protocol_path: Path, source_format: str | None, wanted_version: int | None, output_format: str) -> None:
    """Check recorded wire messages in FILES (JSONL captures or Threadloom transcripts) against a protocol.

    Every message is checked by direction and method: framing, request and notification params,
    results (through the request id), error objects. Exit 1 on findings, 2 on bad input.
    """
    from threadloom.jsonio import dumps_stable
    from threadloom.loader import load_protocols
    from threadloom.validate import choose_version, transcript_version, validate_files

    paths = list(files)
    protocols = load_protocols(protocol_path, source_format)
    protocol = choose_version(protocols, wanted_version if wanted_version is not None else transcript_version(paths), protocol_path)
    outcome = validate_files(protocol, paths)
    against = f"{protocol.name} {protocol.identity} (protocol version {protocol.version})"
    if output_format == "json":
        report = {
            "ok": not outcome.findings,
            "protocol": {"name": protocol.name, "release": protocol.release, "version": protocol.version, "format": protocol.format},
            "checked": outcome.checked,
            "extensions": outcome.extensions,
            "findings": [f.as_json() for f in outcome.findings],
        }
        click.echo(dumps_stable(report), nl=False)
    else:
        for finding in outcome.findings:
            click.echo(finding.render())
        summary = f"{outcome.checked} message(s) checked against {against}: "
        summary += f"{len(outcome.findings)} finding(s)" if outcome.findings else "all valid"
        click.echo(click.style(summary, fg="red" if outcome.findings else "green"), err=bool(outcome.findings))
    sys.exit(EXIT_FINDINGS if outcome.findings else EXIT_OK)
