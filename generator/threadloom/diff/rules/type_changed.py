"""A schema's type changed to an unrelated one (or now refers to a definition of another shape)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import label, show_types, type_change

RULE = RuleInfo("type-changed", "a value changed to an unrelated type: breaks readers on both sides", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    change = type_change(pair)
    if change and change[0] == "changed":
        _, old, new = change
        yield compat(f"`{label(pair, pair.new_pointer)}` changed from {show_types(old)} to {show_types(new)}", backward=Level.ERR, forward=Level.ERR)
