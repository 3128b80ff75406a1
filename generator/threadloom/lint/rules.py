"""Lint rules for a protocol model (a document that satisfies the metaschema, or what a source
format's adapter produced from another vendor's export).

One rule = one small function registered with `@rule(id, scope)`, yielding `(pointer, message,
hint)`. Each rule has one broken fixture under tests/check/fixtures/<rule-id>/ that the tests load.

A rule's scope says what it judges:

- `Scope.STRUCTURE`: the wire and the model (references resolve, unions are tagged, every method
  has its wire message, the handshake points at real fields...). A problem here makes generated
  code or validation wrong, whatever format the protocol came from: judged on every source.
- `Scope.STYLE`: how a document in Threadloom's own format is authored (names, descriptions,
  unused definitions). A vendor's export is not ours to restyle: judged only on our own format.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from threadloom.errors import pointer_join
from threadloom.model import Definition, DefinitionKind, Direction, Kind, Protocol, Stability, ref_name

Issue = tuple[str, str, str]  # pointer, message, hint
Rule = Callable[[Protocol], Iterator[Issue]]


class Scope(enum.StrEnum):
    STRUCTURE = "structure"  # the wire and the model: every source format
    STYLE = "style"  # authoring style of Threadloom's own documents only


RULES: dict[str, Rule] = {}
SCOPES: dict[str, Scope] = {}  # rule id -> scope

PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
CAMEL = re.compile(r"^[a-z][A-Za-z0-9]*$")
ENUM_VALUE = re.compile(r"^[a-z][A-Za-z0-9]*$")


def rule(rule_id: str, scope: Scope) -> Callable[[Rule], Rule]:
    def register(func: Rule) -> Rule:
        RULES[rule_id] = func
        SCOPES[rule_id] = scope
        return func

    return register


def scopes_for(source_format: str) -> frozenset[Scope]:
    """Every rule for Threadloom's own documents; the structural ones for another vendor's export."""
    return frozenset(Scope) if source_format == "threadloom" else frozenset({Scope.STRUCTURE})


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every (pointer, sub-schema) in a JSON value, depth first."""
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, pointer_join_raw(pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, pointer_join_raw(pointer, index))


def pointer_join_raw(base: str, part: object) -> str:
    return base + pointer_join(part)


SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions")
SCHEMA_LISTS = ("oneOf", "anyOf", "allOf", "prefixItems")
SCHEMA_SINGLES = (
    *("items", "additionalItems", "additionalProperties", "unevaluatedItems", "unevaluatedProperties"),
    *("contains", "propertyNames", "not", "if", "then", "else"),
)


