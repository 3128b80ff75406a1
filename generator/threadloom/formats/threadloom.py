"""Threadloom's own format: JSON Schema 2020-12 plus the `x-protocol`, `x-methods` and `x-errors`
keywords and a few `x-` annotations on definitions (see protocol/README.md).

A source is a folder of version folders (`protocol/` holding `v1/protocol.json`, ...), one version
folder, or one document file. Reading a document: parse it, bundle references to other files
(`threadloom_refs`), validate it against the metaschema, derive the JSON-RPC envelopes when it is
in the minimal authored form (`threadloom_envelopes`), and translate it into the intermediate
model. The lint rules (generator/threadloom/lint) judge the result after.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from threadloom.errors import InputError, pointer_join
from threadloom.findings import Finding, display_path
from threadloom.formats.threadloom_envelopes import derive
from threadloom.formats.threadloom_refs import bundle
from threadloom.jsonio import read_json
from threadloom.lint.rules import ref_resolves
from threadloom.model import (
    Definition,
    DefinitionKind,
    Deprecation,
    Direction,
    ErrorCode,
    Framing,
    Handshake,
    Kind,
    Method,
    Property,
    Protocol,
    Stability,
    Variant,
    ref_name,
)

NAME = "threadloom"
MARKER = "x-protocol"
DOCUMENT_NAME = "protocol.json"
VERSION_DIR = re.compile(r"^v(\d+)$")
NOT_A_PROTOCOL_HINT = "expected a JSON Schema with an `x-protocol` header; see protocol/README.md"


def recognises(source: Path) -> bool:
    """A document with an `x-protocol` header, a folder holding `protocol.json`, or a folder of `vN/` folders."""
    if source.is_file():
        if source.name == DOCUMENT_NAME:
            return True
        try:
            return source.suffix == ".json" and f'"{MARKER}"' in source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
    # `vN/` folders alone are not enough: other exports use them too (Codex has `v1/`, `v2/`).
    return (source / DOCUMENT_NAME).is_file() or any((folder / DOCUMENT_NAME).is_file() for folder in version_dirs(source))


def load(source: Path) -> list[Protocol]:
    return [load_document(file) for file in document_files(source)]


def is_version_set(source: Path) -> bool:
    """A folder of version folders (as opposed to one version folder or one document)."""
    return source.is_dir() and not (source / DOCUMENT_NAME).exists() and bool(version_dirs(source))


def version_dirs(folder: Path) -> list[Path]:
    """`v1/`, `v2/`, ... inside a folder, in version order."""
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if p.is_dir() and (m := VERSION_DIR.match(p.name))]
    return [p for _, p in sorted(found)]


def document_files(source: Path) -> list[Path]:
    """The document of every version the source holds, oldest first."""
    if source.is_file():
        return [source]
    if (source / DOCUMENT_NAME).exists() or not version_dirs(source):
        return [source / DOCUMENT_NAME]
    return [folder / DOCUMENT_NAME for folder in version_dirs(source)]


def read_document(file: Path) -> dict[str, Any]:
    """The document as authored, with other files' definitions bundled in (not yet validated)."""
    document = read_json(file)
    if not isinstance(document, dict) or MARKER not in document:
        raise InputError(display_path(file), "not a protocol document", "", NOT_A_PROTOCOL_HINT)
    return bundle(document, file)


def load_document(file: Path) -> Protocol:
    """Load for use (diff, generate): anything that breaks the metaschema is an input error."""
    document = read_document(file)
    problems = metaschema_findings(document, file)
    if problems:
        first = problems[0]
        more = f" and {len(problems) - 1} more problem(s); run `threadloom check`" if len(problems) > 1 else ""
        raise InputError(display_path(file), f"not a valid protocol document: {first.message}{more}", first.pointer)
    protocol = to_model(derive(document, file), file)
    _require_resolved_refs(protocol, file)
    return protocol


def _require_resolved_refs(protocol: Protocol, file: Path) -> None:
    """A `$ref` to a missing definition would become code naming a class that does not exist
    (generate) or a change reported as harmless (diff): an input error, like a broken cross-file
    reference. `check` reports the same as the `ref-resolves` finding."""
    dangling = list(ref_resolves(protocol))
    if dangling:
        pointer, message, hint = dangling[0]
        more = f" and {len(dangling) - 1} more; run `threadloom check`" if len(dangling) > 1 else ""
        raise InputError(display_path(file), f"{message}{more}", pointer, hint)


