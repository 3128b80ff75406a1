"""Helpers shared by the schema rules (not a rule)."""

from __future__ import annotations

from typing import Any

from threadloom.generator.diff.context import DiffContext, SchemaPair
from threadloom.generator.diff.structure import equal
from threadloom.generator.model import ref_name

MISSING = object()


def effective_types(node: Any, ctx: DiffContext, old_side: bool) -> frozenset[str] | None:
    """The JSON types (and referenced definitions) a schema allows; None when it cannot tell.

    Old-side references are mapped to their new names so that renames compare equal.
    """
    if not isinstance(node, dict) or "discriminator" in node:
        return None
    types: set[str] = set()
    if "type" in node:
        declared = node["type"]
        types.update(declared if isinstance(declared, list) else [declared])
    elif isinstance(node.get("$ref"), str):
        name = ref_name(node["$ref"])
        types.add("ref:" + ((ctx.counterpart(name) or name) if old_side else name))
    for key in ("anyOf", "oneOf"):
        for option in node.get(key, []) if isinstance(node.get(key), list) else []:
            inner = effective_types(option, ctx, old_side)
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
    old = _match_equal_refs(pair.ctx, old, new)
    if old == new:
        return None
    if _covers(new, old):
        return "widened", old, new
    if _covers(old, new):
        return "narrowed", old, new
    return "changed", old, new


def _covers(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _match_equal_refs(ctx: DiffContext, old: frozenset[str], new: frozenset[str]) -> frozenset[str]:
    """A reference to a different definition of equal structure is the same on the wire."""
    result = set(old)
    for old_ref in sorted(t for t in old - new if t.startswith("ref:")):
        old_target = ctx.old.definitions.get(old_ref[4:]) or ctx.new.definitions.get(old_ref[4:])
        for new_ref in sorted(t for t in new - old if t.startswith("ref:")):
            new_target = ctx.new.definitions.get(new_ref[4:])
            if old_target and new_target and equal(old_target.schema, new_target.schema, ctx.renames):
                result.discard(old_ref)
                result.add(new_ref)
                break
    return frozenset(result)


def show_types(types: frozenset[str]) -> str:
    return " | ".join(sorted(t[4:] if t.startswith("ref:") else t for t in types))


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
