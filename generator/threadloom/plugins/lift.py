"""Name the inline union options generators would number, the same way for every target.

datamodel-code-generator names an inline `oneOf`/`anyOf` option after its parent plus a counter
(`IdleStateUpdate1`..`8`, `SessionConfigSelectOptions1`), and so does it for every option of an
object that has its own properties beside a `oneOf` (each option merged with those properties:
ACP's `ElicitationUrlMode` with its session/request scopes); the TypeScript target would type the
same options anonymously, or (an object with properties beside alternatives) drop them. Such names
change meaning whenever an option is inserted, and say nothing. Here each such option becomes a
definition named `<Parent><Label>`, the label being the option's title, else the value of its tag
(a property with a single constant: `IdleStateUpdateEndTurn`), else the name it refers to. The
parent's own properties are merged into each option, so the parent becomes a plain union: what the
schema means is unchanged (an object valid against the parent and one option is valid against that
merged option, and the reverse).

Two views of one rewrite: `lift_numbered_options` on a copy of the JSON Schema `$defs` (what the
Python target hands to datamodel-code-generator), and `lifted_protocol` on the intermediate model
(what the TypeScript target renders), so a type has the same name in both.

Options with no label, or whose name is taken, are left as they are (datamodel-code-generator
numbers them, and the tests require no numbered names on the real releases; TypeScript types them
inline).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from threadloom.formats.threadloom import definition_from_schema
from threadloom.model import Definition, DefinitionKind, Protocol, Variant, ref_name

REF_PREFIX = "#/$defs/"


def lift_numbered_options(defs: dict[str, Any]) -> dict[str, str]:
    """Rewrite `defs` in place (a copy of the protocol's `$defs`), in name order for stable names.
    Returns each created definition -> the definition it was lifted from.

    Only the top level of a definition's schema is ever changed (members replaced or removed),
    nested schemas are shared, never modified: a copy of each top-level dict is copy enough."""
    origins: dict[str, str] = {}
    for name in sorted(defs):
        schema = defs[name]
        if isinstance(schema, dict) and "discriminator" not in schema:
            origins.update(dict.fromkeys(_lift(name, schema, defs), name))
    pending = sorted(defs)
    while pending:  # distributing may create definitions that distribute in turn
        created = {new: name for name in pending for new in _distribute(name, defs)}
        origins.update(created)
        pending = sorted(created)
    return origins


def lifted_protocol(protocol: Protocol) -> Protocol:
    """`protocol` with its definitions lifted as `lift_numbered_options` lifts the schema: each parent
    becomes a plain union (an alias of its options), each lifted option a definition of its own that
    inherits the parent's `since` and pointer. The protocol itself is not changed."""
    defs = {name: dict(d.schema) if isinstance(d.schema, dict) else d.schema for name, d in protocol.definitions.items()}
    origins = lift_numbered_options(defs)
    if not origins:
        return protocol
    definitions: dict[str, Definition] = {}
    for name, schema in defs.items():
        original = protocol.definitions.get(name)
        if original is None:
            parent = protocol.definitions[_root(name, origins)]
            definitions[name] = _created(name, schema, protocol.version, parent)
        elif schema != original.schema:
            definitions[name] = _as_union(original, schema)
        else:
            definitions[name] = original
    return replace(protocol, definitions=definitions)


def _created(name: str, schema: Any, version: int, parent: Definition) -> Definition:
    created = definition_from_schema(name, schema, version)
    if created.kind in (DefinitionKind.UNION, DefinitionKind.ENVELOPE_UNION):
        # A lifted option that is itself a plain union (distributed over a lifted one): no tags.
        created = replace(created, kind=DefinitionKind.ALIAS, variants=())
    return replace(created, since=parent.since, pointer=parent.pointer)


def _root(name: str, origins: dict[str, str]) -> str:
    """The definition of the protocol a created one comes from (distributing creates from created)."""
    while name in origins:
        name = origins[name]
    return name


def _as_union(original: Definition, schema: dict[str, Any]) -> Definition:
    """A parent whose options were lifted: its members now live in the options."""
    plain = original.kind is DefinitionKind.UNION and not original.open  # lifted unions have no discriminator
    if original.kind is DefinitionKind.OBJECT or plain:
        return replace(original, kind=DefinitionKind.ALIAS, schema=schema, properties=(), closed=False, variants=())
    if original.kind is DefinitionKind.UNION:
        # An open one keeps its unknown member; only unions without a discriminator are lifted, so
        # the variants carry no tag.
        variants = tuple(Variant(tag="", definition=ref_name(o["$ref"])) for o in schema.get("oneOf", []) if isinstance(o, dict) and "$ref" in o)
        return replace(original, schema=schema, variants=variants)
    return replace(original, schema=schema)


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


def _lift(parent: str, schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    key = "oneOf" if isinstance(schema.get("oneOf"), list) else "anyOf"
    options = schema.get(key)
    if not isinstance(options, list) or not options:
        return []
    body = _object_body(schema)
    liftable = [option for option in options if _needs_name(option, bool(body))]
    labels = [_label(option) for option in liftable]
    if not liftable or None in labels:
        return []  # all or nothing: a half-lifted object would still number the rest
    names = [_pascal(f"{parent}_{label}") for label in labels]
    if len(set(names)) != len(names) or any(n in defs for n in names):
        return []
    # A new list: the adapter may share option lists between definitions (a flattened variant and
    # the type it came from), and each of them gets its own names.
    renamed = {id(option): lifted for option, lifted in zip(liftable, names, strict=True)}
    for option in liftable:
        defs[renamed[id(option)]] = _merged(option, body)
    schema[key] = [{"$ref": REF_PREFIX + renamed[id(o)]} if id(o) in renamed else o for o in options]
    if body:
        for member in ("type", "properties", "required", "additionalProperties"):
            schema.pop(member, None)
    return names


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
