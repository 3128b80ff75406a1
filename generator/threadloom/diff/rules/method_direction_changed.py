"""A method is now sent by the other side."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level, method_hit
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import arrow, is_experimental, kept

RULE = RuleInfo("method-direction-changed", "a method changed direction: the old sender's peer no longer handles it", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for old, new in kept(ctx):
        if old.direction is not new.direction:
            text = f"`{new.name}` is now {arrow(new)} (was {arrow(old)})"
            hit = method_hit(text, Level.ERR, Level.ERR, old.pointer + "/direction", new.pointer + "/direction")
            yield Placed(hit, old.pointer, new.pointer, (new.name,), is_experimental(old, new))
