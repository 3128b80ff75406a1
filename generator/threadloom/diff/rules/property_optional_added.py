"""An object gained an optional property."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import MISSING, closed, experimental, label, property_changes

RULE = RuleInfo("property-optional-added", "an optional property was added: only readers of a closed object reject it", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    for change in property_changes(pair):
        if change.old is MISSING and not change.is_required:
            was_closed = closed(change.old_object)
            why = " (the old object is closed: additionalProperties false)" if was_closed else ""
            yield compat(
                f"`{label(pair, pair.new_pointer)}` gained the optional property `{change.name}`{why}",
                backward=Level.INFO,
                forward=Level.ERR if was_closed else Level.INFO,
                old_pointer=pair.old_pointer,
                new_pointer=pair.new_pointer + change.where,
                experimental=experimental(change.new),
            )
