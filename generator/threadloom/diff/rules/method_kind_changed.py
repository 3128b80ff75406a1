"""A request became a notification or the other way round."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level, method_hit
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import is_experimental, kept

RULE = RuleInfo("method-kind-changed", "a request became a notification or vice versa: the response contract breaks", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for old, new in kept(ctx):
        if old.kind is not new.kind:
            hit = method_hit(f"`{new.name}` is now a {new.kind} (was a {old.kind})", Level.ERR, Level.ERR, old.pointer + "/kind", new.pointer + "/kind")
            yield Placed(hit, old.pointer, new.pointer, (new.name,), is_experimental(old, new))
