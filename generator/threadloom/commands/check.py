from __future__ import annotations

import sys
from pathlib import Path

import click

from threadloom.commands._options import protocol_option
from threadloom.errors import EXIT_FINDINGS, EXIT_OK


@click.command(name="check")
@protocol_option()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(protocol_path: Path, source_format: str | None, output_format: str) -> None:
    """Validate, lint and verify the frozen hashes of every protocol version.

    On another vendor's export (Codex, ACP): the structural lint rules and what its adapter could
    not map. Exit 0 when no finding is an error (warnings and infos are printed), 1 with errors,
    2 when the input cannot be read (missing file, invalid JSON, a broken cross-file reference,
    not a protocol).
    """
    from threadloom.check import check_source
    from threadloom.jsonio import dumps_stable

    report = check_source(protocol_path, source_format)
    if output_format == "json":
        body = {"ok": not report.failed, "checked": report.subjects, "findings": [f.as_json() for f in report.findings]}
        click.echo(dumps_stable(body), nl=False)
    else:
        for finding in report.findings:
            click.echo(finding.render())
        click.echo(click.style(report.summary(), fg="red" if report.failed else "green"), err=report.failed)
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_OK)
