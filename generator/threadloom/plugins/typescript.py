"""TypeScript bindings: a complete npm package for any protocol, on the runtime `@threadloom/runtime`.

Emitted with plain Python code builders (no node at generation time). `generate_package` writes, for
any list of protocol versions, a package (package.json, tsconfig.json, README.md, `src/index.ts`,
`src/stdio.ts`) with one module per version holding:
- a type for every definition: objects as interfaces (`field?: T` for optional members, `T | null`
  only where the schema allows null), tagged unions that narrow in a `switch`, enums as string
  literal unions;
- inline union options named as the Python target names them (`threadloom.plugins.lift`); an object
  with properties beside `anyOf`/`oneOf` becomes the union of its options, each a named type with the
  base members merged in (ACP's `ElicitationUrlMode = ElicitationUrlModeSession | ...Request`), or,
  where the options cannot be named, the base intersected with their union (`{...} & (A | B)`);
- for open unions and enums (`x-open: true`) an explicit unknown member (`UnknownValue` for enums,
  `Unknown<Union>` (or another name that clashes with no definition, see helper_names) with an
  `UnknownTag` tag for unions; both branded `String` objects, so no literal
  matches them and a typo against a known literal is a compile error), so a value added by a newer
  server type-checks and reaches the `default:` branch instead of breaking the client;
- method maps per direction (method -> params and result types), the method table and the error
  table as `const`s, a `Spec` type, the runtime tables `PROTOCOL`, and the version's client class.

This repository's own package (`bindings/typescript`) is generated the same way by `generate`, which
adds the type-level tests from the protocol examples and the shared corpus.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadloom.errors import InputError
from threadloom.generate import Context, Target, banner
from threadloom.jsonio import json_type, read_json
from threadloom.model import Definition, DefinitionKind, Direction, Kind, Method, Property, Protocol, ref_name
from threadloom.plugins import typescript_package as package_files
from threadloom.plugins.helper_names import helper_names, known_candidates, unknown_candidates
from threadloom.plugins.lift import lifted_protocol

# Where this repository's shared corpus lives (type-level tests of our own package, option `corpusTests`).
CORPUS = "bindings/corpus"
GENERATED_TESTS = "test/generated"

TARGET = Target(
    name="typescript",
    description="an npm package (package.json, types, method maps, tables, typed clients) on @threadloom/runtime",
    owned_dirs=("src", GENERATED_TESTS),
    inputs=("protocol", CORPUS),
    out_inputs=(package_files.EXTRA_MANIFEST, package_files.EXTRA_README),
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
    "PROTOCOL",
    "PROTOCOL_VERSION",
    "TRANSPORTS",
    "runtime",
}


def generate(context: Context) -> dict[str, str]:
    """The package for `--protocol`/`--out`/`--package`. Options (from the generate config):
    `clientClass` names the client class; `exampleTests` and `corpusTests` add type-level tests
    from the protocol's examples and from this repository's shared corpus (our own package)."""
    out = context.out_dir
    options = context.options
    command = context.command or package_files.REGENERATE  # the files without a code banner name it too
    package = generate_package(context.protocols, context.npm_package(), out, client_class=options.get("clientClass"), command=command)
    files = {Path(path).relative_to(out).as_posix(): content for path, content in package.items()}
    for protocol in context.protocols if options.get("exampleTests") else []:
        files[f"{GENERATED_TESTS}/examples_{protocol.label}.ts"] = render_example_tests(protocol, context.root)
    for protocol in context.protocols if options.get("corpusTests") else []:
        corpus = render_corpus_tests(protocol, context.root)
        if corpus is not None:
            files[f"{GENERATED_TESTS}/corpus_{protocol.label}.ts"] = corpus
    head, wanted = _banner(), context.banner("// ")
    return {path: text.replace(head, wanted, 1) for path, text in files.items()}


def generate_package(
    protocols: list[Protocol], package: str, out: Path, *, client_class: str | None = None, version: str = "0.1.0", command: str = package_files.REGENERATE
) -> dict[str, str]:
    """Every file of an npm package for `protocols` (the versions, oldest first), keyed by its path
    under `out`. A hand-written `out/package.extra.json` is merged into the generated package.json, and
    `out/README.extra.md` appended to the README. `command` is what the banners of package.json,
    tsconfig.json and README.md say regenerates them (the code files' banner is the caller's)."""
    if not protocols:
        raise InputError("threadloom generate", "no protocol versions to generate TypeScript for")
    package_files.check_package_name(package)
    client = client_class or package_files.client_class_name(protocols[-1])
    relative = {
        "package.json": package_files.render_manifest(protocols, package, version, out, command),
        "tsconfig.json": package_files.render_tsconfig(command),
        "README.md": package_files.render_readme(protocols, package, client, out, command),
        "src/index.ts": package_files.render_index(protocols, client),
        "src/stdio.ts": package_files.render_stdio_entry(),
    }
    for index, protocol in enumerate(protocols):
        versions = [p.version for p in reversed(protocols[: index + 1])]
        handshake = package_files.effective_handshake(protocol, protocols[index + 1 :])
        relative[f"src/{protocol.label}.ts"] = render_module(protocol, client, versions, handshake)
    return {(out / name).as_posix(): content for name, content in relative.items()}


def _banner() -> str:
    return banner("threadloom generate typescript", "// ")


# --- the types module -------------------------------------------------------------------------


def render_module(protocol: Protocol, client_class: str | None = None, versions: list[int] | None = None, handshake: Any = None) -> str:
    """One version's module. Without `versions` the version offers only itself; `handshake` is the
    one the runtime performs (default the version's own)."""
    client = client_class or package_files.client_class_name(protocol)
    protocol = lifted_protocol(protocol)  # inline options named as in the Python target
    _check_names(protocol, client)
    helpers = helper_types(protocol, client)
    out = [_banner(), f"// {protocol.document.get('title', protocol.name)}: types, method maps, tables and the typed client.", ""]
    out += [f"import * as runtime from '{package_files.RUNTIME_PACKAGE}';", ""]
    out += [f"export const PROTOCOL_VERSION = {protocol.version} as const;", ""]
    out += ["/** Transport settings from the protocol header (paths, header names, size limits). */"]
    out += [f"export const TRANSPORTS = {_literal(protocol.transports or {})} as const;", ""]
    out += _unknown_value()
    for name in sorted(protocol.definitions):
        out += render_definition(protocol.definitions[name], helpers)
    out += _method_maps(protocol)
    out += _method_table(protocol)
    out += _error_table(protocol)
    handshake = protocol.handshake if handshake is None else handshake
    out += _spec(protocol, package_files.handshake_info(protocol, handshake))
    out += package_files.render_runtime_part(protocol, client, versions or [protocol.version], handshake)
    return "\n".join(out).rstrip("\n") + "\n"


@dataclass(frozen=True)
class HelperTypes:
    """Open definition -> the names of its `Known...` type and (unions) its `Unknown...` member."""

    known: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)


