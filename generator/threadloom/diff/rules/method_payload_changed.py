"""A method's params or result now names another definition.

The two definitions are compared structurally by the engine (wire findings appear at their
pointers); this rule records the generated-type change itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import codegen
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import kept

RULE = RuleInfo("method-payload-changed", "a method's params or result type is another definition", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for old, new in kept(ctx):
        for part, before, after in (("params", old.params, new.params), ("result", old.result, new.result)):
            if before and after and before != after and not ctx.same_definition(before, after):
                hit = codegen(f"`{new.name}` {part} type `{before}` -> `{after}`", old.pointer + "/" + part, new.pointer + "/" + part)
                yield Placed(hit, old.pointer, new.pointer, (new.name,))
