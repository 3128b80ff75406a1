"""Benchmark: `threadloom diff` on two synthetic protocol documents of ~700 definitions each.

Run: `python -m bench.bench_diff` (or `python bench/bench_diff.py`). Prints the median time of
the diff itself (both documents already loaded) and of load + diff (what the CLI does).
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RUNS = 7
SHARED_TYPES = 240  # objects referenced from many payloads
ENUMS = 40
UNIONS = 20  # each with 4 variants taken from the shared objects
CLIENT_REQUESTS = 110  # each: envelope + params + result
SERVER_NOTIFICATIONS = 45  # each: envelope + params


def _obj(description: str, properties: dict[str, Any], required: list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties, "required": required, **extra}


def _field(index: int) -> dict[str, Any]:
    kinds: list[dict[str, Any]] = [
        {"type": "string", "minLength": 1},
        {"type": "integer", "minimum": 0},
        {"type": ["string", "null"]},
        {"type": "array", "items": {"type": "string"}},
        {"type": "boolean", "default": False},
    ]
    return {**kinds[index % len(kinds)], "description": f"Field {index}."}


def synthesise(version: int = 1) -> dict[str, Any]:
    """A valid protocol document with ~700 definitions and a realistic reference graph."""
    defs: dict[str, Any] = {"RequestId": {"type": ["string", "integer"], "description": "Request id."}}
    for e in range(ENUMS):
        defs[f"Enum{e}"] = {"type": "string", "description": f"Enum {e}.", "enum": [f"value{v}" for v in range(6)], "x-open": e % 2 == 0}
    for s in range(SHARED_TYPES):
        props = {"tag": {"const": f"shared{s}", "description": "Tag."}, **{f"field{f}": _field(s + f) for f in range(6)}}
        props["kind"] = {"$ref": f"#/$defs/Enum{s % ENUMS}"}
        if s >= 10:
            props["child"] = {"$ref": f"#/$defs/Shared{s // 2}"}
        defs[f"Shared{s}"] = _obj(f"Shared type {s}.", props, ["tag", "field0", "kind"])
    for u in range(UNIONS):
        variants = [f"Shared{(u * 4 + v) % SHARED_TYPES}" for v in range(4)]
        defs[f"Union{u}"] = {
            "description": f"Union {u}.",
            "oneOf": [{"$ref": f"#/$defs/{v}"} for v in variants],
            "discriminator": {"propertyName": "tag"},
            "x-open": u % 3 == 0,
        }
    methods, client_variants, server_variants = [], [], []
    for r in range(CLIENT_REQUESTS):
        name = f"area{r % 8}/request{r}"
        params, result, envelope = f"Request{r}Params", f"Request{r}Result", f"Request{r}Request"
        defs[params] = _obj(f"Params {r}.", {"id": {"type": "string", "description": "Id."}, "input": {"$ref": f"#/$defs/Shared{r % SHARED_TYPES}"}}, ["id"])
        result_props = {"item": {"$ref": f"#/$defs/Union{r % UNIONS}"}, "data": {"$ref": f"#/$defs/Shared{(r * 7) % SHARED_TYPES}"}}
        defs[result] = _obj(f"Result {r}.", result_props, ["item"])
        defs[envelope] = _envelope(name, params, True)
        methods.append(_method(name, "clientToServer", "request", params, result, r % 8))
        client_variants.append(envelope)
    for n in range(SERVER_NOTIFICATIONS):
        name = f"area{n % 8}/event{n}"
        params, envelope = f"Event{n}Params", f"Event{n}Notification"
        defs[params] = _obj(f"Event {n}.", {"payload": {"$ref": f"#/$defs/Union{n % UNIONS}"}, "seq": {"type": "integer", "description": "Seq."}}, ["payload"])
        defs[envelope] = _envelope(name, params, False)
        methods.append(_method(name, "serverToClient", "notification", params, None, n % 8))
        server_variants.append(envelope)
    defs["ClientRequest"] = _union("Client requests.", client_variants)
    defs["ServerNotification"] = _union("Server notifications.", server_variants)
    defs["ClientMessage"] = {"description": "Client messages.", "anyOf": [{"$ref": "#/$defs/ClientRequest"}]}
    defs["ServerMessage"] = {"description": "Server messages.", "anyOf": [{"$ref": "#/$defs/ServerNotification"}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Synthetic protocol",
        "x-protocol": {
            "name": "synthetic",
            "version": version,
            "messages": {"clientToServer": "#/$defs/ClientMessage", "serverToClient": "#/$defs/ServerMessage"},
        },
        "x-methods": methods,
        "x-errors": [{"code": -32002, "name": "NotInitialized", "description": "Not initialised."}],
        "anyOf": [{"$ref": "#/$defs/ClientMessage"}, {"$ref": "#/$defs/ServerMessage"}],
        "$defs": defs,
    }


def _envelope(method: str, params: str, request: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"jsonrpc": {"const": "2.0", "description": "Always 2.0."}, "method": {"const": method, "description": "Method."}}
    if request:
        props["id"] = {"$ref": "#/$defs/RequestId"}
    props["params"] = {"$ref": f"#/$defs/{params}"}
    return _obj(f"Wire message of {method}.", props, list(props), additionalProperties=False)


def _union(description: str, variants: list[str]) -> dict[str, Any]:
    return {"description": description, "oneOf": [{"$ref": f"#/$defs/{v}"} for v in variants], "discriminator": {"propertyName": "method"}, "x-open": False}


def _method(name: str, direction: str, kind: str, params: str, result: str | None, area: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"method": name, "direction": direction, "kind": kind, "params": f"#/$defs/{params}"}
    if result:
        entry.update(result=f"#/$defs/{result}", errors=["NotInitialized"])
    entry.update(since=1, stability="stable", area=f"area{area}", description=f"Method {name}.")
    return entry


def evolve(document: dict[str, Any]) -> dict[str, Any]:
    """The next version: a spread of compatible and breaking edits over the whole document."""
    new = copy.deepcopy(document)
    new["x-protocol"]["version"] = document["x-protocol"]["version"] + 1
    defs = new["$defs"]
    for s in range(0, SHARED_TYPES, 5):
        defs[f"Shared{s}"]["properties"][f"added{s}"] = {"type": "string", "description": "New.", "x-since": 2}
    for s in range(1, SHARED_TYPES, 17):
        defs[f"Shared{s}"]["required"].append("field1")
    for e in range(0, ENUMS, 4):
        defs[f"Enum{e}"]["enum"].append("valueNew")
    for r in range(0, CLIENT_REQUESTS, 9):
        defs[f"Request{r}Params"]["properties"]["id"]["minLength"] = 3
    defs["Renamed0"] = defs.pop("Shared238")
    for node in (d for d in defs.values() if isinstance(d, dict)):
        for prop in node.get("properties", {}).values():
            if prop.get("$ref") == "#/$defs/Shared238":
                prop["$ref"] = "#/$defs/Renamed0"
    return new


def _median_seconds(action: Any) -> float:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> int:
    from threadloom.diff import diff_protocols
    from threadloom.loader import load_protocol

    old_doc = synthesise()
    new_doc = evolve(old_doc)
    with tempfile.TemporaryDirectory() as folder:
        old_path, new_path = Path(folder) / "old.json", Path(folder) / "new.json"
        old_path.write_text(json.dumps(old_doc), encoding="utf-8")
        new_path.write_text(json.dumps(new_doc), encoding="utf-8")
        old, new = load_protocol(old_path), load_protocol(new_path)
        findings = diff_protocols(old, new)
        diff_only = _median_seconds(lambda: diff_protocols(old, new))
        end_to_end = _median_seconds(lambda: diff_protocols(load_protocol(old_path), load_protocol(new_path)))
    print(f"definitions: {len(old.definitions)} -> {len(new.definitions)}, methods: {len(old.methods)}, findings: {len(findings)}")
    print(f"diff (loaded documents), median of {RUNS}: {diff_only * 1000:.1f} ms")
    print(f"load both + diff, median of {RUNS}: {end_to_end * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
