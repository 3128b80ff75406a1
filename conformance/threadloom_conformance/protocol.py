"""One protocol version as the conformance engine sees it (no generated code involved).

The engine checks any server of any protocol Threadloom can read: a version comes from the loader
(`threadloom_conformance.protocols.load_versions`, any source format) as the intermediate model,
and keeps the raw JSON Schema document for validation. Definitions are found by their JSON pointer
inside that document, so `$defs` (2020-12) and `definitions` (draft-07 exports) both work; the
validator follows the document's `$schema`, with two refinements:

- a `oneOf` carrying a `discriminator` picks its variant by tag, so an error inside an item is
  reported at the item's own field instead of "not valid under any of the given schemas";
- an unknown tag in a union, or an unknown value in an enum, is reported as *undeclared* (the old
  client never declared support for it) rather than as a plain schema error. Both are failures of
  check (c) in replay; see README.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from threadloom.model import Framing, Handshake, envelope_name
from threadloom.model import Protocol as Model

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


# A protocol that declares no handshake but has an `initialize` request (frozen protocol/v1) is
# read the way it has always been: `initialize` opens, `protocolVersion` answers, and
# `capabilities.optOutNotificationMethods` lists the notifications the client does not want.
LEGACY_HANDSHAKE = Handshake(
    method="initialize",
    initialized="initialized",
    version_chosen="/protocolVersion",
    opt_out_notifications="/capabilities/optOutNotificationMethods",
)


@dataclass
class ProtocolDoc:
    path: Path
    document: dict[str, Any]
    name: str
    version: int
    methods: dict[str, MethodInfo] = field(default_factory=dict)
    errors_by_code: dict[int, dict[str, Any]] = field(default_factory=dict)
    wire_definitions: dict[str, str] = field(default_factory=dict)  # method -> envelope definition name
    pointers: dict[str, str] = field(default_factory=dict)  # definition name -> JSON pointer in `document`
    release: str = ""  # the release's own name ("0.169.0"); empty: the version number is its name
    framing: Framing = field(default_factory=Framing)
    declared_handshake: Handshake | None = None
    breaks: tuple[dict[str, Any], ...] = ()  # x-protocol.breaks: what this version breaks on purpose

    @property
    def defs(self) -> dict[str, str]:
        """Definition names (-> pointers): `name in doc.defs` asks whether a definition exists."""
        return self.pointers

    @property
    def identity(self) -> str:
        """How people name this version: its release, else its number."""
        return self.release or str(self.version)

    @property
    def handshake(self) -> Handshake | None:
        if self.declared_handshake is not None:
            return self.declared_handshake
        return LEGACY_HANDSHAKE if LEGACY_HANDSHAKE.method in self.methods else None

    def named(self, wanted: str) -> bool:
        """Whether `wanted` (`2`, `v2`, `0.169.0`) names this version."""
        return wanted in (self.identity, str(self.version), f"v{self.version}")

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


def from_model(model: Model) -> ProtocolDoc:
    """The engine's view of one version of the intermediate model (any source format)."""
    header = model.document.get("x-protocol", {}) if isinstance(model.document, dict) else {}
    breaks = header.get("breaks", []) if isinstance(header, dict) else []
    doc = ProtocolDoc(
        path=model.source,
        document=model.document,
        name=model.name,
        version=model.version,
        release=model.release if model.release != str(model.version) else "",
        framing=model.framing,
        declared_handshake=model.handshake,
        breaks=tuple(b for b in breaks if isinstance(b, dict)),
        pointers={name: definition.pointer for name, definition in model.definitions.items()},
    )
    for method in model.methods:
        doc.methods[method.name] = MethodInfo(
            name=method.name,
            direction=method.direction.value,
            kind=method.kind.value,
            params=method.params or None,
            result=method.result,
            errors=method.errors,
            since=method.since,
            stability=method.stability.value,
        )
        envelope = envelope_name(model, method)
        if envelope is not None:
            doc.wire_definitions[method.name] = envelope
    doc.errors_by_code = {error.code: {"name": error.name, "data": error.data} for error in model.errors}
    return doc


