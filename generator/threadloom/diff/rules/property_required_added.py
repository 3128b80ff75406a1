"""An object gained a required property (a default does not make omitting it valid)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import MISSING, closed, experimental, label, property_changes

RULE = RuleInfo("property-required-added", "a required property was added: data without it is rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    for change in property_changes(pair):
        if change.old is MISSING and change.is_required:
            yield compat(
                f"`{label(pair, pair.new_pointer)}` gained the required property `{change.name}`",
                backward=Level.ERR,
                forward=Level.ERR if closed(change.old_object) else Level.INFO,
                old_pointer=pair.old_pointer,
                new_pointer=pair.new_pointer + change.where,
                experimental=experimental(change.new),
            )
