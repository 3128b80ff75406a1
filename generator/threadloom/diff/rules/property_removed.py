"""An object lost a property (INFO when it was deprecated and its removal version has come)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import MISSING, closed, experimental, label, property_changes

RULE = RuleInfo("property-removed", "a property was removed: readers expecting it, or closed objects receiving it, break", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    for change in property_changes(pair):
        if change.new is not MISSING:
            continue
        text = f"`{label(pair, pair.new_pointer)}` lost the property `{change.name}`"
        old_pointer = pair.old_pointer + change.where
        remove_in = _remove_in(change.old)
        if remove_in is not None and remove_in <= pair.ctx.new.version:
            yield compat(f"{text}, deprecated for removal in v{remove_in}", Level.INFO, Level.INFO, old_pointer, pair.new_pointer)
            continue
        yield compat(
            text + (f" before its announced removal in v{remove_in}" if remove_in else ""),
            backward=Level.ERR if closed(change.new_object) else Level.WARN,
            forward=Level.ERR if change.was_required else Level.WARN,
            old_pointer=old_pointer,
            new_pointer=pair.new_pointer,
            experimental=experimental(change.old),
        )


def _remove_in(schema: Any) -> int | None:
    if not isinstance(schema, dict) or not schema.get("deprecated"):
        return None
    value = (schema.get("x-deprecated") or {}).get("removeIn")
    return value if isinstance(value, int) else None
