from __future__ import annotations

import sys
from pathlib import Path

import click

from threadloom.errors import EXIT_FINDINGS, EXIT_OK


@click.command(name="check")
@click.option("--protocol", "protocol_dir", type=click.Path(path_type=Path), default=Path("protocol"), show_default=True, help="Folder holding v1/, v2/, ...")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(protocol_dir: Path, output_format: str) -> None:
    """Validate, lint and verify the frozen hashes of every protocol version."""
    from threadloom.check import check_protocol_dir
    from threadloom.jsonio import dumps_stable

    findings = check_protocol_dir(protocol_dir)
    if output_format == "json":
        click.echo(dumps_stable({"ok": not findings, "findings": [f.as_json() for f in findings]}), nl=False)
    else:
        for finding in findings:
            click.echo(finding.render())
        summary = f"{len(findings)} finding(s)" if findings else "protocol OK"
        click.echo(click.style(summary, fg="red" if findings else "green"), err=bool(findings))
    sys.exit(EXIT_FINDINGS if findings else EXIT_OK)
