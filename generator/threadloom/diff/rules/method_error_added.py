"""A method may return an error code it did not list before."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level, method_hit
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import is_experimental, kept

RULE = RuleInfo("method-error-added", "a method may return a new error code: old clients may not handle it", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for old, new in kept(ctx):
        for index, name in enumerate(new.errors):
            if name not in old.errors:
                error = ctx.new.error(name)
                code = f" ({error.code})" if error else ""
                text = f"`{new.name}` may now return `{name}`{code}"
                hit = method_hit(text, Level.WARN, Level.INFO, old.pointer + "/errors", new.pointer + f"/errors/{index}")
                yield Placed(hit, old.pointer, new.pointer, (new.name,), is_experimental(old, new))
