"""An error left the error table: old servers may still send it to new clients."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level, method_hit
from threadloom.diff.rules import RuleInfo
from threadloom.errors import pointer_join

RULE = RuleInfo("error-removed", "an error was removed from the error table", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for index, error in enumerate(ctx.old.errors):
        if ctx.new.error(error.name) is None:
            users = tuple(sorted(m.name for m in ctx.old.methods if error.name in m.errors))
            hit = method_hit(f"error `{error.name}` ({error.code}) removed", Level.INFO, Level.WARN)
            yield Placed(hit, pointer_join("x-errors", index), "/x-errors", users)
