"""An optional property became required."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.generator.diff.context import SchemaPair
from threadloom.generator.diff.findings import Hit, Level, compat
from threadloom.generator.diff.rules import RuleInfo
from threadloom.generator.diff.rules._schema import experimental, label, properties, required
from threadloom.generator.errors import pointer_join

RULE = RuleInfo("property-became-required", "an optional property became required: data that omits it is rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    objects = pair.objects()
    if objects is None:
        return
    old, new = objects
    for name, schema in properties(new).items():
        if name in properties(old) and name in required(new) and name not in required(old):
            where = pointer_join("properties", name)
            yield compat(
                f"`{label(pair, pair.new_pointer)}.{name}` is now required",
                backward=Level.ERR,
                forward=Level.INFO,
                old_pointer=pair.old_pointer + where,
                new_pointer=pair.new_pointer + where,
                experimental=experimental(schema),
            )
