"""TypeScript bindings: one module of types per protocol version, plus type-level tests from the examples.

Emitted with plain Python code builders (no node at generation time). Per version the module holds:
- a type for every definition: objects as interfaces (`field?: T` for optional members, `T | null`
  only where the schema allows null), tagged unions that narrow in a `switch`, enums as string
  literal unions;
- for open unions and enums (`x-open: true`) an explicit unknown member (`UnknownValue` for enums,
  `Unknown<Union>` with an `UnknownTag` tag for unions; no literal matches either), so a value added
  by a newer server type-checks and reaches the `default:` branch instead of breaking the client;
- method maps per direction (method -> params and result types), the method table and the error
  table as `const`s for runtime use, and a `Spec` type that the hand-written client is generic over.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from threadloom.generator.errors import InputError
from threadloom.generator.generate import Context, Target, banner
from threadloom.generator.jsonio import read_json
from threadloom.generator.model import Definition, DefinitionKind, Direction, Kind, Method, Property, Protocol, ref_name

PACKAGE = "bindings/typescript"
GENERATED_SRC = f"{PACKAGE}/src/generated"
GENERATED_TESTS = f"{PACKAGE}/test/generated"

TARGET = Target(
    name="typescript",
    description="TypeScript types, method maps and tables (bindings/typescript/src/generated/) and type-level example tests",
    owned_dirs=(GENERATED_SRC, GENERATED_TESTS),
)

IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
UNKNOWN_VALUE = "UnknownValue"
UNKNOWN_TAG = "UnknownTag"
# Names this module emits besides the definitions; a definition with one of these names would clash.
RESERVED = {
    UNKNOWN_VALUE,
    UNKNOWN_TAG,
    "Spec",
    "ClientRequestMethods",
    "ClientNotificationMethods",
    "ServerRequestMethods",
    "ServerNotificationMethods",
    "ErrorDataByName",
    "ErrorName",
    "MethodInfo",
    "METHODS",
    "ERRORS",
    "PROTOCOL_VERSION",
}


def generate(context: Context) -> dict[str, str]:
    files: dict[str, str] = {}
    for protocol in context.protocols:
        files[f"{GENERATED_SRC}/{protocol.label}.ts"] = render_module(protocol)
        files[f"{GENERATED_TESTS}/examples_{protocol.label}.ts"] = render_example_tests(protocol, context.root)
    files[f"{GENERATED_SRC}/index.ts"] = render_index(context.protocols)
    return files


def _banner() -> str:
    return banner("threadloom generate typescript", "// ")


# --- the types module -------------------------------------------------------------------------


def render_module(protocol: Protocol) -> str:
    _check_names(protocol)
    out = [_banner(), f"// {protocol.document.get('title', protocol.name)}: types, method maps and tables.", ""]
    out += [f"export const PROTOCOL_VERSION = {protocol.version} as const;", ""]
    out += _unknown_value()
    for name in sorted(protocol.definitions):
        out += render_definition(protocol.definitions[name])
    out += _method_maps(protocol)
    out += _method_table(protocol)
    out += _error_table(protocol)
    out += _spec(protocol)
    return "\n".join(out).rstrip("\n") + "\n"


def _check_names(protocol: Protocol) -> None:
    for name, definition in protocol.definitions.items():
        emitted = {name, f"Known{name}", f"Unknown{name}", f"isKnown{name}", _constant(name)}
        clash = emitted & RESERVED or (emitted - {name}) & set(protocol.definitions)
        if clash or not IDENTIFIER.match(name):
            raise InputError(
                protocol.source,
                f"definition name `{name}` cannot be used as a TypeScript type name" + (f" (clashes with generated `{sorted(clash)[0]}`)" if clash else ""),
                definition.pointer,
                "rename the definition",
            )


def _unknown_value() -> list[str]:
    return [
        "declare const unknownBrand: unique symbol;",
        "/**",
        " * A member of an open enum or union that this version of the bindings does not know (added by a",
        " * newer server). No string literal is assignable to it, so a `switch` still narrows the known",
        " * members, and the `default:` branch gets the unknown ones.",
        " */",
        f"export type {UNKNOWN_VALUE} = string & {{ readonly [unknownBrand]: never }};",
        "",
        "/**",
        " * The tag of a union variant this version does not know. A branded `String` rather than a branded",
        " * `string`: TypeScript only narrows a tagged union whose unknown member's tag is not a primitive.",
        " * It has the string methods; `String(tag)` gives the plain string.",
        " */",
        f"export interface {UNKNOWN_TAG} extends String {{",
        "  readonly [unknownBrand]: never;",
        "}",
        "",
    ]


def render_definition(definition: Definition) -> list[str]:
    out = _doc(definition.description, since=definition.since)
    name = definition.name
    if definition.kind is DefinitionKind.OBJECT:
        out += _object(definition)
    elif definition.kind is DefinitionKind.ENUM:
        out += _enum(definition)
    elif definition.kind is DefinitionKind.UNION:
        out += _union(definition)
    elif definition.kind is DefinitionKind.ENVELOPE_UNION:
        options = definition.schema.get("anyOf") or definition.schema.get("oneOf") or []
        out.append(f"export type {name} = {' | '.join(type_expression(o) for o in options)};")
    else:
        out.append(f"export type {name} = {type_expression(definition.schema)};")
    return [*out, ""]


def _object(definition: Definition) -> list[str]:
    if not definition.properties:
        # No declared members: `{}` would accept any non-null value, so spell out "some object".
        value = "never" if definition.closed else "unknown"
        return [f"export type {definition.name} = {{ [key: string]: {value} }};"]
    out = [f"export interface {definition.name} {{"]
    for prop in definition.properties:
        out += ["  " + line for line in _property_doc(prop)]
        out.append(f"  {_key(prop.name)}{'' if prop.required else '?'}: {type_expression(prop.schema)};")
    return [*out, "}"]


def _property_doc(prop: Property) -> list[str]:
    text = prop.description or (prop.schema.get("description", "") if isinstance(prop.schema, dict) else "")
    tags = []
    if prop.deprecation is not None:
        note = f"use `{prop.deprecation.replacement}` instead" if prop.deprecation.replacement else ""
        if prop.deprecation.remove_in:
            note += f"{'; ' if note else ''}may be removed in v{prop.deprecation.remove_in}"
        tags.append(f"@deprecated {note}".rstrip())
    return _doc(text, since=prop.since, tags=tags)


def _enum(definition: Definition) -> list[str]:
    name, constant = definition.name, _constant(definition.name)
    literals = " | ".join(json.dumps(v) for v in definition.values)
    values = ", ".join(json.dumps(v) for v in definition.values)
    out = [f"export const {constant} = [{values}] as const;"]
    if not definition.open:
        return [f"export type {name} = {literals};", *out]
    return [
        f"export type {name} = Known{name} | {UNKNOWN_VALUE};",
        f"/** The values of {name} this version knows. */",
        f"export type Known{name} = {literals};",
        *out,
        f"export function isKnown{name}(value: {name}): value is Known{name} {{",
        f"  return ({constant} as readonly string[]).includes(value);",
        "}",
    ]


def _union(definition: Definition) -> list[str]:
    name = definition.name
    members = " | ".join(v.definition for v in definition.variants)
    tags = ", ".join(json.dumps(v.tag) for v in definition.variants)
    constant = _constant(name) + "_TAGS"
    if not definition.open:
        return [f"export type {name} = {members};", f"export const {constant} = [{tags}] as const;"]
    discriminator = _key(definition.discriminator or "type")
    return [
        f"export type {name} = Known{name} | Unknown{name};",
        f"/** The variants of {name} this version knows. */",
        f"export type Known{name} = {members};",
        "/** A variant added by a newer server: keep it or skip it, never fail on it. */",
        f"export interface Unknown{name} {{",
        f"  readonly {discriminator}: {UNKNOWN_TAG};",
        "  readonly [key: string]: unknown;",
        "}",
        f"export const {constant} = [{tags}] as const;",
        f"export function isKnown{name}(value: {name}): value is Known{name} {{",
        f"  return ({constant} as readonly string[]).includes(String(value.{definition.discriminator}));",
        "}",
    ]


def type_expression(schema: Any) -> str:
    """The TypeScript type of an inline schema."""
    if not isinstance(schema, dict):
        return "unknown" if schema is True or schema is None else "never"
    if "$ref" in schema:
        return ref_name(schema["$ref"])
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    if "enum" in schema:
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _join_union([type_expression(option) for option in schema[key]])
    kinds = schema.get("type")
    if kinds is None:
        return "unknown"
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return _join_union([_scalar_or_container(kind, schema) for kind in kinds])


def _join_union(options: list[str]) -> str:
    unique = list(dict.fromkeys(options))
    return " | ".join(unique) if unique else "never"


def _scalar_or_container(kind: str, schema: dict[str, Any]) -> str:
    if kind in ("integer", "number"):
        return "number"
    if kind in ("string", "boolean", "null"):
        return kind
    if kind == "array":
        item = type_expression(schema.get("items", True))
        return f"({item})[]" if " " in item else f"{item}[]"
    if kind == "object":
        return _inline_object(schema)
    return "unknown"


def _inline_object(schema: dict[str, Any]) -> str:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    extra = schema.get("additionalProperties", True)
    members = [f"{_key(name)}{'' if name in required else '?'}: {type_expression(sub)}" for name, sub in properties.items()]
    if extra is not False and not properties:
        members.append(f"[key: string]: {type_expression(extra)}")
    return "{ " + "; ".join(members) + " }" if members else "{ [key: string]: never }"


# --- method maps, tables, spec ----------------------------------------------------------------

MAPS = (
    ("ClientRequestMethods", Direction.CLIENT_TO_SERVER, Kind.REQUEST),
    ("ClientNotificationMethods", Direction.CLIENT_TO_SERVER, Kind.NOTIFICATION),
    ("ServerRequestMethods", Direction.SERVER_TO_CLIENT, Kind.REQUEST),
    ("ServerNotificationMethods", Direction.SERVER_TO_CLIENT, Kind.NOTIFICATION),
)


def _method_maps(protocol: Protocol) -> list[str]:
    out = []
    for name, direction, kind in MAPS:
        # A type alias (not an interface) so it is assignable to the index signatures of the client's Spec.
        out += [f"/** {direction} {kind}s: method -> params{' and result' if kind is Kind.REQUEST else ''}. */", f"export type {name} = {{"]
        for method in protocol.methods_by(direction, kind):
            out += ["  " + line for line in _doc(method.description, since=method.since, tags=_method_tags(method))]
            result = f"; result: {ref_name(method.result)}" if method.result else ""
            out.append(f"  {json.dumps(method.name)}: {{ params: {ref_name(method.params)}{result} }};")
        out += ["};", ""]
    return out


def _method_tags(method: Method) -> list[str]:
    if method.deprecation is None:
        return []
    note = f"use `{method.deprecation.replacement}` instead" if method.deprecation.replacement else ""
    return [f"@deprecated {note}".rstrip()]


def _method_table(protocol: Protocol) -> list[str]:
    out = [
        "/** One row of the method table. */",
        "export interface MethodInfo {",
        "  readonly name: string;",
        '  readonly direction: "clientToServer" | "serverToClient";',
        '  readonly kind: "request" | "notification";',
        "  readonly since: number;",
        '  readonly stability: "stable" | "experimental" | "deprecated";',
        "  readonly deprecated?: { readonly replacement: string | null; readonly removeIn: number | null };",
        "}",
        "",
        "/** The method table, for runtime use (routing, feature checks). */",
        "export const METHODS = [",
    ]
    for m in protocol.methods:
        row: dict[str, Any] = {"name": m.name, "direction": m.direction.value, "kind": m.kind.value, "since": m.since, "stability": m.stability.value}
        if m.deprecation is not None:
            row["deprecated"] = {"replacement": m.deprecation.replacement, "removeIn": m.deprecation.remove_in}
        out.append(f"  {_literal(row)},")
    return [*out, "] as const satisfies readonly MethodInfo[];", ""]


def _error_table(protocol: Protocol) -> list[str]:
    out = ["/** The error table: name -> code. Match errors on `code`, never on the message. */", "export const ERRORS = {"]
    out += [f"  {error.name}: {error.code}," for error in protocol.errors]
    out += ["} as const;", "export type ErrorName = keyof typeof ERRORS;", ""]
    out += ["/** The typed `data` of each error that carries one. */", "export type ErrorDataByName = {"]
    out += [f"  {error.name}: {ref_name(error.data) if error.data else 'undefined'};" for error in protocol.errors]
    return [*out, "};", ""]


def _spec(protocol: Protocol) -> list[str]:
    return [
        "/** Everything the generic client needs to know about this protocol version, as types. */",
        "export type Spec = {",
        f"  version: {protocol.version};",
        "  clientRequests: ClientRequestMethods;",
        "  clientNotifications: ClientNotificationMethods;",
        "  serverRequests: ServerRequestMethods;",
        "  serverNotifications: ServerNotificationMethods;",
        "  errors: ErrorDataByName;",
        "};",
    ]


def render_index(protocols: list[Protocol]) -> str:
    out = [_banner()]
    out += [f"export * as {p.label} from './{p.label}.js';" for p in protocols]
    return "\n".join(out) + "\n"


# --- helpers ----------------------------------------------------------------------------------


def _constant(name: str) -> str:
    """`ThreadItem` -> `THREAD_ITEM`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def _key(name: str) -> str:
    return name if IDENTIFIER.match(name) else json.dumps(name)