@functools.cache
def metaschema() -> dict[str, Any]:
    text = resources.files("threadloom.formats").joinpath("metaschema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _metaschema_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(metaschema())


def metaschema_findings(document: Any, file: Path) -> list[Finding]:
    """Every place where the (authored, bundled) document breaks the format's metaschema."""
    findings = []
    for error in _metaschema_validator().iter_errors(document):
        findings.append(
            Finding(
                file=display_path(file),
                pointer=pointer_join(*error.absolute_path),
                rule="metaschema",
                message=error.message if len(error.message) < 300 else error.message[:300] + "...",
                hint="see protocol/README.md for the document format",
            )
        )
    return sorted(findings)


def to_model(document: dict[str, Any], source: Path) -> Protocol:
    header = document[MARKER]
    version = int(header["version"])
    defs = document.get("$defs", {})
    definitions = {name: definition_from_schema(name, schema, version) for name, schema in defs.items()}
    for name, definition in definitions.items():
        if definition.kind is DefinitionKind.UNION:
            definitions[name] = replace(definition, variants=_tag_variants(definition, definitions))
    return Protocol(
        name=header["name"],
        version=version,
        document=document,
        source=source,
        methods=tuple(_method(entry, index, version) for index, entry in enumerate(document.get("x-methods", []))),
        errors=tuple(_error(entry, version) for entry in document.get("x-errors", [])),
        definitions=definitions,
        messages={Direction(direction): ref_name(ref) for direction, ref in header.get("messages", {}).items()},
        transports=header.get("transports", {}),
        release=str(version),
        framing=_framing(header.get("framing", {})),
        handshake=_handshake(header.get("handshake")),
    )


def _framing(raw: dict[str, Any]) -> Framing:
    return Framing(jsonrpc_member=bool(raw.get("jsonrpcMember", True)), notification_extras=tuple(raw.get("notificationExtras", ())))


def _handshake(raw: dict[str, Any] | None) -> Handshake | None:
    if raw is None:
        return None
    return Handshake(
        method=raw["method"],
        initialized=raw.get("initialized"),
        version_offer=raw.get("versionOffer"),
        version_chosen=raw.get("versionChosen"),
        experimental_opt_in=raw.get("experimentalOptIn"),
        opt_out_notifications=raw.get("optOutNotifications"),
        errors=tuple(sorted(raw.get("errors", {}).items())),
    )


def _deprecation(raw: Any) -> Deprecation | None:
    if not isinstance(raw, dict):
        return None
    return Deprecation(replacement=raw.get("replacement"), remove_in=raw.get("removeIn"), since=raw.get("since"))


def _method(entry: dict[str, Any], index: int, version: int) -> Method:
    result = entry.get("result")
    return Method(
        name=entry["method"],
        direction=Direction(entry["direction"]),
        kind=Kind(entry["kind"]),
        params=ref_name(entry["params"]),
        result=ref_name(result) if result else None,
        errors=tuple(entry.get("errors", [])),
        since=int(entry.get("since", version)),
        stability=Stability(entry.get("stability", "stable")),
        area=entry.get("area", ""),
        description=entry.get("description", ""),
        deprecation=_deprecation(entry.get("deprecated")),
        pointer=pointer_join("x-methods", index),
    )


def _error(entry: dict[str, Any], version: int) -> ErrorCode:
    data = entry.get("data")
    return ErrorCode(
        code=int(entry["code"]),
        name=entry["name"],
        description=entry.get("description", ""),
        data=ref_name(data) if data else None,
        since=int(entry.get("since", 1)),
    )


def definition_from_schema(name: str, schema: Any, version: int) -> Definition:
    """One `$defs` entry of a Threadloom document as the model's `Definition` (union variants untagged:
    see `_tag_variants`)."""
    schema = schema if isinstance(schema, dict) else {}
    common = {
        "name": name,
        "schema": schema,
        "description": schema.get("description", ""),
        "since": int(schema.get("x-since", 1)),
        "pointer": pointer_join("$defs", name),
    }
    if "oneOf" in schema:
        discriminator = schema.get("discriminator", {}).get("propertyName")
        return Definition(
            kind=DefinitionKind.UNION,
            variants=tuple(_variants(schema, discriminator)),
            discriminator=discriminator,
            open=schema.get("x-open"),
            downgrade=schema.get("x-downgrade"),
            **common,
        )
    if "anyOf" in schema and "properties" not in schema:
        return Definition(kind=DefinitionKind.ENVELOPE_UNION, **common)
    if "enum" in schema:
        return Definition(kind=DefinitionKind.ENUM, values=tuple(schema["enum"]), open=schema.get("x-open"), **common)
    if schema.get("type") == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        properties = tuple(_property(prop_name, prop_schema, prop_name in required) for prop_name, prop_schema in schema.get("properties", {}).items())
        return Definition(
            kind=DefinitionKind.OBJECT,
            properties=properties,
            closed=schema.get("additionalProperties") is False,
            **common,
        )
    return Definition(kind=DefinitionKind.ALIAS, **common)


def _property(name: str, schema: Any, required: bool) -> Property:
    schema = schema if isinstance(schema, dict) else {}
    return Property(
        name=name,
        schema=schema,
        required=required,
        description=schema.get("description", ""),
        since=int(schema.get("x-since", 1)),
        experimental=bool(schema.get("x-experimental", False)),
        deprecation=_deprecation(schema.get("x-deprecated")) if schema.get("deprecated") else None,
    )


def _variants(schema: dict[str, Any], discriminator: str | None) -> list[Variant]:
    """Variants are `$ref`s; their tag is the `const` of the discriminator property of the target.

    The tag is filled in by `_tag_variants` once all definitions are known; here it is empty.
    """
    return [Variant(tag="", definition=ref_name(option.get("$ref", ""))) for option in schema.get("oneOf", []) if isinstance(option, dict)]


def _tag_variants(union: Definition, definitions: dict[str, Definition]) -> tuple[Variant, ...]:
    tagged = []
    for variant in union.variants:
        target = definitions.get(variant.definition)
        prop = target.property(union.discriminator) if target and union.discriminator else None
        tag = prop.schema.get("const", "") if prop else ""
        tagged.append(Variant(tag=str(tag), definition=variant.definition))
    return tuple(tagged)
