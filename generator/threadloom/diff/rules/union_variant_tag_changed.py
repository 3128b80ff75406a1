"""A union variant (paired by its definition or by structure) now carries another tag."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.unions import pair_variants
from threadloom.errors import pointer_join

RULE = RuleInfo("union-variant-tag-changed", "a variant's discriminator value changed: neither side recognises the other's", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    unions = pair.tagged_unions()
    if unions is None:
        return
    old, new = unions
    for i, j in pair_variants(pair.ctx, old, new).pairs:
        before, after = old.variants[i].tag, new.variants[j].tag
        if before and after and before != after:
            yield compat(
                f"`{new.name}` variant `{new.variants[j].definition}` is tagged `{after}` instead of `{before}`",
                backward=Level.ERR,
                forward=Level.ERR,
                old_pointer=old.pointer + pointer_join("oneOf", i),
                new_pointer=new.pointer + pointer_join("oneOf", j),
            )
