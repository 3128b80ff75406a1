"""One protocol version, read from its raw JSON document (no generated code involved).

The conformance engine must be able to check any server of any protocol written in Threadloom's
format, so it reads `protocol.json` directly: the `x-methods` table, the `x-errors` table and the
`$defs`. Validation uses a standard JSON Schema 2020-12 validator with two refinements:

- a `oneOf` carrying a `discriminator` picks its variant by tag, so an error inside an item is
  reported at the item's own field instead of "not valid under any of the given schemas";
- an unknown tag in a union, or an unknown value in an enum, is reported as *undeclared* (the old
  client never declared support for it) rather than as a plain schema error. Both are failures of
  check (c) in replay; see README.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend

UNDECLARED_VARIANT = "x-undeclared-variant"
UNDECLARED_ENUM = "x-undeclared-enum"
# JSON-RPC's own codes: any request may get them (parse error, invalid request, method not found,
# invalid params, internal error).
STANDARD_ERROR_CODES = frozenset({-32700, -32600, -32601, -32602, -32603})


class ProtocolLoadError(Exception):
    """The protocol document cannot be read or is not in Threadloom's format."""


@dataclass(frozen=True)
class MethodInfo:
    name: str
    direction: str  # clientToServer | serverToClient
    kind: str  # request | notification
    params: str | None
    result: str | None
    errors: tuple[str, ...]
    since: int
    stability: str = "stable"


@dataclass(frozen=True)
class SchemaIssue:
    """One problem found validating a value: `path` is a list of keys/indexes from the message root."""

    path: tuple[str | int, ...]
    message: str
    undeclared: bool  # True: check (c) (not in the client's version); False: check (a)


@dataclass
class ProtocolDoc:
    path: Path
    document: dict[str, Any]
    name: str
    version: int
    methods: dict[str, MethodInfo] = field(default_factory=dict)
    errors_by_code: dict[int, dict[str, Any]] = field(default_factory=dict)
    wire_definitions: dict[str, str] = field(default_factory=dict)  # method -> envelope definition name

    @property
    def defs(self) -> dict[str, Any]:
        return dict(self.document.get("$defs", {}))

    def method(self, name: str) -> MethodInfo | None:
        return self.methods.get(name)

    def validate(self, definition: str, instance: Any, prefix: tuple[str | int, ...] = ()) -> list[SchemaIssue]:
        """Problems of `instance` against `$defs/definition`, paths prefixed by `prefix`."""
        validator = _validator(self, definition)
        issues = [_issue(error, prefix) for error in validator.iter_errors(instance)]
        return sorted(issues, key=lambda i: (i.path, i.message))

    def validate_ref(self, ref: str | None, instance: Any, prefix: tuple[str | int, ...] = ()) -> list[SchemaIssue]:
        if not ref:
            return []
        return self.validate(ref_to_name(ref), instance, prefix)

    def declared_error_codes(self, info: MethodInfo) -> frozenset[int]:
        """Application codes `info` may return: the ones its `errors` names, plus table entries that
        no method lists (protocol-wide errors, e.g. an overloaded server). Standard codes excluded."""
        listed = {name for m in self.methods.values() for name in m.errors}
        return frozenset(code for code, entry in self.errors_by_code.items() if entry.get("name") in info.errors or entry.get("name") not in listed)

    def error_data_ref(self, code: int) -> str | None:
        entry = self.errors_by_code.get(code)
        return entry.get("data") if entry else None

    def __hash__(self) -> int:
        return id(self)


