"""Options every command shares, so that input is named the same way everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

PROTOCOL_HELP = "A folder of version folders (protocol/), one version folder (protocol/v2) or one document file."


def protocol_option(
    default: Path | None = Path("protocol"), *, dest: str = "protocol_path", help: str = PROTOCOL_HELP, source_format: bool = True
) -> Callable[[F], F]:
    """`--protocol PATH` (into the parameter `dest`) and, unless `source_format` is False (a command
    that reads only Threadloom's own documents), `--source-format NAME` (forces the source format
    instead of sniffing it)."""

    def decorate(func: F) -> F:
        if source_format:
            func = click.option(
                "--source-format",
                "source_format",
                metavar="NAME",
                default=None,
                help="Read PATH as this source format (threadloom, or an adapter such as codex or acp) instead of recognising it.",
            )(func)
        return click.option(
            "--protocol",
            dest,
            type=click.Path(path_type=Path),
            default=default,
            show_default=default is not None,
            help=help,
        )(func)

    return decorate