def _literal(value: Any) -> str:
    """A JSON value as a TypeScript object literal with unquoted keys where possible."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)}: {_literal(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


def _doc(text: str, since: int = 1, tags: list[str] | None = None) -> list[str]:
    lines = [line.rstrip() for line in text.strip().splitlines()] if text else []
    if since > 1:
        lines.append(f"@since v{since}")
    lines += tags or []
    if not lines:
        return []
    lines = [line.replace("*/", "*\\/") for line in lines]
    if len(lines) == 1:
        return [f"/** {lines[0]} */"]
    return ["/**", *[f" * {line}".rstrip() for line in lines], " */"]


# --- type-level tests from the protocol examples ----------------------------------------------


def render_example_tests(protocol: Protocol, root: Path) -> str:
    """Every example of the protocol, as a literal typed with its definition: it must compile."""
    label = protocol.label
    out = [_banner(), f"// Every example in protocol/{label}/examples/, typed with its definition: this file must compile.", ""]
    out += [f"import type * as {label} from '../../src/generated/{label}.js';", ""]
    folder = root / "protocol" / label / "examples"
    names = []
    for path in sorted(folder.glob("*/*.json")) if folder.is_dir() else []:
        definition = path.parent.name
        if definition not in protocol.definitions:
            raise InputError(path, f"example for unknown definition `{definition}`", hint="name the folder after a $defs entry")
        constant = _example_name(definition, path.stem)
        names.append(constant)
        out.append(f"export const {constant}: {label}.{definition} = {_typed_literal(read_json(path))};")
    out += ["", f"export const exampleCount = {len(names)};"]
    return "\n".join(out) + "\n"


def _example_name(definition: str, stem: str) -> str:
    return definition[0].lower() + definition[1:] + "_" + re.sub(r"[^A-Za-z0-9]", "_", stem)


def _typed_literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)
