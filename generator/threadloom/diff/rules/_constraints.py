"""Which validation constraints got tighter or looser (helper of the two constraint rules)."""

from __future__ import annotations

from typing import Any

TIGHTER_IF_LARGER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
TIGHTER_IF_SMALLER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
OPAQUE = ("pattern", "multipleOf", "format")  # any change can both reject old values and admit new ones


def constraint_changes(old: Any, new: Any) -> list[tuple[str, str, str]]:
    """[("tightened" | "loosened", keyword, description)] for one pair of schemas."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return []
    return [(kind, keyword, text) for keyword, (kind, text) in _changes(old, new)]


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, tuple[str, str]]]:
    changes: list[tuple[str, tuple[str, str]]] = []
    for key in (*TIGHTER_IF_LARGER, *TIGHTER_IF_SMALLER):
        changes += [(key, change) for change in _bound(key, old.get(key), new.get(key), key in TIGHTER_IF_LARGER)]
    for key in OPAQUE:
        if old.get(key) != new.get(key):
            if key in new:
                changes.append((key, ("tightened", f"`{key}` {_show(old.get(key))} -> {_show(new[key])}")))
            if key in old:
                changes.append((key, ("loosened", f"`{key}` {_show(old[key])} -> {_show(new.get(key))}")))
    unique_before, unique_after = bool(old.get("uniqueItems")), bool(new.get("uniqueItems"))
    if unique_before != unique_after:
        changes.append(("uniqueItems", ("tightened" if unique_after else "loosened", f"`uniqueItems` {unique_before} -> {unique_after}")))
    if "const" in new and "const" not in old and "enum" not in old and "$ref" not in old:
        changes.append(("const", ("tightened", f"now the constant `{new['const']}`")))
    if "const" in old and "const" not in new and "enum" not in new and "$ref" not in new:
        changes.append(("const", ("loosened", f"no longer the constant `{old['const']}`")))
    if "enum" in old and "enum" not in new and "const" not in new and "$ref" not in new:
        changes.append(("enum", ("loosened", "no longer restricted to an enum")))
    return changes


def _bound(key: str, old: Any, new: Any, larger_is_tighter: bool) -> list[tuple[str, str]]:
    if old == new:
        return []
    text = f"`{key}` {_show(old)} -> {_show(new)}"
    if old is None:
        return [("tightened", text)]
    if new is None:
        return [("loosened", text)]
    if not (isinstance(old, int | float) and isinstance(new, int | float)):
        return [("tightened", text), ("loosened", text)]
    tighter = new > old if larger_is_tighter else new < old
    return [("tightened" if tighter else "loosened", text)]


def _show(value: Any) -> str:
    return "none" if value is None else f"`{value}`"


def keyword_pointers(old: Any, new: Any, old_pointer: str, new_pointer: str, keyword: str) -> tuple[str, str]:
    """Point at the keyword itself on each side that has it, else at the schema."""
    return (
        old_pointer + "/" + keyword if isinstance(old, dict) and keyword in old else old_pointer,
        new_pointer + "/" + keyword if isinstance(new, dict) and keyword in new else new_pointer,
    )
