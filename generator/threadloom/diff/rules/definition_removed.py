"""A definition was removed: a generated type disappears (wire effects are reported where it was used)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import codegen
from threadloom.diff.rules import RuleInfo

RULE = RuleInfo("definition-removed", "a definition was removed (its generated type disappears)", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for name, definition in ctx.old.definitions.items():
        if ctx.counterpart(name) is None:
            methods = tuple(sorted(ctx.old_reach.methods_of(name)))
            yield Placed(codegen(f"type `{name}` removed"), definition.pointer, "/$defs", methods)
