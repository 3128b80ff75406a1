"""An object gained an optional property."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.generator.diff.context import SchemaPair
from threadloom.generator.diff.findings import Hit, Level, compat
from threadloom.generator.diff.rules import RuleInfo
from threadloom.generator.diff.rules._schema import closed, experimental, label, properties, required
from threadloom.generator.errors import pointer_join

RULE = RuleInfo("property-optional-added", "an optional property was added: only readers of a closed object reject it", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    objects = pair.objects()
    if objects is None:
        return
    old, new = objects
    for name, schema in properties(new).items():
        if name not in properties(old) and name not in required(new):
            why = " (the old object is closed: additionalProperties false)" if closed(old) else ""
            yield compat(
                f"`{label(pair, pair.new_pointer)}` gained the optional property `{name}`{why}",
                backward=Level.INFO,
                forward=Level.ERR if closed(old) else Level.INFO,
                old_pointer=pair.old_pointer,
                new_pointer=pair.new_pointer + pointer_join("properties", name),
                experimental=experimental(schema),
            )
