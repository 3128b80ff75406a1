"""The Agent Client Protocol (ACP): a release's `schema.json` or the npm package's `schema/` folder.

Where the files are (`@agentclientprotocol/sdk` on npm):
- 2.x: `schema/v1/schema.json`, `v1/schema.unstable.json`, `v2/schema.json`, `v2/schema.unstable.json`
  -> two protocols, version 1 and 2 (v2 is a draft);
- 0.7-1.9: `schema/schema.json` is the v1 *unstable* schema (the stable one is not shipped);
- <= 0.5.1: `schema/schema.json`.
A `meta.json` beside a schema (PyPI sdists) gives the protocol version.

Mapping rules (see docs/real-world/acp-mapping.md):
- methods: `$defs` carrying `x-method` (wire name) and `x-side` (the side that handles it); the
  agent is the server: `agent` -> client->server, `client` -> server->client, `protocol` (both
  sides send it, e.g. `$/cancel_request`) -> client->server, noted. Request or notification by the
  envelope union a type belongs to (`ClientRequest` = what a client sends, ...); a request's
  result is the member of the opposite response envelope with the same `x-method`. Types not in
  any envelope fall back to their name (`...Notification`) and are noted. The root is never read.
- stability: with a stable file and an unstable one, what only the unstable file has is
  experimental (methods; definitions and properties get `x-experimental`); with one file only,
  a description starting `**UNSTABLE**` marks it.
- unions, enums, references: normalised by `acp_schema.normalise` (open catch-all -> `x-open`).
- handshake: `initialize`, the integer `protocolVersion` in params and result.
- framing: standard JSON-RPC 2.0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from threadloom.errors import InputError, pointer_join
from threadloom.findings import Finding, Level, display_path
from threadloom.formats.acp_schema import normalise
from threadloom.jsonio import read_json
from threadloom.model import (
    Definition,
    DefinitionKind,
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

NAME = "acp"
STABLE_FILE = "schema.json"
UNSTABLE_FILE = "schema.unstable.json"
UNSTABLE_MARK = "**UNSTABLE**"
ENVELOPE = re.compile(r"^(Agent|Client)(Request|Response|Notification)$")
VERSION_DIR = re.compile(r"^v(\d+)$")
# 0.7.0 up to (not including) 2.0.0 ship the v1 unstable schema as `schema/schema.json`.
UNSTABLE_ONLY_RELEASES = ((0, 7, 0), (2, 0, 0))


Experimental = Callable[[str, dict[str, Any]], bool]  # (definition name, schema) -> unstable?


@dataclass(frozen=True)
class SchemaFiles:
    """The files of one protocol version."""

    version: int
    stable: Path | None
    unstable: Path | None
    release: str
    unstable_only_trap: bool = False  # a `schema.json` that is really the unstable schema

    @property
    def main(self) -> Path:
        main = self.unstable or self.stable
        assert main is not None
        return main


def recognises(source: Any) -> bool:
    """A cheap sniff: an ACP schema file (or folder holding one) has `x-method` and `x-side`."""
    if not isinstance(source, Path):
        return False
    try:
        files = find_schema_files(source)
        head = files[0].main.read_text(encoding="utf-8")
    except (InputError, OSError, UnicodeDecodeError):
        return False
    return '"$defs"' in head and '"x-method"' in head and '"x-side"' in head


def load(source: Path) -> list[Protocol]:
    """Every protocol version the source holds, oldest first."""
    return [_load_version(files) for files in find_schema_files(source)]


# --- locating the files -------------------------------------------------------------------


def find_schema_files(source: Path) -> list[SchemaFiles]:
    if source.is_file():
        return [_files_for(source.parent, source.name)]
    if not source.is_dir():
        raise InputError(source, "file or folder not found")
    for folder in (source, source / "schema", source / "package" / "schema"):
        versions = sorted((int(m.group(1)), p) for p in folder.glob("v*") if p.is_dir() and (m := VERSION_DIR.match(p.name)))
        found = [_files_for(path, STABLE_FILE) for _, path in versions if _has_schema(path)]
        if _has_schema(folder):  # 0.7-1.9: `schema/schema.json` (v1) beside a draft `v2/`
            top = _files_for(folder, STABLE_FILE)
            found = [top, *(f for f in found if f.version != top.version)]
        if found:
            return sorted(found, key=lambda f: f.version)
    raise InputError(source, "no ACP schema here", hint="expected schema.json, schema/, or v1/ and v2/ folders with schema.json")


def _has_schema(folder: Path) -> bool:
    return (folder / STABLE_FILE).is_file() or (folder / UNSTABLE_FILE).is_file()


def _files_for(folder: Path, chosen: str) -> SchemaFiles:
    stable = folder / STABLE_FILE if (folder / STABLE_FILE).is_file() else None
    unstable = folder / UNSTABLE_FILE if (folder / UNSTABLE_FILE).is_file() else None
    if chosen not in (STABLE_FILE, UNSTABLE_FILE):  # a schema under another name: take it alone
        stable, unstable = folder / chosen, None
    release = _release(folder)
    trap = stable is not None and unstable is None and _in_unstable_only_range(release)
    if trap:
        stable, unstable = None, stable
    return SchemaFiles(_protocol_version(folder), stable, unstable, release, trap)


def _protocol_version(folder: Path) -> int:
    match = VERSION_DIR.match(folder.name)
    if match:
        return int(match.group(1))
    meta = folder / "meta.json"
    if meta.is_file():
        version = read_json(meta).get("version") if isinstance(read_json(meta), dict) else None
        if isinstance(version, int):
            return version
    return 1


def _release(folder: Path) -> str:
    """The package version from the nearest package.json (npm) or PKG-INFO (PyPI sdist)."""
    for parent in [folder, *folder.parents][:4]:
        package = parent / "package.json"
        if package.is_file():
            data = read_json(package)
            return str(data.get("version", "")) if isinstance(data, dict) else ""
        pkg_info = parent / "PKG-INFO"
        if pkg_info.is_file():
            match = re.search(r"^Version: (\S+)", pkg_info.read_text(encoding="utf-8"), re.MULTILINE)
            return match.group(1) if match else ""
    return ""


def _in_unstable_only_range(release: str) -> bool:
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", release)
    if not match:
        return False
    version = tuple(int(part) for part in match.groups())
    return UNSTABLE_ONLY_RELEASES[0] <= version < UNSTABLE_ONLY_RELEASES[1]


# --- reading one version -------------------------------------------------------------------


def read_schema(path: Path) -> dict[str, Any]:
    document = read_json(path)
    if not isinstance(document, dict):
        raise InputError(path, "not an ACP schema: expected a JSON object", "")
    defs = document.get("$defs")
    if not isinstance(defs, dict) or not defs:
        raise InputError(path, "not an ACP schema: no `$defs`", "", "an ACP schema.json keeps its types in `$defs`")
    _check_json_schema(path, document)
    for name, schema in defs.items():
        if not isinstance(schema, dict):
            raise InputError(path, "a type must be a JSON object", pointer_join("$defs", name))
        for key in ("x-method", "x-side"):
            if key in schema and not isinstance(schema[key], str):
                raise InputError(path, f"`{key}` must be a string", pointer_join("$defs", name, key))
    if not any(isinstance(s, dict) and "x-method" in s for s in defs.values()):
        raise InputError(path, "not an ACP schema: no type carries `x-method`", "/$defs", "a truncated or foreign JSON Schema?")
    return document


SCHEMA_MAPS = ("properties", "$defs", "patternProperties")
SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains", "propertyNames", "unevaluatedProperties")


def _check_json_schema(path: Path, document: dict[str, Any]) -> None:
    """The keywords the adapter reads must have their JSON Schema types (a fast structural check;
    the full 2020-12 metaschema takes seconds on a 400 KB schema)."""
    problem = _shape_problem(document, ())
    if problem is not None:
        where, message = problem
        raise InputError(path, f"not a valid JSON Schema: {message}", pointer_join(*where))


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _shape_problem(schema: Any, where: tuple[Any, ...]) -> tuple[tuple[Any, ...], str] | None:
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, dict):
        return where, "a schema must be an object or a boolean"
    checks: list[tuple[bool, str, str]] = [
        ("$ref" not in schema or isinstance(schema["$ref"], str), "$ref", "must be a string"),
        (
            "required" not in schema or (isinstance(schema["required"], list) and all(isinstance(r, str) for r in schema["required"])),
            "required",
            "must be a list of strings",
        ),
        ("enum" not in schema or isinstance(schema["enum"], list), "enum", "must be a list"),
        ("type" not in schema or isinstance(schema["type"], str | list), "type", "must be a string or a list"),
    ]
    for ok, key, message in checks:
        if not ok:
            return (*where, key), message
    for key in SCHEMA_MAPS:
        if key in schema and not isinstance(schema[key], dict):
            return (*where, key), "must be an object"
        for name, sub in schema.get(key, {}).items():
            if (found := _shape_problem(sub, (*where, key, name))) is not None:
                return found
    for key in SCHEMA_LISTS:
        if key in schema and not isinstance(schema[key], list):
            return (*where, key), "must be a list"
        for index, sub in enumerate(schema.get(key, [])):
            if (found := _shape_problem(sub, (*where, key, index))) is not None:
                return found
    for key in SCHEMA_VALUES:
        if key in schema and (found := _shape_problem(schema[key], (*where, key))) is not None:
            return found
    return None


def _load_version(files: SchemaFiles) -> Protocol:
    main = read_schema(files.main)
    document = normalise(main)
    notes: list[Finding] = []
    if files.stable and files.unstable:
        stable_defs = normalise(read_schema(files.stable))["$defs"]
        _mark_unstable_only(document["$defs"], stable_defs)
    else:
        stable_defs = None
        _mark_described_unstable(document["$defs"])
        if files.unstable_only_trap:
            notes.append(
                _note(
                    files.main,
                    "",
                    "acp-unstable-only",
                    f"release {files.release} ships only the unstable schema as schema.json; stability from `**UNSTABLE**` descriptions",
                )
            )
    document["x-acp"] = {"release": files.release, "protocolVersion": files.version, "files": [str(p) for p in (files.stable, files.unstable) if p]}
    definitions = {name: _definition(name, schema) for name, schema in document["$defs"].items()}
    tag_variants(definitions)
    methods = _methods(files.main, document["$defs"], _experimental_rule(files, stable_defs), notes)
    return Protocol(
        name="acp",
        version=files.version,
        document=document,
        source=files.main,
        methods=tuple(methods),
        errors=_errors(document["$defs"]),
        definitions=definitions,
        messages=_messages(document["$defs"]),
        release=files.release,
        format=NAME,
        framing=Framing(jsonrpc_member=True),
        handshake=_handshake(document["$defs"], methods),
        method_key="x-method",  # ACP's `ClientRequest`... are untagged envelopes: the types name their methods
        notes=tuple(notes),
    )


def _note(file: Path, pointer: str, rule: str, message: str, level: Level = Level.WARNING) -> Finding:
    """What the adapter could not map faithfully (a warning) or a fact worth knowing (an info):
    ACP's schema is as ACP wrote it, so neither fails `check`."""
    return Finding(file=display_path(file), pointer=pointer, rule=rule, message=message, hint="", level=level)


