"""A validation constraint got stricter (min/max/length/items/pattern/const/uniqueItems)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._constraints import constraint_changes, keyword_pointers
from threadloom.diff.rules._schema import label

RULE = RuleInfo("constraint-tightened", "a constraint got stricter: values valid before may be rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    for kind, keyword, change in constraint_changes(pair.old, pair.new):
        if kind == "tightened":
            old_pointer, new_pointer = keyword_pointers(pair.old, pair.new, pair.old_pointer, pair.new_pointer, keyword)
            text = f"`{label(pair, pair.new_pointer)}` is stricter: {change}"
            yield compat(text, backward=Level.ERR, forward=Level.INFO, old_pointer=old_pointer, new_pointer=new_pointer)
