"""A closed object now accepts unknown properties: writers may send members old readers reject."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import closed, label

RULE = RuleInfo("additional-properties-opened", "a closed object became open: readers of the old, closed schema may reject extra members", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    objects = pair.objects()
    if objects and closed(objects[0]) and not closed(objects[1]):
        yield compat(f"`{label(pair, pair.new_pointer)}` now accepts unknown properties", backward=Level.INFO, forward=Level.WARN)
