"""Builds tests/diff/fixtures/<rule-id>/{previous,current}/protocol.json and expected.json.

Every fixture is a small change to one minimal base document (BASE). The expected findings are
written by hand from the compatibility table (docs: compatibility rules), not copied from the
engine's output. Run `python -m tests.diff.fixture_builder` after editing; a test checks that the
committed fixtures match what this module builds.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIXTURES_DIR = Path(__file__).parent / "fixtures"
Doc = dict[str, Any]
Mutation = Callable[[Doc], None]
# (rule, level, audience, role, old pointer, new pointer)
Expected = tuple[str, str, str, str, str, str]

OLD, NEW = "old-clients", "new-clients"


def _obj(description: str, properties: dict[str, Any], required: list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties, "required": required, **extra}


def _envelope(method: str, params: str, request: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"jsonrpc": {"const": "2.0", "description": "Always `2.0`."}}
    if request:
        props["id"] = {"$ref": "#/$defs/RequestId"}
    props["method"] = {"const": method, "description": f"Always `{method}`."}
    props["params"] = {"$ref": f"#/$defs/{params}"}
    return _obj(f"Wire message of `{method}`.", props, list(props), additionalProperties=False)


def _union(description: str, variants: list[str], discriminator: str) -> dict[str, Any]:
    return {
        "description": description,
        "oneOf": [{"$ref": f"#/$defs/{v}"} for v in variants],
        "discriminator": {"propertyName": discriminator},
        "x-open": False,
    }


def _method(name: str, direction: str, kind: str, params: str, result: str | None = None, errors: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"method": name, "direction": direction, "kind": kind, "params": f"#/$defs/{params}"}
    if result:
        entry["result"] = f"#/$defs/{result}"
    if kind == "request":
        entry["errors"] = errors or []
    entry.update({"since": 1, "stability": "stable", "area": extra.pop("area", "core"), "description": f"The `{name}` method."})
    entry.update(extra)
    return entry


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


BASE: Doc = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Fixture protocol",
    "description": "The smallest protocol that exercises every diff rule.",
    "x-protocol": {"name": "fixture", "version": 1, "messages": {"clientToServer": "#/$defs/ClientMessage", "serverToClient": "#/$defs/ServerMessage"}},
    "x-methods": [
        _method("ping", "clientToServer", "request", "PingParams", "PingResult", ["NotInitialized"]),
        _method("event", "serverToClient", "notification", "EventParams", area="events"),
        _method("ask", "serverToClient", "request", "AskParams", "AskResult", area="approval"),
    ],
    "x-errors": [
        {"code": -32002, "name": "NotInitialized", "description": "Request before initialisation."},
        {"code": -32001, "name": "Busy", "description": "Too busy.", "data": "#/$defs/BusyData"},
    ],
    "anyOf": [{"$ref": "#/$defs/ClientMessage"}, {"$ref": "#/$defs/ServerMessage"}],
    "$defs": {
        "ClientMessage": {"description": "Anything a client writes.", "anyOf": [{"$ref": "#/$defs/ClientRequest"}]},
        "ServerMessage": {"description": "Anything a server writes.", "anyOf": [{"$ref": "#/$defs/ServerRequest"}, {"$ref": "#/$defs/ServerNotification"}]},
        "ClientRequest": _union("Client requests.", ["PingRequest"], "method"),
        "ServerRequest": _union("Server requests.", ["AskRequest"], "method"),
        "ServerNotification": _union("Server notifications.", ["EventNotification"], "method"),
        "PingRequest": _envelope("ping", "PingParams", True),
        "AskRequest": _envelope("ask", "AskParams", True),
        "EventNotification": _envelope("event", "EventParams", False),
        "RequestId": {"type": ["string", "integer"], "description": "A request id."},
        "PingParams": _obj(
            "Params of `ping`.",
            {
                "name": _string("Who pings.", minLength=1),
                "count": {"type": "integer", "description": "How many.", "minimum": 1, "maximum": 10, "default": 5},
                "mode": {"$ref": "#/$defs/Mode"},
                "tags": {"type": "array", "description": "Labels.", "items": {"type": "string"}},
            },
            ["name"],
        ),
        "PingResult": _obj(
            "Result of `ping`.",
            {
                "message": _string("The answer."),
                "status": {"$ref": "#/$defs/Status"},
                "item": {"$ref": "#/$defs/Item"},
                "format": {"const": "plain", "description": "Always `plain`."},
            },
            ["message", "status", "item"],
        ),
        "Mode": {"type": "string", "description": "How to ping.", "enum": ["fast", "slow"], "x-open": False},
        "Status": {"type": "string", "description": "Server status.", "enum": ["ok", "degraded"], "x-open": False},
        "Item": {**_union("An item.", ["TextItem", "ImageItem"], "type")},
        "TextItem": _obj("Text.", {"type": {"const": "text", "description": "Always `text`."}, "text": _string("The text.")}, ["type", "text"]),
        "ImageItem": _obj("An image.", {"type": {"const": "image", "description": "Always `image`."}, "url": _string("Where.")}, ["type", "url"]),
        "EventParams": _obj(
            "Params of `event`.", {"id": _string("Event id."), "detail": {"type": ["string", "null"], "description": "Details."}}, ["id", "detail"]
        ),
        "AskParams": _obj("Params of `ask`.", {"question": _string("The question.")}, ["question"]),
        "AskResult": _obj("The client's answer.", {"answer": {"$ref": "#/$defs/Answer"}}, ["answer"]),
        "Answer": {"type": "string", "description": "Yes or no.", "enum": ["yes", "no"], "x-open": False},
        "BusyData": _obj("Data of Busy.", {"retryAfterMs": {"type": "integer", "description": "Wait this long."}}, ["retryAfterMs"]),
    },
}


def defs(doc: Doc) -> dict[str, Any]:
    result: dict[str, Any] = doc["$defs"]
    return result


def prop(doc: Doc, definition: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = defs(doc)[definition]["properties"][name]
    return result


def method(doc: Doc, name: str) -> dict[str, Any]:
    return next(m for m in doc["x-methods"] if m["method"] == name)


def _noop(doc: Doc) -> None:
    return None


class Fixture:
    def __init__(self, current: Mutation, expected: list[Expected], previous: Mutation = _noop) -> None:
        self.previous, self.current, self.expected = previous, current, expected


def _set(path: Callable[[Doc], dict[str, Any]], **values: Any) -> Mutation:
    def mutate(doc: Doc) -> None:
        path(doc).update(values)

    return mutate


def _all(*mutations: Mutation) -> Mutation:
    def mutate(doc: Doc) -> None:
        for mutation in mutations:
            mutation(doc)

    return mutate


def _rename_ask_params(doc: Doc) -> None:
    defs(doc)["QuestionParams"] = defs(doc).pop("AskParams")
    defs(doc)["AskRequest"]["properties"]["params"]["$ref"] = "#/$defs/QuestionParams"
    method(doc, "ask")["params"] = "#/$defs/QuestionParams"


def _add_methods(*entries: dict[str, Any]) -> Mutation:
    def mutate(doc: Doc) -> None:
        doc["x-methods"].extend(copy.deepcopy(list(entries)))

    return mutate


def _pong_result(doc: Doc) -> None:
    defs(doc)["PongResult"] = _obj("Result of `ping`.", {"message": _string("The answer.")}, ["message"])
    del defs(doc)["PingResult"]
    method(doc, "ping")["result"] = "#/$defs/PongResult"


def _add_variants(doc: Doc) -> None:
    video = {"type": {"const": "video", "description": "Always `video`."}, "url": _string("Where.")}
    defs(doc)["VideoItem"] = _obj("A video.", video, ["type", "url"], **{"x-since": 2})
    defs(doc)["AudioItem"] = _obj("A sound.", {"type": {"const": "audio", "description": "Always `audio`."}, "url": _string("Where.")}, ["type", "url"])
    defs(doc)["Item"]["oneOf"] += [{"$ref": "#/$defs/VideoItem"}, {"$ref": "#/$defs/AudioItem"}]


def _remove_image(doc: Doc) -> None:
    del defs(doc)["ImageItem"]
    defs(doc)["Item"]["oneOf"] = [{"$ref": "#/$defs/TextItem"}]


def _retag(doc: Doc) -> None:
    prop(doc, "TextItem", "type")["const"] = "plain"
    picture = defs(doc).pop("ImageItem")
    picture["properties"]["type"] = {"const": "picture", "description": "Always `picture`."}
    defs(doc)["PictureItem"] = picture
    defs(doc)["Item"]["oneOf"] = [{"$ref": "#/$defs/TextItem"}, {"$ref": "#/$defs/PictureItem"}]


def _drop(definition: str, name: str, from_required: bool = True) -> Mutation:
    def mutate(doc: Doc) -> None:
        del defs(doc)[definition]["properties"][name]
        if from_required and name in defs(doc)[definition]["required"]:
            defs(doc)[definition]["required"].remove(name)

    return mutate


def _require(definition: str, name: str, schema: dict[str, Any] | None = None) -> Mutation:
    def mutate(doc: Doc) -> None:
        if schema is not None:
            defs(doc)[definition]["properties"][name] = schema
        defs(doc)[definition]["required"].append(name)

    return mutate


def _unrequire(definition: str, name: str) -> Mutation:
    def mutate(doc: Doc) -> None:
        defs(doc)[definition]["required"].remove(name)

    return mutate


PP = "/$defs/PingParams"
PR = "/$defs/PingResult"
PING_REPLACES_LEGACY = {"replacement": "ping", "removeIn": 2}
DEPRECATED_TAGS = {"deprecated": True, "x-deprecated": {"replacement": None, "removeIn": 2}}

FIXTURES: dict[str, Fixture] = {
    "additional-properties-closed": Fixture(
        _set(lambda d: defs(d)["PingParams"], additionalProperties=False),
        [
            ("additional-properties-closed", "ERR", OLD, "read", PP, PP),
            ("additional-properties-closed", "INFO", NEW, "read", PP, PP),
        ],
    ),
    "additional-properties-opened": Fixture(
        _noop,
        [
            ("additional-properties-opened", "WARN", OLD, "written", PR, PR),
            ("additional-properties-opened", "INFO", NEW, "written", PR, PR),
        ],
        previous=_set(lambda d: defs(d)["PingResult"], additionalProperties=False),
    ),
    "const-changed": Fixture(
        _set(lambda d: prop(d, "PingResult", "format"), const="rich"),
        [
            ("const-changed", "ERR", OLD, "written", PR + "/properties/format", PR + "/properties/format"),
            ("const-changed", "ERR", NEW, "written", PR + "/properties/format", PR + "/properties/format"),
        ],
    ),
    "constraint-loosened": Fixture(
        _set(lambda d: prop(d, "PingParams", "count"), maximum=100),
        [
            ("constraint-loosened", "INFO", OLD, "read", PP + "/properties/count/maximum", PP + "/properties/count/maximum"),
            ("constraint-loosened", "ERR", NEW, "read", PP + "/properties/count/maximum", PP + "/properties/count/maximum"),
        ],
    ),
    "constraint-tightened": Fixture(
        _set(lambda d: prop(d, "PingParams", "name"), minLength=3),
        [
            ("constraint-tightened", "ERR", OLD, "read", PP + "/properties/name/minLength", PP + "/properties/name/minLength"),
            ("constraint-tightened", "INFO", NEW, "read", PP + "/properties/name/minLength", PP + "/properties/name/minLength"),
        ],
    ),
    "default-changed": Fixture(
        _set(lambda d: prop(d, "PingParams", "count"), default=10),
        [
            ("default-changed", "WARN", OLD, "read", PP + "/properties/count", PP + "/properties/count"),
            ("default-changed", "WARN", NEW, "read", PP + "/properties/count", PP + "/properties/count"),
        ],
    ),
    "definition-added": Fixture(
        _set(defs, Extra={"type": "string", "description": "Not used yet."}),
        [("definition-added", "INFO", NEW, "codegen", "/$defs", "/$defs/Extra")],
    ),
    "definition-removed": Fixture(
        _all(lambda d: defs(d).pop("BusyData"), lambda d: d["x-errors"][1].pop("data")),
        [("definition-removed", "INFO", NEW, "codegen", "/$defs/BusyData", "/$defs")],
    ),
    "definition-renamed": Fixture(
        _rename_ask_params,
        [("definition-renamed", "INFO", NEW, "codegen", "/$defs/AskParams", "/$defs/QuestionParams")],
    ),
    "description-changed": Fixture(
        _set(lambda d: defs(d)["PingParams"], description="What `ping` takes."),
        [("description-changed", "INFO", NEW, "codegen", PP, PP)],
    ),
    "enum-imposed": Fixture(
        _set(lambda d: prop(d, "PingParams", "tags")["items"], enum=["red", "blue"]),
        [
            ("enum-imposed", "ERR", OLD, "read", PP + "/properties/tags/items", PP + "/properties/tags/items"),
            ("enum-imposed", "INFO", NEW, "read", PP + "/properties/tags/items", PP + "/properties/tags/items"),
        ],
    ),
    "enum-value-added": Fixture(
        _all(_set(lambda d: defs(d)["Mode"], enum=["fast", "slow", "turbo"]), _set(lambda d: defs(d)["Status"], enum=["ok", "degraded", "down"])),
        [
            # Read by the server (Mode): old clients never send it; new clients may send it to an old server.
            ("enum-value-added", "INFO", OLD, "read", "/$defs/Mode/enum", "/$defs/Mode/enum/2"),
            ("enum-value-added", "WARN", NEW, "read", "/$defs/Mode/enum", "/$defs/Mode/enum/2"),
            # Written by the server (Status): old clients with a closed enum may reject it.
            ("enum-value-added", "WARN", OLD, "written", "/$defs/Status/enum", "/$defs/Status/enum/2"),
            ("enum-value-added", "INFO", NEW, "written", "/$defs/Status/enum", "/$defs/Status/enum/2"),
        ],
    ),
    "enum-value-removed": Fixture(
        _set(lambda d: defs(d)["Answer"], enum=["yes"]),
        [
            ("enum-value-removed", "ERR", OLD, "read", "/$defs/Answer/enum/1", "/$defs/Answer/enum"),
            ("enum-value-removed", "INFO", NEW, "read", "/$defs/Answer/enum/1", "/$defs/Answer/enum"),
        ],
    ),
    "error-code-changed": Fixture(
        _set(lambda d: d["x-errors"][0], code=-32003),
        [
            ("error-code-changed", "ERR", OLD, "method", "/x-errors/0/code", "/x-errors/0/code"),
            ("error-code-changed", "ERR", NEW, "method", "/x-errors/0/code", "/x-errors/0/code"),
        ],
    ),
    "error-removed": Fixture(
        lambda d: d["x-errors"].pop(1),
        [
            ("error-removed", "INFO", OLD, "method", "/x-errors/1", "/x-errors"),
            ("error-removed", "WARN", NEW, "method", "/x-errors/1", "/x-errors"),
        ],
    ),
    "method-added": Fixture(
        _add_methods(
            _method("echo", "clientToServer", "request", "PingParams", "PingResult", since=2),
            _method("legacy", "clientToServer", "request", "PingParams", "PingResult"),
        ),
        [
            ("method-added", "INFO", OLD, "method", "/x-methods", "/x-methods/3"),
            ("method-added", "INFO", NEW, "method", "/x-methods", "/x-methods/3"),
            ("method-added", "INFO", OLD, "method", "/x-methods", "/x-methods/4"),
            # Not marked `since` the new version: new clients may call it on an old server.
            ("method-added", "WARN", NEW, "method", "/x-methods", "/x-methods/4"),
        ],
    ),
    "method-deprecated": Fixture(
        _set(lambda d: method(d, "ping"), stability="deprecated", deprecated={"replacement": None, "removeIn": 3}),
        [("method-deprecated", "INFO", OLD, "codegen", "/x-methods/0", "/x-methods/0/deprecated")],
    ),
    "method-direction-changed": Fixture(
        _set(lambda d: method(d, "event"), direction="clientToServer"),
        [
            ("method-direction-changed", "ERR", OLD, "method", "/x-methods/1/direction", "/x-methods/1/direction"),
            ("method-direction-changed", "ERR", NEW, "method", "/x-methods/1/direction", "/x-methods/1/direction"),
        ],
    ),
    "method-error-added": Fixture(
        _set(lambda d: method(d, "ping"), errors=["NotInitialized", "Busy"]),
        [
            ("method-error-added", "WARN", OLD, "method", "/x-methods/0/errors", "/x-methods/0/errors/1"),
            ("method-error-added", "INFO", NEW, "method", "/x-methods/0/errors", "/x-methods/0/errors/1"),
        ],
    ),
    "method-error-removed": Fixture(
        _set(lambda d: method(d, "ping"), errors=[]),
        [
            ("method-error-removed", "INFO", OLD, "method", "/x-methods/0/errors/0", "/x-methods/0/errors"),
            ("method-error-removed", "INFO", NEW, "method", "/x-methods/0/errors/0", "/x-methods/0/errors"),
        ],
    ),
    "method-kind-changed": Fixture(
        _set(lambda d: method(d, "event"), kind="request", result="#/$defs/AskResult", errors=[]),
        [
            ("method-kind-changed", "ERR", OLD, "method", "/x-methods/1/kind", "/x-methods/1/kind"),
            ("method-kind-changed", "ERR", NEW, "method", "/x-methods/1/kind", "/x-methods/1/kind"),
        ],
    ),
    "method-payload-changed": Fixture(
        _pong_result,
        [
            ("method-payload-changed", "INFO", NEW, "codegen", "/x-methods/0/result", "/x-methods/0/result"),
            ("definition-added", "INFO", NEW, "codegen", "/$defs", "/$defs/PongResult"),
            ("definition-removed", "INFO", NEW, "codegen", PR, "/$defs"),
            # The two result types are compared structurally (paired through the method table).
            ("property-removed", "ERR", OLD, "written", PR + "/properties/status", "/$defs/PongResult"),
            ("property-removed", "WARN", NEW, "written", PR + "/properties/status", "/$defs/PongResult"),
            ("property-removed", "ERR", OLD, "written", PR + "/properties/item", "/$defs/PongResult"),
            ("property-removed", "WARN", NEW, "written", PR + "/properties/item", "/$defs/PongResult"),
            ("property-removed", "WARN", OLD, "written", PR + "/properties/format", "/$defs/PongResult"),
            ("property-removed", "WARN", NEW, "written", PR + "/properties/format", "/$defs/PongResult"),
        ],
    ),
    "method-removed": Fixture(
        _noop,
        [
            # Deprecated with removeIn 2: removing it in v2 is on schedule.
            ("method-removed", "INFO", OLD, "method", "/x-methods/3", "/x-methods"),
            ("method-removed", "ERR", OLD, "method", "/x-methods/4", "/x-methods"),
            # A removed server notification: old clients simply stop receiving it; old servers may still send it.
            ("method-removed", "INFO", OLD, "method", "/x-methods/5", "/x-methods"),
            ("method-removed", "WARN", NEW, "method", "/x-methods/5", "/x-methods"),
        ],
        previous=_add_methods(
            _method("legacy/ping", "clientToServer", "request", "PingParams", "PingResult", stability="deprecated", deprecated=PING_REPLACES_LEGACY),
            _method("old/ping", "clientToServer", "request", "PingParams", "PingResult"),
            _method("old/event", "serverToClient", "notification", "EventParams"),
        ),
    ),
    "method-stability-changed": Fixture(
        _set(lambda d: method(d, "ping"), stability="experimental"),
        [
            ("method-stability-changed", "WARN", OLD, "method", "/x-methods/0/stability", "/x-methods/0/stability"),
            ("method-stability-changed", "INFO", NEW, "method", "/x-methods/0/stability", "/x-methods/0/stability"),
        ],
    ),
    "openness-changed": Fixture(
        _all(_set(lambda d: defs(d)["Status"], **{"x-open": True}), _set(lambda d: defs(d)["Mode"], **{"x-open": True})),
        [
            # Written by the server (Status): old clients were built for a closed set.
            ("openness-changed", "WARN", OLD, "written", "/$defs/Status", "/$defs/Status/x-open"),
            ("openness-changed", "INFO", NEW, "written", "/$defs/Status", "/$defs/Status/x-open"),
            # Read by the server (Mode): an old server was built for a closed set.
            ("openness-changed", "INFO", OLD, "read", "/$defs/Mode", "/$defs/Mode/x-open"),
            ("openness-changed", "WARN", NEW, "read", "/$defs/Mode", "/$defs/Mode/x-open"),
        ],
    ),
    "property-became-optional": Fixture(
        _unrequire("EventParams", "detail"),
        [
            ("property-became-optional", "ERR", OLD, "written", "/$defs/EventParams/properties/detail", "/$defs/EventParams/properties/detail"),
            ("property-became-optional", "INFO", NEW, "written", "/$defs/EventParams/properties/detail", "/$defs/EventParams/properties/detail"),
        ],
    ),
    "property-became-required": Fixture(
        _require("PingParams", "count"),
        [
            ("property-became-required", "ERR", OLD, "read", PP + "/properties/count", PP + "/properties/count"),
            ("property-became-required", "INFO", NEW, "read", PP + "/properties/count", PP + "/properties/count"),
        ],
    ),
    "property-deprecated": Fixture(
        _set(lambda d: prop(d, "PingParams", "tags"), deprecated=True, **{"x-deprecated": {"replacement": None, "removeIn": 3}}),
        [("property-deprecated", "INFO", OLD, "codegen", PP + "/properties/tags", PP + "/properties/tags")],
    ),
    "property-optional-added": Fixture(
        _all(
            _set(lambda d: defs(d)["PingParams"]["properties"], verbose={"type": "boolean", "description": "Say more."}),
            _set(lambda d: defs(d)["PingRequest"]["properties"], meta={"type": "string", "description": "Tracing data."}),
        ),
        [
            ("property-optional-added", "INFO", OLD, "read", PP, PP + "/properties/verbose"),
            ("property-optional-added", "INFO", NEW, "read", PP, PP + "/properties/verbose"),
            # PingRequest is closed: an old server rejects the new member.
            ("property-optional-added", "INFO", OLD, "read", "/$defs/PingRequest", "/$defs/PingRequest/properties/meta"),
            ("property-optional-added", "ERR", NEW, "read", "/$defs/PingRequest", "/$defs/PingRequest/properties/meta"),
        ],
    ),
    "property-removed": Fixture(
        _all(_drop("PingResult", "format"), _drop("PingParams", "tags")),
        [
            ("property-removed", "WARN", OLD, "written", PR + "/properties/format", PR),
            ("property-removed", "WARN", NEW, "written", PR + "/properties/format", PR),
            # Deprecated with removeIn 2: removing it in v2 is on schedule.
            ("property-removed", "INFO", OLD, "read", PP + "/properties/tags", PP),
            ("property-removed", "INFO", NEW, "read", PP + "/properties/tags", PP),
        ],
        previous=_set(lambda d: prop(d, "PingParams", "tags"), **DEPRECATED_TAGS),
    ),
    "property-required-added": Fixture(
        _all(_require("AskResult", "comment", _string("Why.")), _require("EventParams", "seq", {"type": "integer", "description": "Sequence."})),
        [
            ("property-required-added", "ERR", OLD, "read", "/$defs/AskResult", "/$defs/AskResult/properties/comment"),
            ("property-required-added", "INFO", NEW, "read", "/$defs/AskResult", "/$defs/AskResult/properties/comment"),
            ("property-required-added", "INFO", OLD, "written", "/$defs/EventParams", "/$defs/EventParams/properties/seq"),
            ("property-required-added", "ERR", NEW, "written", "/$defs/EventParams", "/$defs/EventParams/properties/seq"),
        ],
    ),
    "server-notification-added": Fixture(
        _add_methods(
            _method("progress", "serverToClient", "notification", "EventParams", since=2),
            _method("legacy/progress", "serverToClient", "notification", "EventParams"),
        ),
        [
            ("server-notification-added", "INFO", OLD, "method", "/x-methods", "/x-methods/3"),
            ("server-notification-added", "INFO", NEW, "method", "/x-methods", "/x-methods/3"),
            ("server-notification-added", "WARN", OLD, "method", "/x-methods", "/x-methods/4"),
            ("server-notification-added", "INFO", NEW, "method", "/x-methods", "/x-methods/4"),
        ],
    ),
    "server-request-added": Fixture(
        _add_methods(
            _method("confirm", "serverToClient", "request", "AskParams", "AskResult", since=2),
            _method("confirm/old", "serverToClient", "request", "AskParams", "AskResult"),
        ),
        [
            ("server-request-added", "INFO", OLD, "method", "/x-methods", "/x-methods/3"),
            ("server-request-added", "INFO", NEW, "method", "/x-methods", "/x-methods/3"),
            ("server-request-added", "ERR", OLD, "method", "/x-methods", "/x-methods/4"),
            ("server-request-added", "INFO", NEW, "method", "/x-methods", "/x-methods/4"),
        ],
    ),
    "transport-changed": Fixture(
        _set(lambda d: d["x-protocol"], transports={"stdio": {"framing": "jsonl", "maxMessageBytes": 1024}, "http": {"post": "/v2/rpc"}}),
        [
            ("transport-changed", "WARN", OLD, "method", "/x-protocol/transports/stdio/maxMessageBytes", "/x-protocol/transports/stdio/maxMessageBytes"),
            ("transport-changed", "INFO", NEW, "method", "/x-protocol/transports/stdio/maxMessageBytes", "/x-protocol/transports/stdio/maxMessageBytes"),
            ("transport-changed", "ERR", OLD, "method", "/x-protocol/transports/http/post", "/x-protocol/transports/http/post"),
            ("transport-changed", "ERR", NEW, "method", "/x-protocol/transports/http/post", "/x-protocol/transports/http/post"),
            ("transport-changed", "ERR", OLD, "method", "/x-protocol/transports/ws", "/x-protocol/transports"),
        ],
        previous=_set(
            lambda d: d["x-protocol"],
            transports={"stdio": {"framing": "jsonl", "maxMessageBytes": 2048}, "http": {"post": "/rpc"}, "ws": {"path": "/ws"}},
        ),
    ),
    "type-changed": Fixture(
        _set(lambda d: prop(d, "PingParams", "name"), type="integer"),
        [
            ("type-changed", "ERR", OLD, "read", PP + "/properties/name", PP + "/properties/name"),
            ("type-changed", "ERR", NEW, "read", PP + "/properties/name", PP + "/properties/name"),
        ],
    ),
    "type-narrowed": Fixture(
        _set(lambda d: prop(d, "EventParams", "detail"), type="string"),
        [
            ("type-narrowed", "INFO", OLD, "written", "/$defs/EventParams/properties/detail", "/$defs/EventParams/properties/detail"),
            ("type-narrowed", "ERR", NEW, "written", "/$defs/EventParams/properties/detail", "/$defs/EventParams/properties/detail"),
        ],
    ),
    "type-widened": Fixture(
        _all(_set(lambda d: prop(d, "PingParams", "count"), type="number"), _set(lambda d: prop(d, "PingResult", "message"), type=["string", "null"])),
        [
            ("type-widened", "INFO", OLD, "read", PP + "/properties/count", PP + "/properties/count"),
            ("type-widened", "ERR", NEW, "read", PP + "/properties/count", PP + "/properties/count"),
            ("type-widened", "ERR", OLD, "written", PR + "/properties/message", PR + "/properties/message"),
            ("type-widened", "INFO", NEW, "written", PR + "/properties/message", PR + "/properties/message"),
        ],
    ),
    "union-discriminator-changed": Fixture(
        _set(lambda d: defs(d)["Item"], discriminator={"propertyName": "kind"}),
        [
            ("union-discriminator-changed", "ERR", OLD, "written", "/$defs/Item/discriminator", "/$defs/Item/discriminator"),
            ("union-discriminator-changed", "ERR", NEW, "written", "/$defs/Item/discriminator", "/$defs/Item/discriminator"),
        ],
    ),
    "union-variant-added": Fixture(
        _add_variants,
        [
            # VideoItem is `x-since` 2: servers send it only to clients that negotiated v2.
            ("union-variant-added", "INFO", OLD, "written", "/$defs/Item/oneOf", "/$defs/Item/oneOf/2"),
            ("union-variant-added", "INFO", NEW, "written", "/$defs/Item/oneOf", "/$defs/Item/oneOf/2"),
            # AudioItem is not gated and Item is closed: old clients reject it.
            ("union-variant-added", "ERR", OLD, "written", "/$defs/Item/oneOf", "/$defs/Item/oneOf/3"),
            ("union-variant-added", "INFO", NEW, "written", "/$defs/Item/oneOf", "/$defs/Item/oneOf/3"),
            ("definition-added", "INFO", NEW, "codegen", "/$defs", "/$defs/VideoItem"),
            ("definition-added", "INFO", NEW, "codegen", "/$defs", "/$defs/AudioItem"),
        ],
    ),
    "union-variant-removed": Fixture(
        _remove_image,
        [
            ("union-variant-removed", "INFO", OLD, "written", "/$defs/Item/oneOf/1", "/$defs/Item/oneOf"),
            ("union-variant-removed", "ERR", NEW, "written", "/$defs/Item/oneOf/1", "/$defs/Item/oneOf"),
            ("definition-removed", "INFO", NEW, "codegen", "/$defs/ImageItem", "/$defs"),
        ],
    ),
    "union-variant-tag-changed": Fixture(
        _retag,
        [
            # TextItem keeps its name: paired by definition.
            ("union-variant-tag-changed", "ERR", OLD, "written", "/$defs/Item/oneOf/0", "/$defs/Item/oneOf/0"),
            ("union-variant-tag-changed", "ERR", NEW, "written", "/$defs/Item/oneOf/0", "/$defs/Item/oneOf/0"),
            ("const-changed", "ERR", OLD, "written", "/$defs/TextItem/properties/type", "/$defs/TextItem/properties/type"),
            ("const-changed", "ERR", NEW, "written", "/$defs/TextItem/properties/type", "/$defs/TextItem/properties/type"),
            # ImageItem became PictureItem with another tag: paired by structure, then compared.
            ("union-variant-tag-changed", "ERR", OLD, "written", "/$defs/Item/oneOf/1", "/$defs/Item/oneOf/1"),
            ("union-variant-tag-changed", "ERR", NEW, "written", "/$defs/Item/oneOf/1", "/$defs/Item/oneOf/1"),
            ("const-changed", "ERR", OLD, "written", "/$defs/ImageItem/properties/type", "/$defs/PictureItem/properties/type"),
            ("const-changed", "ERR", NEW, "written", "/$defs/ImageItem/properties/type", "/$defs/PictureItem/properties/type"),
            ("description-changed", "INFO", NEW, "codegen", "/$defs/ImageItem/properties/type", "/$defs/PictureItem/properties/type"),
            ("definition-added", "INFO", NEW, "codegen", "/$defs", "/$defs/PictureItem"),
            ("definition-removed", "INFO", NEW, "codegen", "/$defs/ImageItem", "/$defs"),
        ],
    ),
}


def build(rule: str) -> tuple[Doc, Doc]:
    fixture = FIXTURES[rule]
    previous, current = copy.deepcopy(BASE), copy.deepcopy(BASE)
    fixture.previous(previous)
    fixture.current(current)
    current["x-protocol"]["version"] = 2
    return previous, current


def expected_json(rule: str) -> list[dict[str, str]]:
    keys = ("rule", "level", "audience", "role", "oldPointer", "newPointer")
    return [dict(zip(keys, row, strict=True)) for row in sorted(FIXTURES[rule].expected)]


def rendered_files() -> dict[Path, str]:
    """Every fixture file and its content."""
    files = {}
    for rule in FIXTURES:
        previous, current = build(rule)
        folder = FIXTURES_DIR / rule
        files[folder / "previous" / "protocol.json"] = json.dumps(previous, indent=2) + "\n"
        files[folder / "current" / "protocol.json"] = json.dumps(current, indent=2) + "\n"
        files[folder / "expected.json"] = json.dumps(expected_json(rule), indent=2) + "\n"
    return files


def write_files(files: dict[Path, str]) -> None:
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def main() -> None:
    write_files(rendered_files())


if __name__ == "__main__":
    main()
