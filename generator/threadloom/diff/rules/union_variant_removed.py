"""A tagged union lost a variant."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.unions import pair_variants
from threadloom.errors import pointer_join

RULE = RuleInfo("union-variant-removed", "a union lost a variant: data using it is rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    unions = pair.tagged_unions()
    if unions is None:
        return
    old, new = unions
    for index in pair_variants(pair.ctx, old, new).removed:
        variant = old.variants[index]
        yield compat(
            f"`{new.name}` lost the variant `{variant.tag or variant.definition}`",
            backward=Level.ERR,
            forward=Level.INFO,
            old_pointer=old.pointer + pointer_join("oneOf", index),
            new_pointer=new.pointer + "/oneOf",
        )
