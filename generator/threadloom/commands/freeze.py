from __future__ import annotations

from pathlib import Path

import click

from threadloom.commands._options import PROTOCOL_HELP


@click.command(name="freeze")
@click.argument("version")
@click.option(
    "--protocol",
    "protocol_path",
    type=click.Path(path_type=Path),
    default=Path("protocol"),
    show_default=True,
    help=PROTOCOL_HELP + " Here: the folder of versions.",
)
def command(version: str, protocol_path: Path) -> None:
    """Mark VERSION (e.g. v2) as released: `check` then fails whenever it changes."""
    from threadloom.check import freeze

    digest = freeze(protocol_path, version)
    click.echo(f"froze {version} (sha256 {digest[:16]}...)")
