"""An enum lost a value."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import label
from threadloom.errors import pointer_join

RULE = RuleInfo("enum-value-removed", "an enum lost a value: data using it is now rejected", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    old, new = pair.old, pair.new
    if not (isinstance(old, dict) and isinstance(new, dict) and isinstance(old.get("enum"), list) and isinstance(new.get("enum"), list)):
        return
    for index, value in enumerate(old["enum"]):
        if value not in new["enum"]:
            yield compat(
                f"`{label(pair, pair.new_pointer)}` lost the value `{value}`",
                backward=Level.ERR,
                forward=Level.INFO,
                old_pointer=pair.old_pointer + pointer_join("enum", index),
                new_pointer=pair.new_pointer + "/enum",
            )
