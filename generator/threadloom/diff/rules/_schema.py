"""Helpers shared by the schema rules (not a rule)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from threadloom.diff.context import DiffContext, SchemaPair
from threadloom.errors import pointer_join
from threadloom.model import ref_name

MISSING = object()


def effective_types(node: Any, ctx: DiffContext, old_side: bool, seen: tuple[str, ...] = ()) -> frozenset[str] | None:
    """The JSON types a schema allows, references resolved; None when it cannot tell."""
    if not isinstance(node, dict):
        return None
    types: set[str] = set()
    if "type" in node:
        declared = node["type"]
        types.update(declared if isinstance(declared, list) else [declared])
    elif isinstance(node.get("$ref"), str):
        name = ref_name(node["$ref"])
        target = (ctx.old if old_side else ctx.new).definitions.get(name)
        if target is None or name in seen:
            return None
        return effective_types(target.schema, ctx, old_side, (*seen, name))
    for key in ("anyOf", "oneOf"):
        for option in node.get(key, []) if isinstance(node.get(key), list) else []:
            inner = effective_types(option, ctx, old_side, seen)
            if inner is None:
                return None
            types |= inner
    return frozenset(types) if types else None


def type_change(pair: SchemaPair) -> tuple[str, frozenset[str], frozenset[str]] | None:
    """("widened" | "narrowed" | "changed", old types, new types), or None when equal or unknown."""
    old = effective_types(pair.old, pair.ctx, True)
    new = effective_types(pair.new, pair.ctx, False)
    if old is None or new is None:
        return None
    if pair.unwrapped:  # nullability belongs to the enclosing anyOf, judged there
        old, new = old - {"null"}, new - {"null"}
    if old == new:
        return None
    if _covers(new, old):
        return "widened", old, new
    if _covers(old, new):
        return "narrowed", old, new
    return "changed", old, new


def _covers(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def show_types(types: frozenset[str]) -> str:
    return " | ".join(sorted(types))


def properties(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties", {})
    return props if isinstance(props, dict) else {}


def required(schema: dict[str, Any]) -> set[str]:
    names = schema.get("required", [])
    return set(names) if isinstance(names, list) else set()


def closed(schema: dict[str, Any]) -> bool:
    return schema.get("additionalProperties") is False


def experimental(schema: Any) -> bool:
    return isinstance(schema, dict) and bool(schema.get("x-experimental"))


def label(pair: SchemaPair, pointer: str) -> str:
    """A readable location: `Definition` or `Definition.path.inside`."""
    root = pair.new_definition.pointer
    inner = pointer[len(root) :] if pointer.startswith(root) else ""
    parts = [p for p in inner.split("/") if p and p != "properties"]
    return ".".join([pair.scope.new_name, *parts]) if parts else pair.scope.new_name


@dataclass(frozen=True)
class PropertyChange:
    """One property name of a pair of object schemas, as it was and as it is."""

    name: str
    old: Any  # the property's old schema, or MISSING
    new: Any  # its new schema, or MISSING
    was_required: bool
    is_required: bool
    old_object: dict[str, Any]
    new_object: dict[str, Any]

    @property
    def where(self) -> str:
        return pointer_join("properties", self.name)

    @property
    def in_both(self) -> bool:
        return self.old is not MISSING and self.new is not MISSING


def property_changes(pair: SchemaPair) -> Iterator[PropertyChange]:
    """Every property of either side, when both schemas describe objects (old order, then new)."""
    objects = pair.objects()
    if objects is None:
        return
    old, new = objects
    old_props, new_props = properties(old), properties(new)
    for name in dict.fromkeys([*old_props, *new_props]):
        yield PropertyChange(name, old_props.get(name, MISSING), new_props.get(name, MISSING), name in required(old), name in required(new), old, new)
