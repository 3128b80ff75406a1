"""Documentation changed (description or title): no wire change."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, codegen
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import label

RULE = RuleInfo("description-changed", "documentation changed: generated doc comments differ", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    old, new = pair.old, pair.new
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return
    changed = [key for key in ("description", "title") if old.get(key) != new.get(key)]
    if changed:
        yield codegen(f"`{label(pair, pair.new_pointer)}` {' and '.join(changed)} changed")
