"""A schema accepts fewer types than before (type removed, no longer nullable, number -> integer)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import label, show_types, type_change

RULE = RuleInfo("type-narrowed", "a value may have fewer types: data written against the old schema may be rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    change = type_change(pair)
    if change and change[0] == "narrowed":
        _, old, new = change
        yield compat(f"`{label(pair, pair.new_pointer)}` narrowed from {show_types(old)} to {show_types(new)}", backward=Level.ERR, forward=Level.INFO)
