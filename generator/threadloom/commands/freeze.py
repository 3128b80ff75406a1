from __future__ import annotations

from pathlib import Path

import click


@click.command(name="freeze")
@click.argument("version")
@click.option("--protocol", "protocol_dir", type=click.Path(path_type=Path), default=Path("protocol"), show_default=True)
def command(version: str, protocol_dir: Path) -> None:
    """Mark VERSION (e.g. v2) as released: `check` then fails whenever it changes."""
    from threadloom.check import freeze

    digest = freeze(protocol_dir, version)
    click.echo(f"froze {version} (sha256 {digest[:16]}...)")
