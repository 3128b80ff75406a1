from __future__ import annotations

from pathlib import Path

import click

from threadloom.commands._options import PROTOCOL_HELP, protocol_option


@click.command(name="freeze")
@click.argument("version")
@protocol_option(help=PROTOCOL_HELP + " Here: the folder of versions.", source_format=False)
def command(version: str, protocol_path: Path) -> None:
    """Mark VERSION (e.g. v2) as released: `check` then fails whenever it changes."""
    from threadloom.check import freeze

    digest = freeze(protocol_path, version)
    click.echo(f"froze {version} (sha256 {digest[:16]}...)")
