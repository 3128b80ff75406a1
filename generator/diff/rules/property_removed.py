"""An object lost a property (INFO when it was deprecated and its removal version has come)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from threadloom.generator.diff.context import SchemaPair
from threadloom.generator.diff.findings import Hit, Level, compat
from threadloom.generator.diff.rules import RuleInfo
from threadloom.generator.diff.rules._schema import closed, experimental, label, properties, required
from threadloom.generator.errors import pointer_join

RULE = RuleInfo("property-removed", "a property was removed: readers expecting it, or closed objects receiving it, break", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    objects = pair.objects()
    if objects is None:
        return
    old, new = objects
    for name, schema in properties(old).items():
        if name in properties(new):
            continue
        text = f"`{label(pair, pair.new_pointer)}` lost the property `{name}`"
        old_pointer = pair.old_pointer + pointer_join("properties", name)
        remove_in = _remove_in(schema)
        if remove_in is not None and remove_in <= pair.ctx.new.version:
            yield compat(f"{text}, deprecated for removal in v{remove_in}", Level.INFO, Level.INFO, old_pointer, pair.new_pointer)
            continue
        yield compat(
            text + (f" before its announced removal in v{remove_in}" if remove_in else ""),
            backward=Level.ERR if closed(new) else Level.WARN,
            forward=Level.ERR if name in required(old) else Level.WARN,
            old_pointer=old_pointer,
            new_pointer=pair.new_pointer,
            experimental=experimental(schema),
        )


def _remove_in(schema: Any) -> int | None:
    if not isinstance(schema, dict) or not schema.get("deprecated"):
        return None
    value = (schema.get("x-deprecated") or {}).get("removeIn")
    return value if isinstance(value, int) else None
