"""An object gained a required property (a default does not make omitting it valid)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.generator.diff.context import SchemaPair
from threadloom.generator.diff.findings import Hit, Level, compat
from threadloom.generator.diff.rules import RuleInfo
from threadloom.generator.diff.rules._schema import closed, experimental, label, properties, required
from threadloom.generator.errors import pointer_join

RULE = RuleInfo("property-required-added", "a required property was added: data without it is rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    objects = pair.objects()
    if objects is None:
        return
    old, new = objects
    for name, schema in properties(new).items():
        if name not in properties(old) and name in required(new):
            yield compat(
                f"`{label(pair, pair.new_pointer)}` gained the required property `{name}`",
                backward=Level.ERR,
                forward=Level.ERR if closed(old) else Level.INFO,
                old_pointer=pair.old_pointer,
                new_pointer=pair.new_pointer + pointer_join("properties", name),
                experimental=experimental(schema),
            )
