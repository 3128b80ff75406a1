"""A tagged union is discriminated by another property."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo

RULE = RuleInfo("union-discriminator-changed", "a union's discriminator property changed: no variant is recognised", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    unions = pair.tagged_unions()
    if unions is None:
        return
    old, new = unions
    if old.discriminator != new.discriminator:
        yield compat(
            f"`{new.name}` is discriminated by `{new.discriminator}` instead of `{old.discriminator}`",
            backward=Level.ERR,
            forward=Level.ERR,
            old_pointer=old.pointer + "/discriminator",
            new_pointer=new.pointer + "/discriminator",
        )
