"""`vN/handshake.py`: what a server needs to answer the handshake, as plain data (no pydantic).

It holds the `PROTOCOL = ProtocolSpec(...)` the runtime follows (`methods.py` re-exports it) and the
handshake request's params and result as JSON Schema with every `$ref` inlined and annotations
(descriptions, `x-` keywords) left out. `threadloom_runtime.early` reads it to answer the handshake
while the models are still loading, so a server process answers its first message sooner.
"""

from __future__ import annotations

import pprint
from typing import Any

from threadloom.model import Protocol, ref_name
from threadloom.plugins.python.spec import protocol_spec_source

# Keywords that describe a value without constraining it: the early validator never needs them.
ANNOTATIONS = frozenset({"description", "title", "examples", "$comment", "default", "deprecated", "markdownDescription"})


class Recursive(Exception):
    """A schema that refers to itself cannot be inlined."""


def handshake_module(protocol: Protocol, banner: str) -> str:
    out = [banner, f'"""The handshake of protocol {protocol.label} as plain data: the spec the runtime follows, and the\n']
    out.append("handshake's params and result as JSON Schema with every `$ref` inlined (None where there is no\n")
    out.append("handshake or a schema refers to itself). No pydantic here: `threadloom_runtime.early` answers the\n")
    out.append('handshake from this module while the models are still loading."""\n\n')
    out.append("from __future__ import annotations\n\n")
    out.append("from typing import Any\n\n")
    out.append("from threadloom_runtime.spec import ErrorCodes, Framing, HandshakeSpec, Member, ProtocolSpec\n\n")
    out.append(f"VERSION = {protocol.version}\n\n")
    out.append("# What the runtime follows for this protocol: its handshake (if any), framing, error codes, limits.\n")
    out.append(f"PROTOCOL = {protocol_spec_source(protocol)}\n\n")
    params, result, experimental = _handshake_schemas(protocol)
    out.append(f"PARAMS_SCHEMA: dict[str, Any] | None = {_literal(params)}\n\n")
    out.append(f"RESULT_SCHEMA: dict[str, Any] | None = {_literal(result)}\n\n")
    out.append("# The handshake's own stability and the params members that need the experimental opt-in.\n")
    out.append(f"EXPERIMENTAL = {experimental[0]!r}\n")
    out.append(f"EXPERIMENTAL_FIELDS: tuple[str, ...] = {experimental[1]!r}\n")
    return "".join(out)


def _handshake_schemas(protocol: Protocol) -> tuple[Any, Any, tuple[bool, tuple[str, ...]]]:
    handshake = protocol.handshake
    method = protocol.method(handshake.method) if handshake is not None else None
    if method is None:
        return None, None, (False, ())
    params_def = protocol.definitions.get(method.params)
    fields = tuple(p.name for p in params_def.properties if p.experimental) if params_def else ()
    return _inlined(protocol, method.params), _inlined(protocol, method.result), (method.stability.value == "experimental", fields)


def _inlined(protocol: Protocol, definition: str | None) -> Any:
    if definition is None or definition not in protocol.definitions:
        return None
    try:
        return _inline(protocol, protocol.definitions[definition].schema, (definition,))
    except Recursive:
        return None


def _inline(protocol: Protocol, schema: Any, seen: tuple[str, ...]) -> Any:
    if isinstance(schema, list):
        return [_inline(protocol, item, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema and isinstance(schema["$ref"], str):
        name = ref_name(schema["$ref"])
        if name in seen or name not in protocol.definitions:
            raise Recursive(name)
        target = _inline(protocol, protocol.definitions[name].schema, (*seen, name))
        rest = _inline(protocol, {k: v for k, v in schema.items() if k != "$ref"}, seen)
        return {"allOf": [target, rest]} if rest else target
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ANNOTATIONS or key.startswith("x-"):
            continue
        if key == "properties" and isinstance(value, dict):  # member names to schemas: its keys are names, never keywords
            kept[key] = {name: _inline(protocol, member, seen) for name, member in value.items()}
        else:
            kept[key] = _inline(protocol, value, seen)
    return kept


def _literal(value: Any) -> str:
    """A Python literal of JSON data (true/false/null become True/False/None); ruff formats it."""
    return pprint.pformat(value, width=160, sort_dicts=False)