def helper_types(protocol: Protocol, client_class: str) -> HelperTypes:
    """Helper type names that clash with no definition (see helper_names: `UnknownCommandAction` is a
    real Codex variant, so the catch-all of `CommandAction` is `CommandActionUnknown`)."""
    taken = set(protocol.definitions) | RESERVED | {client_class}
    known = helper_names(protocol, known_candidates, taken, kinds=(DefinitionKind.ENUM, DefinitionKind.UNION))
    return HelperTypes(known, helper_names(protocol, unknown_candidates, taken))


def _emitted_names(definition: Definition) -> set[str]:
    """Every top-level name the module emits for a definition, besides the helper types."""
    name = definition.name
    names = {name}
    if definition.kind is DefinitionKind.ENUM:
        names.add(_constant(name))
    if definition.kind is DefinitionKind.UNION:
        names.add(_constant(name) + "_TAGS")
    if definition.open and definition.kind in (DefinitionKind.ENUM, DefinitionKind.UNION):
        names.add(f"isKnown{name}")
    return names


def _check_names(protocol: Protocol, client_class: str) -> None:
    for name, definition in protocol.definitions.items():
        emitted = _emitted_names(definition)
        clash = emitted & (RESERVED | {client_class}) or (emitted - {name}) & set(protocol.definitions)
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
        " *",
        " * A branded `String` object rather than a branded `string`: any `string` subtype is comparable",
        ' * with every string literal, so `status === "complted"` would compile. Against this type it does',
        " * not, and a tagged union with it as the tag still narrows. It has the string methods;",
        " * `String(value)` gives the plain string.",
        " */",
        f"export interface {UNKNOWN_VALUE} extends String {{",
        "  readonly [unknownBrand]: never;",
        "}",
        "",
        "/** The tag of a union variant this version does not know: an unknown value, see above. */",
        f"export type {UNKNOWN_TAG} = {UNKNOWN_VALUE};",
        "",
    ]


