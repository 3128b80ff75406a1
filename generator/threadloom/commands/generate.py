from __future__ import annotations

import sys
from pathlib import Path

import click

from threadloom.errors import EXIT_FINDINGS, EXIT_OK


@click.command(name="generate")
@click.argument("targets", nargs=-1)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and name every stale file.")
@click.option("--no-cache", is_flag=True, help="Run every target even when its inputs did not change.")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True, help="Project root holding protocol/.")
def command(targets: tuple[str, ...], check: bool, no_cache: bool, root: Path) -> None:
    """Generate TARGETS (default: all) from the protocol documents."""
    from threadloom.generate import available_targets, run_targets

    names = list(targets) or list(available_targets())
    outcome = run_targets(root, names, check, progress=lambda line: click.echo(line, err=True), use_cache=not no_cache)
    if check:
        for stale in outcome.stale:
            click.echo(f"stale: {stale}")
        if outcome.stale:
            click.echo(f"{len(outcome.stale)} stale file(s); run `threadloom generate` and commit the result", err=True)
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{outcome.unchanged} generated file(s) up to date", err=True)
        sys.exit(EXIT_OK)
    for path in outcome.written:
        click.echo(f"wrote {path}")
    for path in outcome.removed:
        click.echo(f"removed {path}")
    click.echo(f"{len(outcome.written)} written, {len(outcome.removed)} removed, {outcome.unchanged} unchanged", err=True)
