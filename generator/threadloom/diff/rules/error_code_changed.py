"""A named error now has another numeric code."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level, method_hit
from threadloom.diff.rules import RuleInfo
from threadloom.errors import pointer_join

RULE = RuleInfo("error-code-changed", "an error's code changed: clients match on codes", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for old_index, old in enumerate(ctx.old.errors):
        for new_index, new in enumerate(ctx.new.errors):
            if new.name == old.name and new.code != old.code:
                users = tuple(sorted({m.name for m in (*ctx.old.methods, *ctx.new.methods) if old.name in m.errors}))
                hit = method_hit(f"error `{new.name}` code {old.code} -> {new.code}", Level.ERR, Level.ERR)
                yield Placed(hit, pointer_join("x-errors", old_index, "code"), pointer_join("x-errors", new_index, "code"), users)