def render_definition(definition: Definition, helpers: HelperTypes | None = None) -> list[str]:
    helpers = helpers or HelperTypes()
    out = _doc(definition.description, since=definition.since)
    name = definition.name
    if definition.kind is DefinitionKind.OBJECT:
        out += _object(definition)
    elif definition.kind is DefinitionKind.ENUM:
        out += _enum(definition, helpers.known.get(definition.name, f"Known{definition.name}"))
    elif definition.kind is DefinitionKind.UNION:
        name = definition.name
        out += _union(definition, helpers.known.get(name, f"Known{name}"), helpers.unknown.get(name, f"Unknown{name}"))
    elif definition.kind is DefinitionKind.ENVELOPE_UNION:
        options = definition.schema.get("anyOf") or definition.schema.get("oneOf") or []
        # ACP's envelopes are one object whose `params` is the union: its own type expression.
        expression = " | ".join(type_expression(o) for o in options) if options else type_expression(definition.schema)
        out.append(f"export type {name} = {expression};")
    else:
        out.append(f"export type {name} = {type_expression(definition.schema)};")
    return [*out, ""]


def _object(definition: Definition) -> list[str]:
    schema = definition.schema
    bases = [type_expression(part) for part in schema.get("allOf", []) if isinstance(part, dict) and "$ref" in part]
    alternatives = _alternatives(schema, definition.properties)
    if not definition.properties:
        if alternatives:
            return [f"export type {definition.name} = {' & '.join([*bases, alternatives])};"]
        # No declared members: `{}` would accept any non-null value, so spell out "some object".
        value = "never" if definition.closed else "unknown"
        return [f"export type {definition.name} = {{ [key: string]: {value} }};"]
    members = []
    for prop in definition.properties:
        members += ["  " + line for line in _property_doc(prop)]
        members.append(f"  {_key(prop.name)}{'' if prop.required else '?'}: {type_expression(prop.schema)};")
    if not bases and not alternatives:
        return [f"export interface {definition.name} {{", *members, "}"]
    # Members beside `allOf` a type that may be a union (ACP's `SessionUpdateStateUpdate`: a tag
    # beside all of `StateUpdate`), or beside alternatives the lift could not name: an intersection,
    # which distributes over the union's members.
    head = " & ".join(bases)
    tail = f" & {alternatives}" if alternatives else ""
    return [f"export type {definition.name} = {head + ' & ' if head else ''}{{", *members, f"}}{tail};"]


def _alternatives(schema: dict[str, Any], properties: tuple[Property, ...]) -> str:
    """`anyOf`/`oneOf` beside an object's own members (left when `lift` could not name the options),
    as one parenthesised union. An option that only constrains (`{"required": ["url"]}`) makes the
    parent's members it requires required."""
    options = schema.get("oneOf", schema.get("anyOf"))
    if not isinstance(options, list) or not options:
        return ""
    parent = {prop.name: prop.schema for prop in properties}
    expressions = [_alternative(option, parent) for option in options]
    return f"({_join_union(expressions)})"


def _alternative(option: Any, parent: dict[str, Any]) -> str:
    constraint = isinstance(option, dict) and "$ref" not in option and option.get("type", "object") == "object"
    if not constraint or not ("properties" in option or "required" in option):
        return type_expression(option)
    own: dict[str, Any] = option.get("properties", {})
    required = [name for name in option.get("required", []) if name not in own and name in parent]
    members = {**own, **{name: parent[name] for name in required}}
    return _inline_object({"properties": members, "required": [*option.get("required", [])]}) if members else "unknown"


