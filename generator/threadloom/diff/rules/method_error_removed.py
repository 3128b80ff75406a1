"""A method no longer lists an error code."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level, method_hit
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import kept

RULE = RuleInfo("method-error-removed", "a method no longer returns an error code", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for old, new in kept(ctx):
        for index, name in enumerate(old.errors):
            if name not in new.errors:
                hit = method_hit(f"`{new.name}` no longer returns `{name}`", Level.INFO, Level.INFO, old.pointer + f"/errors/{index}", new.pointer + "/errors")
                yield Placed(hit, old.pointer, new.pointer, (new.name,))
