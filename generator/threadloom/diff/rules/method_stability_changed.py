"""A method moved between stable and experimental."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level, method_hit
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import kept
from threadloom.model import Stability

RULE = RuleInfo("method-stability-changed", "a method became experimental (old clients may lose it) or stable", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for old, new in kept(ctx):
        before, after = old.stability, new.stability
        if before == after or Stability.DEPRECATED in (before, after):
            continue
        level = Level.WARN if after is Stability.EXPERIMENTAL else Level.INFO
        hit = method_hit(f"`{new.name}` is now {after} (was {before})", level, Level.INFO, old.pointer + "/stability", new.pointer + "/stability")
        yield Placed(hit, old.pointer, new.pointer, (new.name,))
