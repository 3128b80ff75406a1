"""The `PROTOCOL = ProtocolSpec(...)` a generated version hands the runtime, from the model's
handshake, framing, transports and error table."""

from __future__ import annotations

from typing import Any

from threadloom.errors import InputError
from threadloom.model import Definition, Method, Protocol, ref_name

# handshake.errors situation -> ErrorCodes field
SITUATIONS = {
    "notInitialized": "not_initialized",
    "alreadyInitialized": "already_initialized",
    "unsupportedVersion": "unsupported_version",
    "experimentalRequired": "experimental_required",
}


def protocol_spec_source(protocol: Protocol) -> str:
    fields = [f"name={protocol.name!r}", f"version={protocol.version}"]
    if protocol.handshake is not None:
        fields.append(f"handshake={_handshake_source(protocol)}")
        codes = _error_codes(protocol)
        if codes:
            fields.append(f"error_codes=ErrorCodes({', '.join(f'{k}={v}' for k, v in codes.items())})")
    framing = protocol.framing
    if not framing.jsonrpc_member or framing.notification_extras:
        fields.append(f"framing=Framing(jsonrpc_member={framing.jsonrpc_member!r}, notification_extras={tuple(framing.notification_extras)!r})")
    limit = _max_message_bytes(protocol)
    if limit is not None:
        fields.append(f"max_message_bytes={limit}")
    return f"ProtocolSpec({', '.join(fields)})"


def _handshake_source(protocol: Protocol) -> str:
    handshake = protocol.handshake
    assert handshake is not None
    method = protocol.method(handshake.method)
    if method is None or not method.is_request:
        raise InputError(protocol.source, f"the handshake method {handshake.method!r} is not a request of the method table", "/x-protocol/handshake/method")
    fields = [f"method={handshake.method!r}"]
    if handshake.initialized:
        fields.append(f"initialized={handshake.initialized!r}")
    members = {
        "version_offer": (method.params, handshake.version_offer),
        "version_chosen": (method.result, handshake.version_chosen),
        "experimental_opt_in": (method.params, handshake.experimental_opt_in),
        "opt_out_notifications": (method.params, handshake.opt_out_notifications),
    }
    offer_since = 1
    for field, (definition, pointer) in members.items():
        if pointer is None or definition is None:
            continue
        path, since = member(protocol, definition, pointer)
        offer_since = since if field == "version_offer" else offer_since
        fields.append(f"{field}=Member({path!r}, since={since})")
    if offer_since > 1:
        fields.append(f"version_without_offer={offer_since - 1}")
    if handshake.version_offer and method.params and _schema_at(protocol, method.params, handshake.version_offer).get("type") == "integer":
        fields.append("version_offer_is_list=False")
    return f"HandshakeSpec({', '.join(fields)})"


def member(protocol: Protocol, definition: str, pointer: str) -> tuple[tuple[str, ...], int]:
    """A JSON pointer into `definition`: its keys, and the version that introduced its deepest part."""
    keys = tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:])
    since = 1
    current: Definition | None = protocol.definitions.get(definition)
    for key in keys:
        prop = current.property(key) if current is not None else None
        if prop is None:
            raise InputError(protocol.source, f"the handshake names {pointer!r}, which {definition} does not have", "/x-protocol/handshake")
        since = max(since, prop.since)
        refs = _refs(prop.schema)
        current = protocol.definitions.get(refs[0]) if refs else None
    return keys, since


def _schema_at(protocol: Protocol, definition: str, pointer: str) -> dict[str, Any]:
    """The schema of the member a pointer names (following `$ref`s), or {} when it is not an object's member."""
    current = protocol.definitions.get(definition)
    schema: Any = {}
    for key in pointer.split("/")[1:]:
        prop = current.property(key.replace("~1", "/").replace("~0", "~")) if current is not None else None
        if prop is None:
            return {}
        schema = prop.schema
        refs = _refs(schema)
        current = protocol.definitions.get(refs[0]) if refs else None
        if current is not None:
            schema = current.schema
    return schema if isinstance(schema, dict) else {}


def _refs(schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        return [ref_name(schema["$ref"])]
    return [ref for option in schema.get("anyOf", []) for ref in _refs(option)]


def _error_codes(protocol: Protocol) -> dict[str, int]:
    assert protocol.handshake is not None
    codes = {}
    for situation, name in protocol.handshake.errors:
        error = protocol.error(name)
        if situation in SITUATIONS and error is not None:
            codes[SITUATIONS[situation]] = error.code
    return codes


def _max_message_bytes(protocol: Protocol) -> int | None:
    stdio = protocol.transports.get("stdio") if isinstance(protocol.transports, dict) else None
    limit = stdio.get("maxMessageBytes") if isinstance(stdio, dict) else None
    return limit if isinstance(limit, int) and not isinstance(limit, bool) else None


def handshake_note(protocol: Protocol, method: Method) -> str:
    """What a handler's docstring says about the handshake's role in its method."""
    handshake = protocol.handshake
    if handshake is None:
        return ""
    if method.name == handshake.method:
        chosen = ""
        if handshake.version_chosen:
            chosen = f" The negotiated version is `ctx.protocol_version`; the runtime writes it at {handshake.version_chosen} when you leave it out."
        return f" The handshake: the runtime has already checked and negotiated it.{chosen}"
    if method.stability.value == "experimental" and handshake.experimental_opt_in:
        return f" Only reachable after the client opted in at `{handshake.method}` params {handshake.experimental_opt_in}."
    return ""
