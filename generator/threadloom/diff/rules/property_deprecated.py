"""A property was marked deprecated: no wire change, a notice for clients to migrate."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Audience, Hit, codegen
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import label, property_changes

RULE = RuleInfo("property-deprecated", "a property was deprecated: clients should move to its replacement", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    for change in property_changes(pair):
        before, schema = change.old, change.new
        if isinstance(before, dict) and isinstance(schema, dict) and schema.get("deprecated") and not before.get("deprecated"):
            info = schema.get("x-deprecated") or {}
            plan = [f"use `{info['replacement']}`" if info.get("replacement") else "", f"removal in v{info['removeIn']}" if info.get("removeIn") else ""]
            details = "; ".join(p for p in plan if p)
            yield codegen(
                f"`{label(pair, pair.new_pointer)}.{change.name}` is deprecated" + (f" ({details})" if details else ""),
                pair.old_pointer + change.where,
                pair.new_pointer + change.where,
                audience=Audience.OLD_CLIENTS,
            )
