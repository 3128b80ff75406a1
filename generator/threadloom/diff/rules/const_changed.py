"""A constant value changed."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import label

RULE = RuleInfo("const-changed", "a constant changed: neither side accepts the other's value", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    old, new = pair.old, pair.new
    if isinstance(old, dict) and isinstance(new, dict) and "const" in old and "const" in new and old["const"] != new["const"]:
        yield compat(f"`{label(pair, pair.new_pointer)}` changed from `{old['const']}` to `{new['const']}`", backward=Level.ERR, forward=Level.ERR)