def _mark_unstable_only(defs: dict[str, Any], stable: dict[str, Any]) -> None:
    """Definitions and properties only the unstable file has get `x-experimental: true`."""
    for name, schema in defs.items():
        if not isinstance(schema, dict):
            continue
        if name not in stable:
            schema["x-experimental"] = True
            continue
        stable_props = stable[name].get("properties", {}) if isinstance(stable[name], dict) else {}
        for prop, sub in schema.get("properties", {}).items():
            if prop not in stable_props and isinstance(sub, dict):
                sub["x-experimental"] = True


def _mark_described_unstable(defs: dict[str, Any]) -> None:
    """One file only: definitions and properties described `**UNSTABLE**` get `x-experimental`."""
    for schema in defs.values():
        if not isinstance(schema, dict):
            continue
        if str(schema.get("description", "")).startswith(UNSTABLE_MARK):
            schema["x-experimental"] = True
        for sub in schema.get("properties", {}).values():
            if isinstance(sub, dict) and str(sub.get("description", "")).startswith(UNSTABLE_MARK):
                sub["x-experimental"] = True


# --- methods ----------------------------------------------------------------------------------


def _refs(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {ref_name(schema["$ref"])} if isinstance(schema.get("$ref"), str) else set()
        return found.union(*(_refs(v) for k, v in schema.items() if k != "$ref"))
    if isinstance(schema, list):
        return set().union(*(_refs(v) for v in schema))
    return set()


def _envelopes(defs: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(sender, kind) -> names of the `x-method` types the envelope union of that sender holds."""
    out: dict[tuple[str, str], set[str]] = {}
    for name, schema in defs.items():
        match = ENVELOPE.match(name)
        if match and "x-method" not in schema:
            out[(match.group(1), match.group(2))] = _method_types_within(name, defs)
    return out


def _method_types_within(name: str, defs: dict[str, Any]) -> set[str]:
    """The `x-method` types a definition reaches through definitions that are no method types
    (a response envelope's `Result` member is a definition of its own after normalising)."""
    members: set[str] = set()
    seen, todo = {name}, [name]
    while todo:
        for ref in _refs(defs.get(todo.pop())):
            if ref in seen or not isinstance(defs.get(ref), dict):
                continue
            seen.add(ref)
            if "x-method" in defs[ref]:
                members.add(ref)
            else:
                todo.append(ref)
    return members


def _methods(file: Path, defs: dict[str, Any], experimental: Experimental, notes: list[Finding]) -> list[Method]:
    envelopes = _envelopes(defs)
    placed: set[str] = set()
    methods: list[Method] = []
    for sender, direction in (("Client", Direction.CLIENT_TO_SERVER), ("Agent", Direction.SERVER_TO_CLIENT)):
        answerer = "Agent" if sender == "Client" else "Client"
        responses = envelopes.get((answerer, "Response"), set())
        for kind_name, kind in (("Request", Kind.REQUEST), ("Notification", Kind.NOTIFICATION)):
            for params in sorted(envelopes.get((sender, kind_name), set())):
                wire = defs[params]["x-method"]
                result = _partner(wire, responses, defs) if kind is Kind.REQUEST else None
                if kind is Kind.REQUEST and result is None:
                    raise InputError(file, f"request `{wire}` has no response type with the same `x-method`", pointer_join("$defs", params))
                placed.update({params, result or params})
                methods.append(_method(wire, direction, kind, params, result, defs, experimental))
    methods += _unplaced(file, defs, placed, experimental, notes)
    _check_sides(file, methods, defs, notes)
    return sorted(methods, key=lambda m: (m.direction, m.name))


def _partner(wire: str, candidates: set[str], defs: dict[str, Any]) -> str | None:
    return next((name for name in sorted(candidates) if defs[name].get("x-method") == wire), None)


def _unplaced(file: Path, defs: dict[str, Any], placed: set[str], experimental: Experimental, notes: list[Finding]) -> list[Method]:
    """Method types no envelope holds (`$/cancel_request` sits only in the root): by name."""
    out = []
    unmapped: set[str] = set()
    for name, schema in sorted(defs.items()):
        if not isinstance(schema, dict) or "x-method" not in schema or name in placed:
            continue
        side = schema.get("x-side")
        if side not in ("agent", "client", "protocol"):
            if schema["x-method"] not in unmapped:
                unmapped.add(schema["x-method"])
                notes.append(_note(file, pointer_join("$defs", name), "acp-side-unmapped", f"`{schema['x-method']}` has `x-side: {side}`; not mapped"))
            continue
        if not name.endswith("Notification"):
            notes.append(
                _note(file, pointer_join("$defs", name), "acp-not-in-envelope", f"`{name}` ({schema['x-method']}) is in no envelope union; not mapped")
            )
            continue
        direction = Direction.SERVER_TO_CLIENT if side == "client" else Direction.CLIENT_TO_SERVER
        if side == "protocol":
            notes.append(
                _note(
                    file,
                    pointer_join("$defs", name),
                    "acp-both-directions",
                    f"`{schema['x-method']}` is sent by both sides; mapped as client->server (validate accepts it both ways)",
                    Level.INFO,
                )
            )
        out.append(_method(schema["x-method"], direction, Kind.NOTIFICATION, name, None, defs, experimental))
    return out


def _check_sides(file: Path, methods: list[Method], defs: dict[str, Any], notes: list[Finding]) -> None:
    expected = {Direction.CLIENT_TO_SERVER: ("agent", "protocol"), Direction.SERVER_TO_CLIENT: ("client",)}
    for method in methods:
        side = defs[method.params].get("x-side")
        if side not in expected[method.direction]:
            notes.append(
                _note(
                    file,
                    pointer_join("$defs", method.params),
                    "acp-side-mismatch",
                    f"`{method.name}` is in a {method.direction} envelope but `x-side` is {side}",
                )
            )


def _method(wire: str, direction: Direction, kind: Kind, params: str, result: str | None, defs: dict[str, Any], experimental: Experimental) -> Method:
    schema = defs[params]
    return Method(
        name=wire,
        direction=direction,
        kind=kind,
        params=params,
        result=result,
        errors=(),
        since=1,
        stability=Stability.EXPERIMENTAL if experimental(params, schema) else Stability.STABLE,
        area=wire.split("/", 1)[0] if "/" in wire else "",
        description=str(schema.get("description", "")),
        pointer=pointer_join("$defs", params),
    )


def _experimental_rule(files: SchemaFiles, stable_defs: dict[str, Any] | None) -> Experimental:
    """Unstable = only in the unstable file; a lone unstable file (a draft `v2/`) is all unstable;
    a lone file that is not known as such: its `**UNSTABLE**` descriptions."""
    if stable_defs is not None:
        return lambda name, _schema: name not in stable_defs
    if files.unstable is not None and not files.unstable_only_trap:
        return lambda _name, _schema: True
    return lambda _name, schema: str(schema.get("description", "")).startswith(UNSTABLE_MARK)


# --- definitions, errors, handshake ---------------------------------------------------------------


def _definition(name: str, schema: Any) -> Definition:
    schema = schema if isinstance(schema, dict) else {}
    common: dict[str, Any] = {
        "name": name,
        "schema": schema,
        "description": str(schema.get("description", "")),
        "since": 1,
        "pointer": pointer_join("$defs", name),
    }
    if ENVELOPE.match(name) and "x-method" not in schema:
        return Definition(kind=DefinitionKind.ENVELOPE_UNION, **common)
    if "discriminator" in schema and "oneOf" in schema:
        variants = tuple(Variant(tag="", definition=ref_name(o["$ref"])) for o in schema["oneOf"])
        return Definition(
            kind=DefinitionKind.UNION, variants=variants, discriminator=schema["discriminator"]["propertyName"], open=schema.get("x-open"), **common
        )
    if isinstance(schema.get("enum"), list):
        return Definition(kind=DefinitionKind.ENUM, values=tuple(str(v) for v in schema["enum"]), open=schema.get("x-open"), **common)
    if schema.get("type") == "object" or isinstance(schema.get("properties"), dict):
        required = set(schema.get("required", []))
        properties = tuple(_property(prop, sub, prop in required) for prop, sub in schema.get("properties", {}).items())
        return Definition(kind=DefinitionKind.OBJECT, properties=properties, closed=schema.get("additionalProperties") is False, **common)
    return Definition(kind=DefinitionKind.ALIAS, **common)


def _property(name: str, schema: Any, required: bool) -> Property:
    schema = schema if isinstance(schema, dict) else {}
    return Property(
        name=name, schema=schema, required=required, description=str(schema.get("description", "")), since=1, experimental=bool(schema.get("x-experimental"))
    )


def tag_variants(definitions: dict[str, Definition]) -> None:
    """Fill each union variant's tag from the `const` of its discriminator property."""
    for name, definition in definitions.items():
        if definition.kind is not DefinitionKind.UNION or not definition.discriminator:
            continue
        tagged = []
        for variant in definition.variants:
            target = definitions.get(variant.definition)
            prop = target.property(definition.discriminator) if target else None
            tagged.append(Variant(tag=str(prop.schema.get("const", "")) if prop else "", definition=variant.definition))
        definitions[name] = replace(definition, variants=tuple(tagged))


def _errors(defs: dict[str, Any]) -> tuple[ErrorCode, ...]:
    """ACP's `ErrorCode` (2.x): integer `const`s with titles ("Parse error" -> `parseError`)."""
    schema = defs.get("ErrorCode")
    options = schema.get("anyOf", schema.get("oneOf")) if isinstance(schema, dict) else None
    out = []
    for option in options if isinstance(options, list) else []:
        if isinstance(option, dict) and isinstance(option.get("const"), int) and isinstance(option.get("title"), str):
            words = re.split(r"[^A-Za-z0-9]+", option["title"])
            name = words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:] if w)
            out.append(ErrorCode(code=option["const"], name=name, description=str(option.get("description", "")), data=None, since=1))
    return tuple(out)


def _messages(defs: dict[str, Any]) -> dict[Direction, str]:
    """The request envelopes stand for each direction (ACP has no single message union)."""
    pairs = {Direction.CLIENT_TO_SERVER: "ClientRequest", Direction.SERVER_TO_CLIENT: "AgentRequest"}
    return {direction: name for direction, name in pairs.items() if name in defs}


def _handshake(defs: dict[str, Any], methods: list[Method]) -> Handshake | None:
    """`initialize` with an integer `protocolVersion` in params and result, when the shape has it.

    ACP offers one version (the client's latest), not a list; the agent answers the version it
    chose. `version_offer` therefore points at a single integer."""
    initialize = next((m for m in methods if m.name == "initialize" and m.is_request), None)
    if initialize is None or initialize.result is None:
        return None
    params, result = defs[initialize.params], defs[initialize.result]
    if "protocolVersion" not in params.get("properties", {}) or "protocolVersion" not in result.get("properties", {}):
        return None
    return Handshake(method="initialize", version_offer="/protocolVersion", version_chosen="/protocolVersion")
