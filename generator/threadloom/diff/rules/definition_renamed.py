"""A definition was renamed with equal structure: not a wire change, but generated names change."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import codegen
from threadloom.diff.rules import RuleInfo

RULE = RuleInfo("definition-renamed", "a definition was renamed with equal structure: generated type names change, the wire does not", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for old_name, new_name in sorted(ctx.renames.items()):
        methods = tuple(sorted(ctx.old_reach.methods_of(old_name) | ctx.new_reach.methods_of(new_name)))
        yield Placed(
            codegen(f"type `{old_name}` renamed to `{new_name}` (same structure: no wire change)"),
            ctx.old.definitions[old_name].pointer,
            ctx.new.definitions[new_name].pointer,
            methods,
        )
