"""Structural comparison of schemas: what is equal on the wire, and how alike two schemas are.

Documentation keywords (description, title, examples, x-since, ...) carry no wire meaning, so
they are stripped before comparing. References are compared by target name after mapping old
names through the renames found so far.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from threadloom.model import ref_name

# Keywords that do not change which JSON values a schema accepts.
DOC_KEYWORDS = frozenset({"description", "title", "examples", "x-since", "deprecated", "x-deprecated", "x-experimental", "$comment", "default"})


def canonical(node: Any, renames: Mapping[str, str] | None = None) -> Any:
    """The wire-relevant part of a schema, with old definition names mapped through `renames`."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in DOC_KEYWORDS:
                continue
            if key == "$ref" and isinstance(value, str) and renames:
                name = ref_name(value)
                value = f"#/$defs/{renames.get(name, name)}"
            out[key] = canonical(value, renames)
        return out
    if isinstance(node, list):
        return [canonical(item, renames) for item in node]
    return node


def fingerprint(node: Any, renames: Mapping[str, str] | None = None) -> str:
    return json.dumps(canonical(node, renames), sort_keys=True, separators=(",", ":"))


def equal(old: Any, new: Any, renames: Mapping[str, str] | None = None) -> bool:
    """Same wire meaning (old-side references mapped through `renames`)."""
    return bool(canonical(old, renames) == canonical(new))


def find_renames(old_defs: Mapping[str, Any], new_defs: Mapping[str, Any]) -> dict[str, str]:
    """Old name -> new name for definitions that disappeared and reappeared with equal structure.

    Repeated until stable, because renaming `B` can make `A` (which refers to `B`) equal too.
    A structure shared by several candidates on either side is ambiguous and not paired.
    """
    removed = [name for name in old_defs if name not in new_defs]
    added = [name for name in new_defs if name not in old_defs]
    renames: dict[str, str] = {}
    while True:
        added_left = [n for n in added if n not in renames.values()]
        by_shape: dict[str, list[str]] = {}
        for name in added_left:
            by_shape.setdefault(fingerprint(new_defs[name]), []).append(name)
        found = False
        old_shapes: dict[str, list[str]] = {}
        for name in removed:
            if name not in renames:
                old_shapes.setdefault(fingerprint(old_defs[name], renames), []).append(name)
        for shape, old_names in old_shapes.items():
            new_names = by_shape.get(shape, [])
            if len(old_names) == 1 and len(new_names) == 1:
                renames[old_names[0]] = new_names[0]
                found = True
        if not found:
            return renames


def similarity(old: Any, new: Any) -> float:
    """0..1: how alike two object schemas are (shared property names and their types)."""
    old_props = _shape(old)
    new_props = _shape(new)
    if not old_props and not new_props:
        return 1.0 if canonical(old) == canonical(new) else 0.0
    union = old_props.keys() | new_props.keys()
    score = sum(1.0 if old_props.get(k) == new_props.get(k) else 0.5 for k in old_props.keys() & new_props.keys())
    return score / len(union)


def _shape(schema: Any) -> dict[str, str]:
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return {name: json.dumps(canonical({k: v for k, v in sub.items() if k != "const"}), sort_keys=True) for name, sub in props.items() if isinstance(sub, dict)}
