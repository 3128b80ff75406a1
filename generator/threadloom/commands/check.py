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

    Exit 0 when clean, 1 with findings, 2 when the input cannot be read (missing file, invalid
    JSON, a broken cross-file reference, not a protocol).
    """
    from threadloom.check import check_protocol
    from threadloom.jsonio import dumps_stable

    findings = check_protocol(protocol_path, source_format)
    if output_format == "json":
        click.echo(dumps_stable({"ok": not findings, "findings": [f.as_json() for f in findings]}), nl=False)
    else:
        for finding in findings:
            click.echo(finding.render())
        summary = f"{len(findings)} finding(s)" if findings else "protocol OK"
        click.echo(click.style(summary, fg="red" if findings else "green"), err=bool(findings))
    sys.exit(EXIT_FINDINGS if findings else EXIT_OK)
