"""A tagged union gained a variant.

Readers of a closed union reject an unknown variant. Written by the server, the variant is
harmless for old clients when the union is open, or when the variant is marked `x-since` the new
version: servers only send it on connections that negotiated that version (x-downgrade).
"""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Audience, Hit, Level, Role, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.unions import pair_variants
from threadloom.errors import pointer_join

RULE = RuleInfo("union-variant-added", "a union gained a variant: readers of a closed union reject it", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    unions = pair.tagged_unions()
    if unions is None:
        return
    old, new = unions
    for index in pair_variants(pair.ctx, old, new).added:
        variant = new.variants[index]
        target = pair.ctx.new.definitions.get(variant.definition)
        gated = target is not None and pair.ctx.is_gated(target.since)
        notes = []
        if old.open:
            notes.append("the union is open: readers skip unknown variants")
        if gated:
            notes.append(f"`x-since` {target.since if target else ''}: servers send it only to clients that negotiated it")
        hit = compat(
            f"`{new.name}` gained the variant `{variant.tag or variant.definition}`" + (f" ({'; '.join(notes)})" if notes else ""),
            backward=Level.INFO,
            forward=Level.INFO if old.open else Level.ERR,
            old_pointer=old.pointer + "/oneOf",
            new_pointer=new.pointer + pointer_join("oneOf", index),
            experimental=bool(target is not None and target.schema.get("x-experimental")),
        )
        if gated:
            hit.levels[(Role.WRITTEN, Audience.OLD_CLIENTS)] = Level.INFO
        yield hit
