"""The `threadloom` command line.

Each sub-command lives in its own module under `threadloom/commands/` and exposes `command`
(a click command); they are found automatically, so adding one needs no edit here. Modules keep
heavy imports inside the command function so that `threadloom --help` stays fast.

Other distributions add commands through the `threadloom.commands` entry-point group: the
reference server (`threadloom-server`) brings `serve`, the conformance runner
(`threadloom-conformance`) brings `record` and `replay`. Without them installed, those commands
are simply absent.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import sys

import click

from threadloom import commands
from threadloom.errors import EXIT_USAGE, InputError


class ThreadloomGroup(click.Group):
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


for _info in pkgutil.iter_modules(commands.__path__):
    if _info.name.startswith("_"):
        continue  # shared helpers, not commands
    _module = importlib.import_module(f"{commands.__name__}.{_info.name}")
    main.add_command(_module.command)

for _entry in importlib.metadata.entry_points(group="threadloom.commands"):
    main.add_command(_entry.load(), name=_entry.name)
