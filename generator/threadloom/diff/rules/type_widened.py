"""A schema accepts more types than before (added type, now nullable, integer -> number)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import label, show_types, type_change

RULE = RuleInfo("type-widened", "a value may now have more types: readers built on the old schema reject the new ones", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    change = type_change(pair)
    if change and change[0] == "widened":
        _, old, new = change
        yield compat(f"`{label(pair, pair.new_pointer)}` widened from {show_types(old)} to {show_types(new)}", backward=Level.INFO, forward=Level.ERR)