def ref_to_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def load_protocol_doc(path: Path) -> ProtocolDoc:
    """Read a protocol document (a `protocol.json` file or a version folder holding one)."""
    file = path / "protocol.json" if path.is_dir() else path
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProtocolLoadError(f"{file}: cannot read protocol document ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise ProtocolLoadError(f"{file}:{error.lineno}: not JSON ({error.msg})") from None
    header = document.get("x-protocol") if isinstance(document, dict) else None
    if not isinstance(header, dict) or not isinstance(document.get("x-methods"), list):
        raise ProtocolLoadError(f"{file}: not a Threadloom protocol document (needs `x-protocol` and `x-methods`)")
    doc = ProtocolDoc(path=file, document=document, name=str(header.get("name", "")), version=int(header.get("version", 0)))
    for entry in document["x-methods"]:
        doc.methods[entry["method"]] = MethodInfo(
            name=entry["method"],
            direction=entry["direction"],
            kind=entry["kind"],
            params=entry.get("params"),
            result=entry.get("result"),
            errors=tuple(entry.get("errors", [])),
            since=int(entry.get("since", 1)),
            stability=str(entry.get("stability", "stable")),
        )
    doc.errors_by_code = {int(e["code"]): e for e in document.get("x-errors", [])}
    doc.wire_definitions = _wire_definitions(document.get("$defs", {}))
    return doc


def resolve_protocol(schema: str | None, version: int, protocol_dir: Path) -> Path:
    """Where the document for a transcript lives: `--schema` (a version number or a file) or `protocol_dir/v<N>`."""
    if schema is None:
        return protocol_dir / f"v{version}" / "protocol.json"
    if schema.lstrip("v").isdigit():
        return protocol_dir / f"v{schema.lstrip('v')}" / "protocol.json"
    return Path(schema)


def _wire_definitions(defs: dict[str, Any]) -> dict[str, str]:
    """Map each method name to its wire-message definition (the one whose `method` is that const)."""
    found: dict[str, str] = {}
    for name, schema in defs.items():
        method = schema.get("properties", {}).get("method", {}) if isinstance(schema, dict) else {}
        if isinstance(method, dict) and isinstance(method.get("const"), str):
            found[method["const"]] = name
    return found


def _issue(error: ValidationError, prefix: tuple[str | int, ...]) -> SchemaIssue:
    undeclared = error.validator in (UNDECLARED_VARIANT, UNDECLARED_ENUM)
    path = prefix + tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        # Point at the missing member itself, not at the object that lacks it.
        required: Any = error.validator_value
        missing = [name for name in required if name not in error.instance]
        path += tuple(missing[:1])
    return SchemaIssue(path=path, message=error.message, undeclared=undeclared)


@cache
def _validator(doc: ProtocolDoc, definition: str) -> Validator:
    if definition not in doc.document.get("$defs", {}):
        raise ProtocolLoadError(f"{doc.path}: no definition `{definition}`")
    schema = {"$defs": doc.document["$defs"], "$ref": f"#/$defs/{definition}"}
    cls = _validator_class(doc)
    return cls(schema)  # type: ignore[no-any-return]


def _validator_class(doc: ProtocolDoc) -> Any:
    defs: dict[str, Any] = doc.document.get("$defs", {})
    base_one_of = Draft202012Validator.VALIDATORS["oneOf"]
    base_enum = Draft202012Validator.VALIDATORS["enum"]

    def one_of(validator: Any, variants: list[Any], instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        tag_name = (schema.get("discriminator") or {}).get("propertyName")
        if not tag_name or not isinstance(instance, dict) or tag_name not in instance:
            yield from base_one_of(validator, variants, instance, schema)
            return
        tags = _variant_tags(defs, variants, tag_name)
        tag = instance[tag_name]
        if tag in tags:
            yield from validator.descend(instance, tags[tag])
            return
        known = ", ".join(repr(t) for t in tags)
        yield ValidationError(
            f"{tag_name} {tag!r} is not a variant of this version (known: {known})",
            validator=UNDECLARED_VARIANT,
            path=[tag_name],
        )

    def enum(validator: Any, values: list[Any], instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        if instance in values:
            return
        if schema.get("x-open") is not None and isinstance(instance, str):
            yield ValidationError(
                f"{instance!r} is not a value of this version's enum (known: {', '.join(repr(v) for v in values)})",
                validator=UNDECLARED_ENUM,
            )
            return
        yield from base_enum(validator, values, instance, schema)

    return extend(Draft202012Validator, {"oneOf": one_of, "enum": enum})  # type: ignore[no-untyped-call]


def _variant_tags(defs: dict[str, Any], variants: list[Any], tag_name: str) -> dict[Any, Any]:
    tags: dict[Any, Any] = {}
    for variant in variants:
        target = variant
        if isinstance(variant, dict) and "$ref" in variant:
            target = defs.get(ref_to_name(variant["$ref"]), {})
        tag = target.get("properties", {}).get(tag_name, {}).get("const") if isinstance(target, dict) else None
        if tag is not None:
            tags[tag] = variant
    return tags
