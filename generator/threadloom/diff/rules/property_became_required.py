"""An optional property became required."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import experimental, label, property_changes

RULE = RuleInfo("property-became-required", "an optional property became required: data that omits it is rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    for change in property_changes(pair):
        if change.in_both and change.is_required and not change.was_required:
            yield compat(
                f"`{label(pair, pair.new_pointer)}.{change.name}` is now required",
                backward=Level.ERR,
                forward=Level.INFO,
                old_pointer=pair.old_pointer + change.where,
                new_pointer=pair.new_pointer + change.where,
                experimental=experimental(change.new),
            )
