"""A method moved between stable and experimental."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.generator.diff.context import DiffContext, Placed
from threadloom.generator.diff.findings import Level, method_hit
from threadloom.generator.diff.rules import RuleInfo
from threadloom.generator.diff.rules._methods import kept
from threadloom.generator.model import Stability

RULE = RuleInfo("method-stability-changed", "a method became experimental (old clients may lose it) or stable", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for old, new in kept(ctx):
        before, after = old.stability, new.stability
        if before == after or Stability.DEPRECATED in (before, after):
            continue
        level = Level.WARN if after is Stability.EXPERIMENTAL else Level.INFO
        hit = method_hit(f"`{new.name}` is now {after} (was {before})", level, Level.INFO, old.pointer + "/stability", new.pointer + "/stability")
        yield Placed(hit, old.pointer, new.pointer, (new.name,))