def _property_doc(prop: Property) -> list[str]:
    text = prop.description or (prop.schema.get("description", "") if isinstance(prop.schema, dict) else "")
    tags = []
    if prop.deprecation is not None:
        note = f"use `{prop.deprecation.replacement}` instead" if prop.deprecation.replacement else ""
        if prop.deprecation.remove_in:
            note += f"{'; ' if note else ''}may be removed in v{prop.deprecation.remove_in}"
        tags.append(f"@deprecated {note}".rstrip())
    if isinstance(prop.schema, dict) and "default" in prop.schema:
        tags.append(f"@default {json.dumps(prop.schema['default'])}")
    return _doc(text, since=prop.since, tags=tags)


def _enum(definition: Definition, known: str) -> list[str]:
    name, constant = definition.name, _constant(definition.name)
    literals = " | ".join(json.dumps(v) for v in definition.values)
    values = ", ".join(json.dumps(v) for v in definition.values)
    out = [f"export const {constant} = [{values}] as const;"]
    if not definition.open:
        return [f"export type {name} = {literals};", *out]
    return [
        f"export type {name} = {known} | {UNKNOWN_VALUE};",
        f"/** The values of {name} this version knows. */",
        f"export type {known} = {literals};",
        *out,
        f"export function isKnown{name}(value: {name}): value is {known} {{",
        f"  return ({constant} as readonly string[]).includes(String(value));",
        "}",
    ]


