"""An object that accepted unknown properties now rejects them."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import closed, label

RULE = RuleInfo("additional-properties-closed", "an object became closed (additionalProperties false): extra members are rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    objects = pair.objects()
    if objects and closed(objects[1]) and not closed(objects[0]):
        yield compat(f"`{label(pair, pair.new_pointer)}` no longer accepts unknown properties", backward=Level.ERR, forward=Level.INFO)
