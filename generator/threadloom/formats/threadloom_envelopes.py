"""Deriving the JSON-RPC envelopes an author need not write.

A document without `x-protocol.messages` is in the minimal authored form: the header, the method
table, the error table and the types. From the method table this module adds what a standard
validator needs to validate any wire message of the version, in exactly the shape a document that
spells them out uses (see protocol/v2/protocol.json):

- one wire message per method (`ThreadStartRequest`: `jsonrpc`, `id`, `method` const, `params`);
- the unions `ClientRequest`, `ClientNotification`, `ServerRequest`, `ServerNotification` (tagged
  by `method`; a union with no method is left out);
- `RequestId`, `ErrorObject`, `Response`, `ErrorResponse`;
- `ClientMessage`, `ServerMessage`, `x-protocol.messages` and the root `anyOf`.

`x-protocol.framing` is honoured: without the `jsonrpc` member no message carries it, and
notification extras become optional top-level members of notifications. A document that has
`x-protocol.messages` is returned unchanged (it spells everything out itself).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from threadloom.errors import InputError, pointer_join
from threadloom.findings import display_path

LOCAL_PREFIX = "#/$defs/"
UNIONS = (
    ("clientToServer", "request", "ClientRequest", "A request sent by the client. Tagged by `method`."),
    ("clientToServer", "notification", "ClientNotification", "A notification sent by the client. Tagged by `method`."),
    ("serverToClient", "request", "ServerRequest", "A request sent by the server. Tagged by `method`."),
    ("serverToClient", "notification", "ServerNotification", "A notification sent by the server. Tagged by `method`."),
)
SIDES = (
    ("clientToServer", "ClientMessage", "Any message a client writes: its requests and notifications, and its responses to server requests."),
    ("serverToClient", "ServerMessage", "Any message a server writes: its requests and notifications, and its responses to client requests."),
)
JSONRPC_MEMBER = {"const": "2.0", "description": "Always `2.0`."}


def is_minimal(document: dict[str, Any]) -> bool:
    header = document.get("x-protocol")
    return isinstance(header, dict) and "messages" not in header


def derive(document: dict[str, Any], file: Path) -> dict[str, Any]:
    """The document with its envelopes added (a new object), or the same object if it has them."""
    if not is_minimal(document):
        return document
    result = copy.deepcopy(document)
    header = result["x-protocol"]
    framing = header.get("framing", {})
    jsonrpc = bool(framing.get("jsonrpcMember", True))
    extras = list(framing.get("notificationExtras", []))
    methods = result.get("x-methods", [])
    derived: dict[str, Any] = {}
    names = _wire_names(methods)
    _refuse_duplicates(methods, names, file)
    unions_present: dict[str, list[str]] = {direction: [] for direction, _, _ in SIDES}
    for direction, kind, union, description in UNIONS:
        members = [index for index, entry in enumerate(methods) if entry["direction"] == direction and entry["kind"] == kind]
        if not members:
            continue
        for index in members:
            derived[names[index]] = _wire_message(methods[index], int(header["version"]), jsonrpc, extras)
        derived[union] = {
            "description": description,
            "oneOf": [{"$ref": LOCAL_PREFIX + names[index]} for index in members],
            "discriminator": {"propertyName": "method"},
            "x-open": False,
        }
        unions_present[direction].append(union)
    derived.update(_responses(jsonrpc))
    for direction, side, description in SIDES:
        parts = [*unions_present[direction], "Response", "ErrorResponse"]
        derived[side] = {"description": description, "anyOf": [{"$ref": LOCAL_PREFIX + part} for part in parts]}
    defs = result.setdefault("$defs", {})
    for name in derived:
        if name in defs:
            raise InputError(
                display_path(file),
                f"`{name}` is derived from the method table in the minimal form, and the document defines it too",
                pointer_join("$defs", name),
                "rename the definition, or spell out every envelope and `x-protocol.messages` yourself",
            )
    defs.update(derived)
    header["messages"] = {direction: LOCAL_PREFIX + side for direction, side, _ in SIDES}
    result["anyOf"] = [{"$ref": LOCAL_PREFIX + side} for _, side, _ in SIDES]
    return result


def _wire_names(methods: list[dict[str, Any]]) -> dict[int, str]:
    """`ThreadStartParams` -> `ThreadStartRequest`; a params type shared by several methods gives
    way to a name built from the method (`thread/start` -> `ThreadStartRequest`)."""
    stems = [_params_stem(entry) for entry in methods]
    names = {}
    for index, entry in enumerate(methods):
        stem = stems[index]
        if not stem or stems.count(stem) > 1:
            stem = _pascal(entry["method"])
        suffix = "Request" if entry["kind"] == "request" else "Notification"
        names[index] = stem if stem.endswith(suffix) else stem + suffix
    return names


def _refuse_duplicates(methods: list[dict[str, Any]], names: dict[int, str], file: Path) -> None:
    first: dict[str, int] = {}
    for index, name in names.items():
        earlier = first.get(name)
        if earlier is not None and _same_method(methods[earlier], methods[index]):
            raise InputError(
                display_path(file),
                f"method `{methods[index]['method']}` is listed twice (x-methods/{earlier} and x-methods/{index})",
                pointer_join("x-methods", index),
                "remove one of the two entries",
            )
        if earlier is not None:
            raise InputError(
                display_path(file),
                f"methods {earlier} and {index} would both get the wire message `{name}`",
                pointer_join("x-methods", index),
                "give one of them its own params type (`<Name>Params`), or spell out the envelopes yourself",
            )
        first[name] = index


def _same_method(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """The same name in the same direction (one name may go both ways: two methods)."""
    return bool(one["method"] == other["method"] and one["direction"] == other["direction"])


def _params_stem(entry: dict[str, Any]) -> str:
    params = str(entry.get("params", "")).rsplit("/", 1)[-1]
    return params[: -len("Params")] if params.endswith("Params") and len(params) > len("Params") else ""


def _pascal(method: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[/._-]", method) if part)


def _wire_message(entry: dict[str, Any], version: int, jsonrpc: bool, extras: list[str]) -> dict[str, Any]:
    method = entry["method"]
    is_request = entry["kind"] == "request"
    properties: dict[str, Any] = {}
    if jsonrpc:
        properties["jsonrpc"] = dict(JSONRPC_MEMBER)
    if is_request:
        properties["id"] = {"$ref": LOCAL_PREFIX + "RequestId"}
    properties["method"] = {"const": method, "description": f"Always `{method}`."}
    properties["params"] = {"$ref": entry["params"]}
    if not is_request:
        for extra in extras:
            properties[extra] = {"description": f"`{extra}`: a member every notification may carry (see `x-protocol.framing`)."}
    message: dict[str, Any] = {
        "type": "object",
        "description": f"Wire message of `{method}`.",
        "properties": properties,
        "required": [name for name in ("jsonrpc", "id", "method", "params") if name in properties],
        "additionalProperties": False,
    }
    since = int(entry.get("since", version))
    if since > 1:
        message["x-since"] = since  # the wire message appears with its method
    return message


def _responses(jsonrpc: bool) -> dict[str, Any]:
    member = {"jsonrpc": dict(JSONRPC_MEMBER)} if jsonrpc else {}
    required = ["jsonrpc"] if jsonrpc else []
    return {
        "RequestId": {
            "type": ["string", "integer"],
            "description": "A JSON-RPC request id, chosen by the sender of the request and echoed in its response.",
        },
        "ErrorObject": {
            "type": "object",
            "description": "The `error` member of a JSON-RPC error response. `code` identifies the error (see the error table); `data` is typed per code.",
            "properties": {
                "code": {"type": "integer", "description": "Error code: a standard JSON-RPC code or an application code from the error table."},
                "message": {"type": "string", "description": "A short human-readable description. Clients must match on `code`, never on this text."},
                "data": {"description": "Typed extra information; its schema is given per code in the error table."},
            },
            "required": ["code", "message"],
        },
        "Response": {
            "type": "object",
            "description": "A successful JSON-RPC response. Its `result` is validated against the result schema of the request's method.",
            "properties": {
                **member,
                "id": {"$ref": LOCAL_PREFIX + "RequestId"},
                "result": {"type": "object", "description": "The method's result; see the method table."},
            },
            "required": [*required, "id", "result"],
            "additionalProperties": False,
        },
        "ErrorResponse": {
            "type": "object",
            "description": "A JSON-RPC error response. `id` is null only when the request's id could not be read (for example a line that is not JSON).",
            "properties": {
                **member,
                "id": {"anyOf": [{"$ref": LOCAL_PREFIX + "RequestId"}, {"type": "null"}], "description": "The id of the failed request, or null."},
                "error": {"$ref": LOCAL_PREFIX + "ErrorObject"},
            },
            "required": [*required, "id", "error"],
            "additionalProperties": False,
        },
    }
