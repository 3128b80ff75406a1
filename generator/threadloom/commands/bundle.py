from __future__ import annotations

from pathlib import Path

import click

from threadloom.commands._options import protocol_option


@click.command(name="bundle")
@protocol_option(default=None)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the document here instead of standard output.")
def command(protocol_path: Path | None, source_format: str | None, out: Path | None) -> None:
    """Print one version as a single self-contained JSON Schema: other files' definitions bundled in,
    envelopes derived. Any standard validator then validates every wire message of the version."""
    from threadloom.errors import InputError
    from threadloom.jsonio import dumps_stable
    from threadloom.loader import load_protocol

    if protocol_path is None:
        raise InputError("--protocol", "name one version: a version folder or a document", hint="e.g. --protocol protocol/v2")
    text = dumps_stable(load_protocol(protocol_path, source_format).document)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(out, f"cannot write: {error.strerror or error}") from None
    click.echo(f"wrote {out}", err=True)