def load_protocol_doc(path: Path) -> ProtocolDoc:
    """One version: a document, or a version folder holding one (the newest, if PATH holds several)."""
    from threadloom_conformance.protocols import load_versions

    return load_versions(path)[-1]


def _issue(error: ValidationError, prefix: tuple[str | int, ...]) -> SchemaIssue:
    undeclared = error.validator in (UNDECLARED_VARIANT, UNDECLARED_ENUM)
    path = prefix + tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        # Point at the missing member itself, not at the object that lacks it.
        required: Any = error.validator_value
        missing = [name for name in required if name not in error.instance]
        path += tuple(missing[:1])
    return SchemaIssue(path=path, message=error.message, undeclared=undeclared)


DOCUMENT_URI = "urn:threadloom:protocol-document"


@cache
def _validator(doc: ProtocolDoc, definition: str) -> Validator:
    pointer = doc.pointers.get(definition)
    if pointer is None:
        raise ProtocolLoadError(f"{doc.path}: no definition `{definition}`")
    base = str(doc.document.get("$id") or DOCUMENT_URI)
    registry = _registry(doc, base)
    cls = _validator_class(doc, registry.resolver(base_uri=base))
    return cls({"$ref": f"{base}#{pointer}"}, registry=registry)  # type: ignore[no-any-return]


def _registry(doc: ProtocolDoc, base: str) -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(doc.document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(base, resource)
    return registry


def _validator_class(doc: ProtocolDoc, resolver: Any) -> Any:
    base_class = validator_for(doc.document, default=Draft202012Validator)
    base_one_of = base_class.VALIDATORS["oneOf"]
    base_enum = base_class.VALIDATORS["enum"]

    def one_of(validator: Any, variants: list[Any], instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        tag_name = (schema.get("discriminator") or {}).get("propertyName") or _implicit_tag(resolver, variants)
        if not tag_name or not isinstance(instance, dict) or tag_name not in instance:
            yield from base_one_of(validator, variants, instance, schema)
            return
        tags = _variant_tags(resolver, variants, tag_name)
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

    return extend(base_class, {"oneOf": one_of, "enum": enum})  # type: ignore[no-untyped-call]


def _implicit_tag(resolver: Any, variants: list[Any]) -> str | None:
    """The tag of a union that declares no `discriminator` (vendor exports such as Codex's): the one
    member every variant fixes to a single value (`type` when several do); None when there is none."""
    common: set[str] | None = None
    for variant in variants:
        target = resolver.lookup(variant["$ref"]).contents if isinstance(variant, dict) and "$ref" in variant else variant
        properties = target.get("properties", {}) if isinstance(target, dict) else {}
        fixed = {name for name, sub in properties.items() if isinstance(sub, dict) and ("const" in sub or len(sub.get("enum", [])) == 1)}
        common = fixed if common is None else common & fixed
        if not common:
            return None
    if not common or len(variants) < 2:
        return None
    return "type" if "type" in common else sorted(common)[0]


def _variant_tags(resolver: Any, variants: list[Any], tag_name: str) -> dict[Any, Any]:
    """Tag value -> variant schema; a variant's tag is a `const` (or one-value `enum`) of `tag_name`."""
    tags: dict[Any, Any] = {}
    for variant in variants:
        target = variant
        if isinstance(variant, dict) and "$ref" in variant:
            target = resolver.lookup(variant["$ref"]).contents
        tag_schema = target.get("properties", {}).get(tag_name, {}) if isinstance(target, dict) else {}
        values = [tag_schema["const"]] if "const" in tag_schema else tag_schema.get("enum", [])
        if len(values) == 1:
            tags[values[0]] = variant
    return tags