def subschemas(schema: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (pointer, schema) reachable through schema keywords, depth first. Unlike `walk`, a
    property *named* `enum` or `oneOf` (MCP's elicitation schemas have both) is not a keyword."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for key in SCHEMA_MAPS:
        members = schema.get(key)
        if isinstance(members, dict):
            for name, sub in members.items():
                yield from subschemas(sub, pointer_join_raw(pointer_join_raw(pointer, key), name))
    for key in (*SCHEMA_LISTS, *SCHEMA_SINGLES):
        value = schema.get(key)
        if isinstance(value, list) and key in (*SCHEMA_LISTS, "items"):
            for index, sub in enumerate(value):
                yield from subschemas(sub, pointer_join_raw(pointer_join_raw(pointer, key), index))
        elif isinstance(value, dict):
            yield from subschemas(value, pointer_join_raw(pointer, key))


def _refs(protocol: Protocol) -> Iterator[tuple[str, str]]:
    for pointer, node in walk(protocol.document):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            yield pointer, node["$ref"]


def _method_refs(protocol: Protocol) -> Iterator[tuple[str, str]]:
    for index, entry in enumerate(protocol.document.get("x-methods", [])):
        for key in ("params", "result"):
            if key in entry:
                yield pointer_join("x-methods", index, key), entry[key]
    for index, entry in enumerate(protocol.document.get("x-errors", [])):
        if "data" in entry:
            yield pointer_join("x-errors", index, "data"), entry["data"]
    for direction, target in protocol.document.get("x-protocol", {}).get("messages", {}).items():
        yield pointer_join("x-protocol", "messages", direction), target


@rule("ref-resolves", Scope.STRUCTURE)
def ref_resolves(protocol: Protocol) -> Iterator[Issue]:
    for pointer, target in [*_refs(protocol), *_method_refs(protocol)]:
        if not target.startswith("#/$defs/"):
            yield pointer, f"`{target}` is not a local reference", "refer to definitions as `#/$defs/Name`"
        elif ref_name(target) not in protocol.definitions:
            yield pointer, f"`{target}` points to no definition", f"add `{ref_name(target)}` to `$defs` or fix the name"


@rule("ref-cycle", Scope.STRUCTURE)
def ref_cycle(protocol: Protocol) -> Iterator[Issue]:
    """A definition that is only a `$ref` to another, around in a circle, describes no value."""
    alias_of = {}
    for name, definition in protocol.definitions.items():
        target = definition.schema.get("$ref")
        if isinstance(target, str) and set(definition.schema) <= {"$ref", "description", "title"}:
            alias_of[name] = ref_name(target)
    reported: set[str] = set()
    for start in sorted(alias_of):
        seen = [start]
        current = alias_of.get(start)
        while current in alias_of and current not in seen:
            seen.append(current)
            current = alias_of[current]
        if current == start and start not in reported:
            reported.update(seen)
            yield pointer_join("$defs", start), f"reference cycle: {' -> '.join([*seen, start])}", "give one of them a real schema"


@rule("union-tagged", Scope.STRUCTURE)
def union_tagged(protocol: Protocol) -> Iterator[Issue]:
    for name, definition in protocol.definitions.items():
        if definition.kind is not DefinitionKind.UNION:
            continue
        if not definition.discriminator:
            yield definition.pointer, f"union `{name}` has no discriminator", 'add `"discriminator": {"propertyName": "type"}`'
            continue
        for index, variant in enumerate(definition.variants):
            if variant.definition not in protocol.definitions:
                continue  # ref-resolves reports it
            carriers = _tag_carriers(protocol, variant.definition)
            props = [target.property(definition.discriminator) for target in carriers]
            if not carriers or any(prop is None or "const" not in prop.schema or not prop.required for prop in props):
                yield (
                    pointer_join("$defs", name, "oneOf", index),
                    f"variant `{variant.definition}` of `{name}` has no required `const` property `{definition.discriminator}`",
                    f'give `{variant.definition}` a required `"{definition.discriminator}": {{"const": "..."}}`',
                )
        tags = Counter(v.tag for v in definition.variants if v.tag)
        for tag, count in tags.items():
            if count > 1:
                yield definition.pointer, f"union `{name}` uses tag `{tag}` for {count} variants", "every variant needs its own tag"


def _tag_carriers(protocol: Protocol, name: str, seen: frozenset[str] = frozenset()) -> list[Definition]:
    """The objects that must carry a variant's tag: the variant itself, or, when naming for code
    generation made it a plain union of named options (`plugins/lift.py`), every option."""
    definition = protocol.definitions.get(name)
    if definition is None or name in seen:
        return []
    options = definition.schema.get("oneOf", definition.schema.get("anyOf")) if definition.kind is DefinitionKind.ALIAS else None
    targets = [o["$ref"] for o in options if isinstance(o, dict) and isinstance(o.get("$ref"), str)] if isinstance(options, list) else []
    if not targets or len(targets) != len(options or ()):
        return [definition]
    return [carrier for target in targets for carrier in _tag_carriers(protocol, ref_name(target), seen | {name})]


@rule("open-declared", Scope.STRUCTURE)
def open_declared(protocol: Protocol) -> Iterator[Issue]:
    for name, definition in protocol.definitions.items():
        if definition.kind in (DefinitionKind.UNION, DefinitionKind.ENUM) and definition.open is None:
            kind = "union" if definition.kind is DefinitionKind.UNION else "enum"
            yield definition.pointer, f"{kind} `{name}` does not declare `x-open`", 'add `"x-open": true` (clients tolerate unknown members) or `false`'


def _under_not(relative: str) -> bool:
    """Inside a `not` keyword (not a property named `not`)."""
    parts = relative.split("/")[1:]
    return any(part == "not" and (index == 0 or parts[index - 1] not in SCHEMA_MAPS) for index, part in enumerate(parts))


@rule("inline-type", Scope.STRUCTURE)
def inline_type(protocol: Protocol) -> Iterator[Issue]:
    """Inline objects, enums and unions get invented names in generated code; name them in $defs."""
    for name, definition in protocol.definitions.items():
        for pointer, node in subschemas(definition.schema, definition.pointer):
            if pointer == definition.pointer or _under_not(pointer[len(definition.pointer) :]):
                continue  # what a value must *not* be (a closed catch-all's `not`) generates no type
            if "properties" in node:
                what = "object"
            elif "enum" in node:
                what = "enum"
            elif "oneOf" in node:
                what = "union"
            else:
                continue
            yield pointer, f"inline {what} inside `{name}`", "move it to `$defs` under a stable name and `$ref` it"


@rule("naming", Scope.STYLE)
def naming(protocol: Protocol) -> Iterator[Issue]:
    for name, definition in protocol.definitions.items():
        if not PASCAL.match(name):
            yield definition.pointer, f"definition name `{name}` is not PascalCase", "rename it, e.g. `ThreadItem`"
        for prop in definition.properties:
            if not CAMEL.match(prop.name):
                yield pointer_join("$defs", name, "properties", prop.name), f"property `{prop.name}` is not camelCase", "use camelCase on the wire"
        for value in definition.values:
            if not isinstance(value, str) or not ENUM_VALUE.match(value):
                yield definition.pointer + "/enum", f"enum value `{value}` of `{name}` is not a camelCase string", "use camelCase string values"


@rule("documented", Scope.STYLE)
def documented(protocol: Protocol) -> Iterator[Issue]:
    for name, definition in protocol.definitions.items():
        for prop in definition.properties:
            if not prop.description and "$ref" not in prop.schema and "const" not in prop.schema:
                yield pointer_join("$defs", name, "properties", prop.name), f"property `{prop.name}` of `{name}` has no description", "add a `description`"


@rule("method-table", Scope.STRUCTURE)
def method_table(protocol: Protocol) -> Iterator[Issue]:
    seen: Counter[tuple[str, Direction]] = Counter()
    for method in protocol.methods:
        seen[(method.name, method.direction)] += 1
        for error in method.errors:
            if protocol.error(error) is None:
                yield method.pointer + "/errors", f"`{method.name}` lists unknown error `{error}`", "add it to `x-errors` or fix the name"
        if method.since > protocol.version:
            yield (
                method.pointer + "/since",
                f"`{method.name}` appears in v{method.since}, after this version (v{protocol.version})",
                "use this version or an earlier one",
            )
        replacement = method.deprecation.replacement if method.stability is Stability.DEPRECATED and method.deprecation else None
        if replacement and protocol.method(replacement) is None:
            yield (
                method.pointer + "/deprecated",
                f"`{method.name}` names replacement `{replacement}`, which is not a method",
                "name an existing method",
            )
    for (name, direction), count in seen.items():
        if count > 1:
            yield "/x-methods", f"method `{name}` ({direction}) is listed {count} times", "keep one entry"
    yield from _scalar_params(protocol)
    codes = Counter(e.code for e in protocol.errors)
    for code, count in codes.items():
        if count > 1:
            yield "/x-errors", f"error code {code} is used by {count} entries", "give every error its own code"


SCALAR_TYPES = {"string", "number", "integer", "boolean"}


def _scalar_params(protocol: Protocol) -> Iterator[Issue]:
    """JSON-RPC 2.0 params are an object or an array (or absent: Codex's `NoParams` is null)."""
    for method in protocol.methods:
        definition = protocol.definitions.get(method.params) if method.params else None
        declared = definition.schema.get("type") if definition else None
        types = {str(t) for t in declared} if isinstance(declared, list) else {str(declared)}
        if declared is not None and types <= SCALAR_TYPES:
            yield (
                method.pointer + "/params",
                f"the params of `{method.name}` (`{method.params}`) are a {' or '.join(sorted(types))}: JSON-RPC params are an object or an array",
                f"make `{method.params}` an object with a property holding the value",
            )


@rule("method-envelope", Scope.STRUCTURE)
def method_envelope(protocol: Protocol) -> Iterator[Issue]:
    """Each method has exactly one wire message in its direction's union, and vice versa; or, in a
    protocol whose types name their methods (`Protocol.method_key`), params and result that do."""
    if protocol.method_key is not None:
        yield from _keyed_methods(protocol, protocol.method_key)
        return
    unions = {
        (Direction.CLIENT_TO_SERVER, Kind.REQUEST): "ClientRequest",
        (Direction.CLIENT_TO_SERVER, Kind.NOTIFICATION): "ClientNotification",
        (Direction.SERVER_TO_CLIENT, Kind.REQUEST): "ServerRequest",
        (Direction.SERVER_TO_CLIENT, Kind.NOTIFICATION): "ServerNotification",
    }
    envelopes: dict[str, tuple[str, str]] = {}  # method -> (union, params def)
    for (direction, kind), union_name in unions.items():
        union = protocol.definitions.get(union_name)
        if union is None and not protocol.methods_by(direction, kind):
            continue  # a protocol without, say, server requests needs no ServerRequest union
        if union is None or union.kind is not DefinitionKind.UNION:
            yield pointer_join("$defs", union_name), f"missing the `{union_name}` union of wire messages", "add it: a `oneOf` tagged by `method`"
            continue
        for variant in union.variants:
            target = protocol.definitions.get(variant.definition)
            envelopes[f"{direction}:{variant.tag}"] = (union_name, _envelope_params(target))
        for method in protocol.methods_by(direction, kind):
            key = f"{direction}:{method.name}"
            if key not in envelopes or envelopes[key][0] != union_name:
                yield method.pointer, f"`{method.name}` has no wire message in `{union_name}`", f'add a variant with `"method": {{"const": "{method.name}"}}`'
            elif not _params_agree(protocol, method.params, envelopes[key][1]):
                carried = f"`{envelopes[key][1]}`" if envelopes[key][1] else "no `params` member"
                yield (
                    method.pointer + "/params",
                    f"`{method.name}` has params `{method.params}` but its wire message has {carried}",
                    "make them agree",
                )
    listed = {f"{m.direction}:{m.name}" for m in protocol.methods}
    for key, (union_name, _) in envelopes.items():
        if key not in listed:
            yield (
                pointer_join("$defs", union_name),
                f"`{union_name}` carries `{key.split(':', 1)[1]}`, which the method table does not list",
                "add the method to `x-methods`",
            )


def _keyed_methods(protocol: Protocol, key: str) -> Iterator[Issue]:
    """Every method's params (and a request's result) is a definition whose `key` names it."""
    for method in protocol.methods:
        roles = [("params", method.params)] + ([("result", method.result or "")] if method.is_request else [])
        for role, name in roles:
            definition = protocol.definitions.get(name)
            if definition is None:
                missing = f"`{name}`, which is not a definition" if name else "none"
                yield method.pointer, f"`{method.name}` has {role} schema {missing}", f"give `{method.name}` a {role} definition carrying `{key}`"
            elif definition.schema.get(key) != method.name:
                yield (
                    definition.pointer,
                    f"the {role} of `{method.name}` (`{name}`) has `{key}` {definition.schema.get(key)!r}",
                    f'set `"{key}": "{method.name}"`',
                )
            elif not _constrains(definition.schema):
                yield definition.pointer, f"`{method.name}` has no {role} schema: `{name}` only names the method", f"describe the {role} in `{name}`"


def _constrains(schema: Any) -> bool:
    """A schema with some keyword beyond annotations and `x-` extensions (which accept anything)."""
    annotations = {"description", "title", "$comment", "default", "examples", "deprecated"}
    return isinstance(schema, dict) and any(key not in annotations and not key.startswith("x-") for key in schema)


def nullable_ref(schema: Any) -> str | None:
    """The target of `{"$ref": X}` or of `{"anyOf": [{"$ref": X}, {"type": "null"}]}` (a member that
    may be null), else None."""
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("$ref"), str):
        return str(schema["$ref"])
    options = schema.get("anyOf") or schema.get("oneOf")
    if not isinstance(options, list) or len(options) != 2:
        return None
    refs = [o["$ref"] for o in options if isinstance(o, dict) and isinstance(o.get("$ref"), str)]
    nulls = [o for o in options if isinstance(o, dict) and o.get("type") == "null" and len(o) == 1]
    return str(refs[0]) if len(refs) == 1 and len(nulls) == 1 else None


def _envelope_params(envelope: Definition | None) -> str:
    """The params definition a wire message carries ("" when it has no `params` member)."""
    params = envelope.property("params") if envelope else None
    return ref_name(nullable_ref(params.schema) or "") if params else ""


def _params_agree(protocol: Protocol, declared: str, carried: str) -> bool:
    """A message without `params` carries a method whose params type is null (no params)."""
    if carried:
        return carried == declared
    definition = protocol.definitions.get(declared)
    return definition is not None and definition.schema.get("type") == "null"


@rule("since-valid", Scope.STRUCTURE)
def since_valid(protocol: Protocol) -> Iterator[Issue]:
    for name, definition in protocol.definitions.items():
        if definition.since > protocol.version:
            yield definition.pointer + "/x-since", f"`{name}` is marked as added in v{definition.since}, after this version", "fix `x-since`"
        for prop in definition.properties:
            if prop.since > protocol.version:
                yield (
                    pointer_join("$defs", name, "properties", prop.name, "x-since"),
                    f"`{name}.{prop.name}` is marked as added in v{prop.since}",
                    "fix `x-since`",
                )


@rule("deprecated-field", Scope.STYLE)
def deprecated_field(protocol: Protocol) -> Iterator[Issue]:
    for name, definition in protocol.definitions.items():
        for prop in definition.properties:
            pointer = pointer_join("$defs", name, "properties", prop.name)
            if prop.schema.get("deprecated") and "x-deprecated" not in prop.schema:
                yield pointer, f"`{name}.{prop.name}` is deprecated without `x-deprecated`", 'add `"x-deprecated": {"replacement": "...", "removeIn": N}`'
            elif prop.deprecation and prop.deprecation.replacement and definition.property(prop.deprecation.replacement) is None:
                yield pointer + "/x-deprecated", f"replacement `{prop.deprecation.replacement}` is not a property of `{name}`", "name a sibling property"


@rule("unused-definition", Scope.STYLE)
def unused_definition(protocol: Protocol) -> Iterator[Issue]:
    used: set[str] = set()
    pending = [ref_name(target) for _, target in _method_refs(protocol)]
    pending += [ref_name(option["$ref"]) for option in protocol.document.get("anyOf", []) if isinstance(option, dict) and "$ref" in option]
    while pending:
        name = pending.pop()
        if name in used or name not in protocol.definitions:
            continue
        used.add(name)
        pending += [
            ref_name(target)
            for _, node in walk(protocol.definitions[name].schema)
            if isinstance(node, dict)
            for target in [node.get("$ref")]
            if isinstance(target, str)
        ]
    for name in sorted(set(protocol.definitions) - used):
        yield pointer_join("$defs", name), f"`{name}` is not used by any method, error or message", "remove it or reference it"


JSONRPC_MEMBERS = ("jsonrpc", "id", "method", "params", "result", "error")
# Handshake fields: (key in the document, attribute of `Handshake`, in params or result, JSON types
# allowed). A version offer is a list of versions, or one integer (ACP offers its latest only).
HANDSHAKE_FIELDS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("versionOffer", "version_offer", "params", ("array", "integer")),
    ("experimentalOptIn", "experimental_opt_in", "params", ("boolean",)),
    ("optOutNotifications", "opt_out_notifications", "params", ("array",)),
    ("versionChosen", "version_chosen", "result", ()),
)


