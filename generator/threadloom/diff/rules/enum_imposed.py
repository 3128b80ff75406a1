"""A value that was free now has to be one of a list."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import label

RULE = RuleInfo("enum-imposed", "a free value is now restricted to an enum: other values are rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    old, new = pair.old, pair.new
    if isinstance(old, dict) and isinstance(new, dict) and "enum" in new and "enum" not in old and "const" not in old and "$ref" not in old:
        yield compat(f"`{label(pair, pair.new_pointer)}` is now restricted to {new['enum']}", backward=Level.ERR, forward=Level.INFO)