def _union(definition: Definition, known: str, unknown: str) -> list[str]:
    name = definition.name
    members = " | ".join(v.definition for v in definition.variants)
    if definition.schema.get("properties"):
        # Members beside the variants (every variant has them): intersected with the known ones; the
        # unknown member keeps any members, as the Python side does.
        base = {k: v for k, v in definition.schema.items() if k not in ("oneOf", "anyOf", "discriminator")}
        members = f"({members}) & {_inline_object(base)}"
    tags = ", ".join(json.dumps(v.tag) for v in definition.variants)
    constant = _constant(name) + "_TAGS"
    if not definition.open:
        return [f"export type {name} = {members};", f"export const {constant} = [{tags}] as const;"]
    discriminator = _key(definition.discriminator or "type")
    return [
        f"export type {name} = {known} | {unknown};",
        f"/** The variants of {name} this version knows. */",
        f"export type {known} = {members};",
        "/** A variant added by a newer server: keep it or skip it, never fail on it. */",
        f"export interface {unknown} {{",
        f"  readonly {discriminator}: {UNKNOWN_TAG};",
        "  readonly [key: string]: unknown;",
        "}",
        f"export const {constant} = [{tags}] as const;",
        f"export function isKnown{name}(value: {name}): value is {known} {{",
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
    if "allOf" in schema:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        parts = [type_expression(part) for part in schema["allOf"]]
        if rest.get("properties") or "anyOf" in rest or "oneOf" in rest:
            parts.append(type_expression(rest))
        return " & ".join(f"({p})" if " | " in p else p for p in dict.fromkeys(parts))
    if schema.get("properties") and ("anyOf" in schema or "oneOf" in schema):
        members = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        properties = tuple(Property(n, s, n in members.get("required", []), "", 1) for n, s in members["properties"].items())
        return f"{_inline_object(members)} & {_alternatives(schema, properties)}"
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


def _spec(protocol: Protocol, handshake: dict[str, Any] | None) -> list[str]:
    return [
        "/** Everything the generic client needs to know about this protocol version, as types. */",
        "export type Spec = {",
        f"  version: {protocol.version};",
        "  clientRequests: ClientRequestMethods;",
        "  clientNotifications: ClientNotificationMethods;",
        "  serverRequests: ServerRequestMethods;",
        "  serverNotifications: ServerNotificationMethods;",
        "  errors: ErrorDataByName;",
        f"  handshake: {json.dumps(handshake['method']) if handshake else 'never'};",
        "};",
        "",
    ]


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
    out += [f"import type * as {label} from '../../src/{label}.js';", ""]
    folder = protocol.examples_dir
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


# --- type-level tests from the shared corpus (bindings/corpus/v<N>/<Definition>-<True|False>-<hash>.json)
#
# A corpus entry is valid or invalid against the JSON Schema. TypeScript types see less than the
# schema (no minLength, minimum, uniqueItems, integer-ness, ...), so each entry is first judged
# the way tsc will see it: valid entries tsc accepts must compile; invalid entries tsc rejects go
# under `@ts-expect-error`; the rest are listed as skipped, with the reason.

ACCEPT, REJECT, UNSURE = "accept", "reject", "unsure"
CORPUS_NAME = re.compile(r"^(?P<definition>[A-Za-z_][A-Za-z0-9_]*)-(?P<valid>True|False)-(?P<hash>[A-Za-z0-9_]+)$")


def render_corpus_tests(protocol: Protocol, root: Path) -> str | None:
    folder = root / CORPUS / protocol.label
    if not folder.is_dir():
        return None
    label = protocol.label
    judge = TsJudge(protocol)
    body: list[str] = []
    skipped: list[str] = []
    for path in sorted(folder.glob("*.json")):
        match = CORPUS_NAME.match(path.stem)
        if not match or match["definition"] not in protocol.definitions:
            raise InputError(path, "corpus file name must be <Definition>-<True|False>-<hash>.json with a definition of this version")
        definition, valid = match["definition"], match["valid"] == "True"
        value, case = _corpus_sample(read_json(path))
        verdict, reason = judge.verdict({"$ref": f"#/$defs/{definition}"}, value)
        constant = f"{_example_name(definition, 'c_' + match['hash'])}_{'valid' if valid else 'invalid'}"
        if valid and verdict == ACCEPT:
            body.append(f"export const {constant}: {label}.{definition} = {judge.literal({'$ref': f'#/$defs/{definition}'}, value)};")
        elif not valid and verdict == REJECT:
            body += [f"// @ts-expect-error {reason}", f"export const {constant}: {label}.{definition} = {_typed_literal(value)};"]
        else:
            why = reason if verdict != ACCEPT else "TypeScript types cannot express why the schema rejects it"
            skipped.append(f"// skipped {path.name}{f' ({case})' if case else ''}: {why}")
    out = [_banner(), f"// The shared corpus bindings/corpus/{label}/ as type-level tests: this file must compile.", ""]
    out += [f"import type * as {label} from '../../src/{label}.js';", ""]
    checked = sum(1 for line in body if line.startswith("export"))
    out += [*body, "", *skipped, "", f"export const corpusChecked = {checked};", f"export const corpusSkipped = {len(skipped)};"]
    return "\n".join(out) + "\n"


def _corpus_sample(entry: Any) -> tuple[Any, str]:
    """A corpus file holds {"definition", "valid", "case", "sample"}; a bare value is accepted too."""
    if isinstance(entry, dict) and "sample" in entry and "definition" in entry:
        return entry["sample"], str(entry.get("case", ""))
    return entry, ""


class TsJudge:
    """How tsc sees a JSON value assigned, as a fresh literal, to a generated type."""

    def __init__(self, protocol: Protocol) -> None:
        self.definitions = protocol.definitions

    def resolve(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.definitions[ref_name(schema["$ref"])].schema
        return schema

    def verdict(self, schema: Any, value: Any, direct: bool = True) -> tuple[str, str]:
        """`direct`: the literal is checked against this type alone (not one member of an untagged
        union), so tsc's excess-property check applies to it."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return (ACCEPT, "") if schema is not False else (REJECT, "never")
        if "const" in schema:
            return (ACCEPT, "") if value == schema["const"] and type(value) is type(schema["const"]) else (REJECT, f"not the literal {schema['const']!r}")
        if "enum" in schema:
            return (ACCEPT, "") if value in schema["enum"] and isinstance(value, str) else (REJECT, f"{value!r} is not one of the enum's literals")
        if "oneOf" in schema or "anyOf" in schema:
            return self._union(schema, value, direct)
        kinds = schema.get("type")
        if kinds is None:
            return ACCEPT, ""
        kinds = kinds if isinstance(kinds, list) else [kinds]
        kind = json_type(value)
        if kind not in kinds and not (kind == "integer" and "number" in kinds) and not (kind == "number" and "integer" in kinds):
            return REJECT, f"a {kind} where the type is {' | '.join(kinds)}"
        if kind == "array":
            return _combine([self.verdict(schema.get("items", True), item, direct) for item in value])
        if kind == "object":
            return self._object(schema, value, direct)
        return ACCEPT, ""

    def _union(self, schema: dict[str, Any], value: Any, direct: bool) -> tuple[str, str]:
        options = schema.get("oneOf") or schema.get("anyOf") or []
        tag = schema.get("discriminator", {}).get("propertyName")
        if tag is not None:
            chosen = self._variant(options, tag, value)
            if chosen is None:
                return REJECT, f"no variant has the tag {tag}={value.get(tag) if isinstance(value, dict) else value!r}"
            return self.verdict(chosen, value, direct)
        verdicts = [self.verdict(option, value, direct=False) for option in options]
        if any(v == ACCEPT for v, _ in verdicts):
            return ACCEPT, ""
        if all(v == REJECT for v, _ in verdicts):
            return REJECT, "; ".join(dict.fromkeys(reason for _, reason in verdicts))
        return UNSURE, "matches no member of a union without a tag"

    def _variant(self, options: list[Any], tag: str, value: Any) -> Any:
        if not isinstance(value, dict):
            return None
        for option in options:
            const = self.resolve(option).get("properties", {}).get(tag, {}).get("const")
            if const is not None and const == value.get(tag):
                return option
        return None

    def _object(self, schema: dict[str, Any], value: dict[str, Any], direct: bool) -> tuple[str, str]:
        properties: dict[str, Any] = schema.get("properties", {})
        missing = [name for name in schema.get("required", []) if name not in value]
        if missing:
            return REJECT, f"required {', '.join(missing)} missing"
        verdicts = [self.verdict(properties[name], member, direct) for name, member in value.items() if name in properties]
        extra = [name for name in value if name not in properties]
        if extra and properties and schema.get("additionalProperties") is False:
            # tsc rejects unknown members of a fresh literal, but only reliably outside untagged unions.
            verdicts.append((REJECT if direct else UNSURE, f"unknown member(s) {', '.join(extra)} of a closed object"))
        return _combine(verdicts)

    def literal(self, schema: Any, value: Any) -> str:
        """A one-line literal in which members the type does not declare come in a spread (no excess-property error)."""
        schema = self.resolve(schema)
        if isinstance(schema, dict) and ("oneOf" in schema or "anyOf" in schema):
            options = schema.get("oneOf") or schema.get("anyOf") or []
            tag = schema.get("discriminator", {}).get("propertyName")
            chosen = self._variant(options, tag, value) if tag else next((o for o in options if self.verdict(o, value)[0] == ACCEPT), None)
            return self.literal(chosen, value) if chosen is not None else _typed_literal(value)
        if isinstance(value, list) and isinstance(schema, dict):
            return "[" + ", ".join(self.literal(schema.get("items", True), item) for item in value) + "]"
        if isinstance(value, dict) and isinstance(schema, dict) and schema.get("properties"):
            properties = schema["properties"]
            known = [f"{json.dumps(k, ensure_ascii=False)}: {self.literal(properties[k], v)}" for k, v in value.items() if k in properties]
            extra = {k: v for k, v in value.items() if k not in properties}
            spread = [f"...{_typed_literal(extra)}"] if extra else []
            return "{ " + ", ".join(known + spread) + " }" if known or spread else "{}"
        return _typed_literal(value)


def _combine(verdicts: list[tuple[str, str]]) -> tuple[str, str]:
    for wanted in (REJECT, UNSURE):
        reasons = [reason for verdict, reason in verdicts if verdict == wanted]
        if reasons:
            return wanted, reasons[0]
    return ACCEPT, ""
