"""A method was deprecated: no wire change, a notice for old clients to migrate."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Audience, codegen
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import kept

RULE = RuleInfo("method-deprecated", "a method was deprecated: clients should move to its replacement", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for old, new in kept(ctx):
        if new.deprecation and not old.deprecation:
            plan = [f"use `{new.deprecation.replacement}`" if new.deprecation.replacement else ""]
            plan.append(f"removal in v{new.deprecation.remove_in}" if new.deprecation.remove_in else "")
            details = "; ".join(p for p in plan if p)
            hit = codegen(f"`{new.name}` is deprecated" + (f" ({details})" if details else ""), audience=Audience.OLD_CLIENTS)
            yield Placed(hit, old.pointer, new.pointer + "/deprecated", (new.name,))