@rule("handshake", Scope.STRUCTURE)
def handshake(protocol: Protocol) -> Iterator[Issue]:
    """A declared handshake names a client request, an initialized notification, fields of the
    right type that exist in its params and result, and errors of the error table."""
    declared = protocol.handshake
    if declared is None:
        return
    base = "/x-protocol/handshake"
    method = protocol.method(declared.method)
    if method is None or method.direction is not Direction.CLIENT_TO_SERVER or not method.is_request:
        method = None  # its fields cannot be judged either
        yield (
            base + "/method",
            f"handshake method `{declared.method}` is not a client request of the method table",
            "add it to `x-methods` (clientToServer, request) or fix the name",
        )
    if declared.initialized is not None:
        initialized = protocol.method(declared.initialized)
        if initialized is None or initialized.direction is not Direction.CLIENT_TO_SERVER or initialized.is_request:
            yield (
                base + "/initialized",
                f"`{declared.initialized}` is not a client notification of the method table",
                "add it to `x-methods` (clientToServer, notification) or fix the name",
            )
    if method is not None:
        for key, attribute, side, expected in HANDSHAKE_FIELDS:
            pointer = getattr(declared, attribute)
            owner = method.params if side == "params" else method.result
            if pointer is None:
                continue
            schema = _field_schema(protocol, owner, pointer) if owner else None
            if schema is None:
                yield base + "/" + key, f"`{pointer}` is not a field of `{owner}`", f"point at a property of the `{declared.method}` {side}"
            elif expected and not any(_allows_type(protocol, schema, one) for one in expected):
                wanted = " or ".join(expected)
                yield base + "/" + key, f"`{pointer}` in `{owner}` is not of type {wanted}", f"point at a property of type {wanted}"
    for situation, error_name in declared.errors:
        if protocol.error(error_name) is None:
            yield (
                pointer_join("x-protocol", "handshake", "errors", situation),
                f"`{error_name}` is not in the error table",
                "add it to `x-errors` or fix the name",
            )


