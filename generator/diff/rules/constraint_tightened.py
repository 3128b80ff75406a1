"""A validation constraint got stricter (min/max/length/items/pattern/const/uniqueItems)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.generator.diff.context import SchemaPair
from threadloom.generator.diff.findings import Hit, Level, compat
from threadloom.generator.diff.rules import RuleInfo
from threadloom.generator.diff.rules._constraints import constraint_changes
from threadloom.generator.diff.rules._schema import label

RULE = RuleInfo("constraint-tightened", "a constraint got stricter: values valid before may be rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    for kind, text in constraint_changes(pair.old, pair.new):
        if kind == "tightened":
            yield compat(f"`{label(pair, pair.new_pointer)}` is stricter: {text}", backward=Level.ERR, forward=Level.INFO)
