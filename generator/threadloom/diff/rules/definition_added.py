"""A definition was added: a new generated type."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import codegen
from threadloom.diff.rules import RuleInfo

RULE = RuleInfo("definition-added", "a definition was added (a new generated type)", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    targets = set(ctx.renames.values())
    for name, definition in ctx.new.definitions.items():
        if name not in ctx.old.definitions and name not in targets:
            methods = tuple(sorted(ctx.new_reach.methods_of(name)))
            yield Placed(codegen(f"new type `{name}`"), "/$defs", definition.pointer, methods)