def _field_schema(protocol: Protocol, definition: str, pointer: str) -> Any:
    """The schema of the property a JSON pointer names inside values of `definition`, following
    `$ref`s between definitions; None when some step is not a declared property."""
    current = protocol.definitions.get(definition)
    schema: Any = None
    for part in (part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]):
        prop = current.property(part) if current else None
        if prop is None:
            return None
        schema = prop.schema
        target = nullable_ref(schema)  # `capabilities` may be an optional, nullable reference
        current = protocol.definitions.get(ref_name(target)) if target else None
    return schema


def _allows_type(protocol: Protocol, schema: Any, expected: str) -> bool:
    target = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(target, str) and ref_name(target) in protocol.definitions:
        schema = protocol.definitions[ref_name(target)].schema
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind is None:
        return True  # a schema without a plain type (anyOf, const...) is given the benefit of the doubt
    return expected == kind or (isinstance(kind, list) and expected in kind)


@rule("framing", Scope.STRUCTURE)
def framing(protocol: Protocol) -> Iterator[Issue]:
    """Wire messages agree with `x-protocol.framing`: `jsonrpc` present exactly when declared,
    notification extras allowed on every notification and distinct from JSON-RPC's own members."""
    declared = protocol.framing
    for index, extra in enumerate(declared.notification_extras):
        if extra in JSONRPC_MEMBERS:
            yield (
                pointer_join("x-protocol", "framing", "notificationExtras", index),
                f"`{extra}` is a JSON-RPC member, not an extra",
                "remove it from `notificationExtras`",
            )
    for union_name, kind in (
        ("ClientRequest", Kind.REQUEST),
        ("ClientNotification", Kind.NOTIFICATION),
        ("ServerRequest", Kind.REQUEST),
        ("ServerNotification", Kind.NOTIFICATION),
    ):
        union = protocol.definitions.get(union_name)
        for variant in union.variants if union else ():
            message = protocol.definitions.get(variant.definition)
            if message is None or message.kind is not DefinitionKind.OBJECT:
                continue
            has_jsonrpc = message.property("jsonrpc") is not None
            if has_jsonrpc != declared.jsonrpc_member:
                what = "carries `jsonrpc`, but the framing says messages do not" if has_jsonrpc else "lacks `jsonrpc`, which the framing requires"
                yield message.pointer, f"`{variant.definition}` {what}", "make the wire message and `x-protocol.framing.jsonrpcMember` agree"
            if kind is Kind.NOTIFICATION and message.closed:
                for extra in declared.notification_extras:
                    if extra not in JSONRPC_MEMBERS and message.property(extra) is None:
                        yield (
                            message.pointer,
                            f"`{variant.definition}` is closed and does not allow the framing extra `{extra}`",
                            f"add an optional `{extra}` property",
                        )


def lint(protocol: Protocol, scopes: frozenset[Scope] = frozenset(Scope)) -> Iterator[tuple[str, Issue]]:
    """(rule id, issue) of every rule whose scope is among `scopes` (by default all)."""
    for rule_id, func in RULES.items():
        if SCOPES[rule_id] in scopes:
            for issue in func(protocol):
                yield rule_id, issue
