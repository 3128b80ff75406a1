"""A default value changed: clients that omit the field now get other behaviour."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, by_role
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import MISSING, label

RULE = RuleInfo("default-changed", "a default changed: senders that omit the field get other behaviour", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    old, new = pair.old, pair.new
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return
    before, after = old.get("default", MISSING), new.get("default", MISSING)
    if before != after:
        yield by_role(f"`{label(pair, pair.new_pointer)}` default {_show(before)} -> {_show(after)}", read=Level.WARN, written=Level.INFO)


def _show(value: Any) -> str:
    return "none" if value is MISSING else f"`{value}`"
