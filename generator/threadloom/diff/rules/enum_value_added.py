"""An enum gained a value."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import label
from threadloom.errors import pointer_join

RULE = RuleInfo("enum-value-added", "an enum gained a value: readers of a closed enum may reject it", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    old, new = pair.old, pair.new
    if not (isinstance(old, dict) and isinstance(new, dict) and isinstance(old.get("enum"), list) and isinstance(new.get("enum"), list)):
        return
    tolerated = bool(old.get("x-open"))
    for index, value in enumerate(new["enum"]):
        if value not in old["enum"]:
            note = " (the enum is open: readers tolerate unknown values)" if tolerated else ""
            yield compat(
                f"`{label(pair, pair.new_pointer)}` gained the value `{value}`{note}",
                backward=Level.INFO,
                forward=Level.INFO if tolerated else Level.WARN,
                old_pointer=pair.old_pointer + "/enum",
                new_pointer=pair.new_pointer + pointer_join("enum", index),
            )
