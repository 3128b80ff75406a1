"""The `threadloom` command line.

Each sub-command lives in its own module under `threadloom/commands/` and exposes `command`
(a click command) named like the module; they are found automatically, so adding one needs no
edit here. A command's module is imported only when that command runs (or for `--help`), and
modules keep heavy imports inside the command function, so every command starts fast: `threadloom
serve` pays for serving, not for the generator.

Other distributions add commands through the `threadloom.commands` entry-point group: the
reference server (`threadloom-server`) brings `serve`, the conformance runner
(`threadloom-conformance`) brings `record` and `replay`. Without them installed, those commands
are simply absent.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from functools import cache
from typing import Any

import click

from threadloom import commands
from threadloom.errors import EXIT_USAGE, InputError

ENTRY_POINT_GROUP = "threadloom.commands"


@cache
def builtin_commands() -> frozenset[str]:
    return frozenset(info.name for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_"))  # `_x`: helpers


@cache
def plugin_commands() -> dict[str, Any]:
    import importlib.metadata  # costs milliseconds: only when a command is not built in

    return {entry.name: entry for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


class ThreadloomGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(builtin_commands() | set(plugin_commands()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in builtin_commands():
            command: click.Command = importlib.import_module(f"{commands.__name__}.{cmd_name}").command
            return command
        entry = plugin_commands().get(cmd_name)
        return entry.load() if entry is not None else None

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_USAGE)


@click.group(cls=ThreadloomGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="threadloom")
def main() -> None:
    """Schema-first toolkit for agent App Server protocols.

    Exit codes: 0 success, 1 findings (check, diff, replay), 2 usage or input errors.
    """
