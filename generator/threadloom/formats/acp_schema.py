"""Normalising an ACP JSON Schema document into the shapes the rest of Threadloom reads.

ACP's schema is generated from Rust types by schemars, and the same wire shape has been spelled
several ways across releases: a tagged union variant inline (`{properties: {type: {const}}, ...}`)
or as a wrapper (`{properties: {type: {const}}, allOf: [{$ref: TextContent}]}`); a reference as
`$ref` or as `allOf: [{$ref}]`; a string enum as `oneOf` of `const`s; a `discriminator` keyword
on some unions in some releases; ACP v2's unions `anyOf` ending in a catch-all titled `other`.
The normaliser rewrites all of them to one canonical form, so that a diff between two releases
sees wire changes only and the generators see named, tagged unions:

- tagged union: `{"oneOf": [{"$ref": Variant}...], "discriminator": {"propertyName": tag},
  "x-open": bool}`; every variant is a definition holding its tag as a `const` property (inline
  and wrapper variants are lifted to `<Union><Tag>` definitions, e.g. `ContentBlockText`);
- string enum: `{"type": "string", "enum": [...], "x-open": bool}`;
- a catch-all (`other`) variant or value is dropped and the union or enum marked `x-open: true`;
  a plain `{"type": "string", "enum": [...]}` (0.x's `Role`) has none and is marked `x-open: false`;
- `allOf: [{$ref: X}]` with nothing else to combine becomes `$ref: X` (2020-12 allows siblings);
- ACP's own `discriminator` keywords are dropped (only the unions above carry one).

Everything else is kept as ACP wrote it (`x-method`, `x-side`, `_meta`, formats, defaults).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from threadloom.model import ref_name

DEF_PREFIX = "#/$defs/"


def normalise(document: dict[str, Any]) -> dict[str, Any]:
    """A normalised deep copy of an ACP document (only `$defs` and `$schema` are kept)."""
    defs: dict[str, Any] = {name: _unwrap_refs(copy.deepcopy(schema)) for name, schema in document.get("$defs", {}).items()}
    lifted: dict[str, Any] = {}
    for name in list(defs):
        defs[name] = _normalise_definition(name, defs[name], defs, lifted)
        defs[name] = _name_inline_options(name, defs[name], defs, lifted)
    defs.update(lifted)
    return {"$schema": document.get("$schema", "https://json-schema.org/draft/2020-12/schema"), "$defs": defs}


def _unwrap_refs(schema: Any) -> Any:
    """`{allOf: [{$ref: X}], description}` -> `{$ref: X, description}`, everywhere."""
    if isinstance(schema, list):
        return [_unwrap_refs(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    # `discriminator` (OpenAPI) came and went across releases without changing the wire: dropped
    # here, set again on the unions this module recognises.
    out = {key: _unwrap_refs(value) for key, value in schema.items() if key != "discriminator"}
    all_of = out.get("allOf")
    only: Any = all_of[0] if isinstance(all_of, list) and len(all_of) == 1 else None
    if isinstance(only, dict) and set(only) == {"$ref"} and "$ref" not in out and not _has_own_shape(out):
        del out["allOf"]
        out["$ref"] = only["$ref"]
    return out


def _has_own_shape(schema: dict[str, Any]) -> bool:
    """Keywords that constrain on their own (a wrapper with them is a real combination)."""
    return any(key in schema for key in ("properties", "required", "anyOf", "oneOf", "items", "enum", "const"))


def _options(schema: dict[str, Any]) -> list[Any] | None:
    options = schema.get("oneOf", schema.get("anyOf"))
    return options if isinstance(options, list) and options and not _has_object_body(schema) else None


def _has_object_body(schema: dict[str, Any]) -> bool:
    return isinstance(schema.get("properties"), dict) and bool(schema["properties"])


def _is_string_const(option: Any) -> bool:
    return isinstance(option, dict) and option.get("type") == "string" and isinstance(option.get("const"), str)


def _is_plain(option: Any) -> bool:
    """No `const`, `enum` or reference of its own: what a catch-all looks like."""
    return isinstance(option, dict) and not any(key in option for key in ("const", "enum", "$ref", "allOf"))


def _is_string_catch_all(option: Any) -> bool:
    return _is_plain(option) and option.get("type") == "string"


def _is_object_catch_all(option: Any, tag: str) -> bool:
    """An object whose tag property is any string (ACP v2's `other`, recognised by shape, not title)."""
    properties = option.get("properties") if _is_plain(option) else None
    sub = properties.get(tag) if isinstance(properties, dict) else None
    return isinstance(sub, dict) and sub.get("type") == "string" and "const" not in sub and "enum" not in sub


def _normalise_definition(name: str, schema: Any, defs: dict[str, Any], lifted: dict[str, Any]) -> Any:
    if not isinstance(schema, dict):
        return schema
    # A method's own type may be a flattened enum too (2.x `CreateElicitationResponse`: `_meta` beside
    # accept/decline/cancel/other); left inline its variants would get numbers in generated code.
    flattened = _flattened_union(name, schema, defs, lifted)
    if flattened is not None:
        return flattened
    if "x-method" in schema:
        return schema
    if _is_plain_string_enum(schema):
        return _as_enum(schema, schema["enum"], False)  # 0.x `Role`: a Rust enum with no catch-all is closed
    options = _options(schema)
    if options is None:
        return schema
    known, last = options[:-1], options[-1]
    if all(_is_string_const(o) for o in options):
        return _as_enum(schema, [o["const"] for o in options], False)
    if known and all(_is_string_const(o) for o in known) and _is_string_catch_all(last):
        return _as_enum(schema, [o["const"] for o in known], True)
    tag = _common_tag(options, defs)
    if tag is not None:
        return _as_union(schema, [_variant_ref(name, tag, o, defs, lifted) for o in options], tag, False)
    tag = _common_tag(known, defs) if known else None
    if tag is not None and _is_object_catch_all(last, tag):
        return _as_union(schema, [_variant_ref(name, tag, o, defs, lifted) for o in known], tag, True)
    return schema


def _is_plain_string_enum(schema: dict[str, Any]) -> bool:
    """`{"type": "string", "enum": [...]}` as schemars wrote it (no catch-all can hide in it)."""
    values = schema.get("enum")
    return schema.get("type") == "string" and isinstance(values, list) and all(isinstance(v, str) for v in values) and "x-open" not in schema


def _tagged(options: list[Any], defs: dict[str, Any]) -> tuple[str, list[Any], bool] | None:
    """(tag property, the tagged options, open?) when every option but a trailing catch-all is tagged."""
    tag = _common_tag(options, defs)
    if tag is not None:
        return tag, options, False
    known, last = options[:-1], options[-1]
    tag = _common_tag(known, defs) if known else None
    return (tag, known, True) if tag is not None and _is_object_catch_all(last, tag) else None


def _flattened_union(name: str, schema: dict[str, Any], defs: dict[str, Any], lifted: dict[str, Any]) -> dict[str, Any] | None:
    """serde's flattened enum: an object with common properties and an `anyOf`/`oneOf` of tagged
    variants. Each variant becomes `<Parent><Tag>` holding the common properties too."""
    options = schema.get("oneOf", schema.get("anyOf"))
    if not _has_object_body(schema) or not isinstance(options, list) or not options:
        return None
    tagged = _tagged(options, defs)
    if tagged is None:
        return None
    tag, known, is_open = tagged
    refs = []
    for option in known:
        variant_name = _variant_name(name, _tag_of(option, defs)[1], defs, lifted)  # type: ignore[index]
        direct = _variant_ref(name, tag, option, defs, {}) if "$ref" in option else None
        variant = {"type": "object", "allOf": [{"$ref": DEF_PREFIX + direct}]} if direct else _flatten(option, tag, defs)
        lifted[variant_name] = _with_common(variant, schema)
        refs.append(variant_name)
    return _as_union(schema, refs, tag, is_open)


def _with_common(variant: dict[str, Any], parent: dict[str, Any]) -> dict[str, Any]:
    own = variant.get("properties", {})
    merged = {**variant, "properties": {**own, **{k: v for k, v in parent.get("properties", {}).items() if k not in own}}}
    required = list(variant.get("required", []))
    merged["required"] = required + [r for r in parent.get("required", []) if r not in required]
    return merged


def _name_inline_options(name: str, schema: Any, defs: dict[str, Any], lifted: dict[str, Any]) -> Any:
    """The remaining `anyOf`/`oneOf` alternatives written inline as objects (serde's flattened and
    untagged enums, response envelopes' `Result`/`Error`) become definitions named after their
    parent and their tag or title (`DiffChangeAdd`, `AgentResponseError`): the schema means the
    same, and generated code gets names instead of numbers (`DiffChange1`)."""
    if not isinstance(schema, dict) or "discriminator" in schema or _has_object_body(schema):
        return schema  # beside an object's own properties, a named option would be a subclass clashing with them
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            schema[key] = [_named_option(name, option, defs, lifted) for option in options]
    return schema


def _named_option(parent: str, option: Any, defs: dict[str, Any], lifted: dict[str, Any]) -> Any:
    """`<Parent><Tag or Title>Option`: the suffix keeps the name clear of serde's own variant
    types (`McpServerHttp` exists in 2.x, not in 0.x), so the same option has the same name in
    every release; a tagged wrapper is flattened like a union variant for the same reason."""
    if not isinstance(option, dict) or "$ref" in option or not ("properties" in option or "allOf" in option):
        return option
    tag = _tag_of(option, defs)
    label = tag[1] if tag else option.get("title")
    if not isinstance(label, str) or not label:
        return option
    name = _variant_name(parent, label + "_option", defs, lifted)
    lifted[name] = _flatten(option, tag[0], defs) if tag else {key: value for key, value in option.items() if key != "title"}
    return {"$ref": DEF_PREFIX + name}


def _annotations(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key in ("title", "description") or key.startswith("x-")}


def _as_enum(schema: dict[str, Any], values: list[str], is_open: bool) -> dict[str, Any]:
    return {**_annotations(schema), "type": "string", "enum": values, "x-open": is_open}


def _as_union(schema: dict[str, Any], refs: list[str], tag: str, is_open: bool) -> dict[str, Any]:
    return {
        **_annotations(schema),
        "oneOf": [{"$ref": DEF_PREFIX + ref} for ref in refs],
        "discriminator": {"propertyName": tag},
        "x-open": is_open,
    }


def _tag_of(option: Any, defs: dict[str, Any]) -> tuple[str, str] | None:
    """(property, value) of the one string `const` property an option (or its target) carries."""
    if not isinstance(option, dict):
        return None
    if set(option) - {"$ref", "title", "description"} == set() and isinstance(option.get("$ref"), str):
        option = defs.get(ref_name(option["$ref"]), {})
    properties = option.get("properties") if isinstance(option, dict) else None
    if not isinstance(properties, dict):
        return None
    tags = [(key, sub["const"]) for key, sub in properties.items() if isinstance(sub, dict) and isinstance(sub.get("const"), str)]
    return tags[0] if len(tags) == 1 else None


def _common_tag(options: list[Any], defs: dict[str, Any]) -> str | None:
    tags = [_tag_of(option, defs) for option in options]
    if not tags or any(t is None for t in tags):
        return None
    names = {t[0] for t in tags if t}
    values = [t[1] for t in tags if t]
    return names.pop() if len(names) == 1 and len(set(values)) == len(values) else None


def _variant_ref(union: str, tag: str, option: dict[str, Any], defs: dict[str, Any], lifted: dict[str, Any]) -> str:
    """The definition a variant is: an existing one that carries the tag, or a lifted one."""
    if set(option) - {"$ref", "title", "description"} == set() and isinstance(option.get("$ref"), str):
        return ref_name(option["$ref"])
    value = option["properties"][tag]["const"]
    name = _variant_name(union, value, defs, lifted)
    lifted[name] = _flatten(option, tag, defs)
    return name


def _single_ref(schema: dict[str, Any]) -> str | None:
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict) and isinstance(all_of[0].get("$ref"), str):
        return ref_name(all_of[0]["$ref"])
    return None


def _variant_name(union: str, value: str, defs: dict[str, Any], lifted: dict[str, Any]) -> str:
    words = re.split(r"[^A-Za-z0-9]+", value)
    name = union + "".join(w[:1].upper() + w[1:] for w in words if w)
    while name in defs or name in lifted:
        name += "Variant"
    return name


def _flatten(option: dict[str, Any], tag: str, defs: dict[str, Any]) -> dict[str, Any]:
    """An inline variant as it is; a wrapper `{tag, $ref: Target}` merged with its target object."""
    variant = {key: value for key, value in option.items() if key != "title"}
    target_name = _single_ref(variant)
    target = defs.get(target_name) if target_name else None
    if not isinstance(target, dict) or target.get("type") != "object" or _options(target) is not None or "allOf" in target:
        return variant  # not a plain object: keep the wrapper (still a valid schema)
    merged = {key: value for key, value in target.items() if not key.startswith("x-method") and key != "x-side"}
    merged["properties"] = {tag: variant["properties"][tag], **target.get("properties", {})}
    merged["required"] = [tag, *[r for r in target.get("required", []) if r != tag]]
    if "description" in variant:
        merged["description"] = variant["description"]
    return merged
