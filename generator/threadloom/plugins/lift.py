"""Pre-pass on the JSON Schema given to datamodel-code-generator: name the options it would number.

datamodel-code-generator names an inline `oneOf`/`anyOf` option after its parent plus a counter
(`IdleStateUpdate1`..`8`, `SessionConfigSelectOptions1`), and so does it for every option of an
object that has its own properties beside a `oneOf` (each option merged with those properties:
ACP's `ElicitationUrlMode` with its session/request scopes). Such names change meaning whenever an
option is inserted, and say nothing. Here each such option becomes a definition named
`<Parent><Label>`, the label being the option's title, else the value of its tag (a property
with a single constant: `IdleStateUpdateEndTurn`), else the name it refers to. The parent's own
properties are merged into each option, so the parent becomes a plain union: what the schema
means is unchanged (an object valid against the parent and one option is valid against that
merged option, and the reverse).

Options with no label, or whose name is taken, are left to the generator (and reported by the
tests, which require no numbered names on the real releases).
"""

from __future__ import annotations

import re
from typing import Any

REF_PREFIX = "#/$defs/"


def lift_numbered_options(defs: dict[str, Any]) -> None:
    """Rewrite `defs` in place (a copy of the protocol's `$defs`), in name order for stable names."""
    for name in sorted(defs):
        schema = defs[name]
        if isinstance(schema, dict) and "discriminator" not in schema:
            _lift(name, schema, defs)
    pending = sorted(defs)
    while pending:  # distributing may create definitions that distribute in turn
        created = [new for name in pending for new in _distribute(name, defs)]
        pending = sorted(created)


def _union_members(schema: Any) -> list[str] | None:
    """The definitions a union of references (and nothing else) lists."""
    if not isinstance(schema, dict) or _object_body(schema):
        return None
    options = schema.get("oneOf", schema.get("anyOf"))
    if not isinstance(options, list) or not options or not all(isinstance(o, dict) and set(o) == {"$ref"} for o in options):
        return None
    return [o["$ref"].removeprefix(REF_PREFIX) for o in options]


def _distribute(parent: str, defs: dict[str, Any]) -> list[str]:
    """An object with properties that is `allOf` one union (ACP's `SessionUpdateStateUpdate`: a
    `sessionUpdate` tag beside all of `StateUpdate`): the generator numbers one class per member;
    here each is `<Parent><Member label>` (`SessionUpdateStateUpdateRunning`), and the parent their union."""
    schema = defs[parent]
    all_of = schema.get("allOf") if isinstance(schema, dict) else None
    body = _object_body(schema) if isinstance(schema, dict) else {}
    if not body or not isinstance(all_of, list) or len(all_of) != 1 or set(all_of[0]) != {"$ref"}:
        return []
    union = all_of[0]["$ref"].removeprefix(REF_PREFIX)
    members = _union_members(defs.get(union))
    if not members:
        return []
    names = [_pascal(parent + "_" + _member_label(member, union)) for member in members]
    if len(set(names)) != len(names) or any(n in defs for n in names):
        return []
    for member, name in zip(members, names, strict=True):
        defs[name] = {"type": "object", "allOf": [{"$ref": REF_PREFIX + member}], **body}
    defs[parent] = {k: v for k, v in schema.items() if k in ("description", "title")} | {"oneOf": [{"$ref": REF_PREFIX + n} for n in names]}
    return names


def _member_label(member: str, union: str) -> str:
    if member != union and member.startswith(union):
        return member[len(union) :]
    if member != union and member.endswith(union):
        return member[: -len(union)]
    return member


def _lift(parent: str, schema: dict[str, Any], defs: dict[str, Any]) -> None:
    key = "oneOf" if isinstance(schema.get("oneOf"), list) else "anyOf"
    options = schema.get(key)
    if not isinstance(options, list) or not options:
        return
    body = _object_body(schema)
    liftable = [option for option in options if _needs_name(option, bool(body))]
    labels = [_label(option) for option in liftable]
    if not liftable or None in labels:
        return  # all or nothing: a half-lifted object would still number the rest
    names = [_pascal(f"{parent}_{label}") for label in labels]
    if len(set(names)) != len(names) or any(n in defs for n in names):
        return
    # A new list: the adapter may share option lists between definitions (a flattened variant and
    # the type it came from), and each of them gets its own names.
    renamed = {id(option): lifted for option, lifted in zip(liftable, names, strict=True)}
    for option in liftable:
        defs[renamed[id(option)]] = _merged(option, body)
    schema[key] = [{"$ref": REF_PREFIX + renamed[id(o)]} if id(o) in renamed else o for o in options]
    if body:
        for member in ("type", "properties", "required", "additionalProperties"):
            schema.pop(member, None)


def _object_body(schema: dict[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return {}
    return {"properties": properties, "required": list(schema.get("required", []))}


def _needs_name(option: Any, beside_properties: bool) -> bool:
    """Options the generator turns into a numbered class or alias."""
    if not isinstance(option, dict) or option.get("type") == "null":
        return False
    if beside_properties:
        return True  # every option, references included, is merged with the parent's properties
    if "$ref" in option:
        return False
    return any(key in option for key in ("properties", "allOf")) or ("title" in option and option.get("type") in ("object", "array"))


def _label(option: dict[str, Any]) -> str | None:
    title = option.get("title")
    if isinstance(title, str) and title.strip():
        return title
    for sub in (option.get("properties") or {}).values():
        if isinstance(sub, dict) and isinstance(sub.get("const"), str):
            return str(sub["const"])
        if isinstance(sub, dict) and isinstance(sub.get("enum"), list) and len(sub["enum"]) == 1 and isinstance(sub["enum"][0], str):
            return str(sub["enum"][0])
    ref = option.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _pascal(text: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else f"N{name}"


def _merged(option: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    if not body:
        return {k: v for k, v in option.items() if k != "title"}
    if "$ref" in option:
        merged: dict[str, Any] = {"type": "object", "allOf": [{"$ref": option["$ref"]}], **body}
        if "description" in option:
            merged["description"] = option["description"]
        return merged
    own = option.get("properties", {})
    required = list(option.get("required", []))
    merged = {k: v for k, v in option.items() if k != "title"}
    merged["type"] = "object"
    merged["properties"] = {**{k: v for k, v in body["properties"].items() if k not in own}, **own}
    merged["required"] = required + [r for r in body["required"] if r not in required]
    return merged
