"""`threadloom validate`: check recorded wire messages against a protocol, by direction and method.

Input files are JSONL: either raw JSON-RPC messages one per line (a capture), or Threadloom
transcripts (line 1 a header with `threadloomTranscript`, then `{"dir": "c2s"|"s2c", "t", "msg"}`).
For raw captures the direction comes from the method table (requests, notifications) and from the
request a response answers (by id).

Every message is checked for its framing (`Protocol.framing`: the `"jsonrpc"` member, allowed
top-level members such as Codex's `emittedAtMs`), its method (known, sent in that direction,
request vs notification), and its payload: request params and notification params against the
method's params type, a result against the result type of the request with that id, an error
against the JSON-RPC error shape. Findings name file, line and a JSON pointer into the message.

Unions marked open (`x-open`) accept unknown variants and enum values; tagged unions are checked
against the variant their tag names, so errors point into that variant instead of saying "not
valid under any of the given schemas".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import extend

from threadloom.errors import InputError, pointer_join
from threadloom.model import Direction, Kind, Method, Protocol

TRANSCRIPT_MARKER = "threadloomTranscript"
TRANSCRIPT_DIRECTIONS = {"c2s": Direction.CLIENT_TO_SERVER, "s2c": Direction.SERVER_TO_CLIENT}
ARROW = {Direction.CLIENT_TO_SERVER: "client->server", Direction.SERVER_TO_CLIENT: "server->client"}
REQUEST_MEMBERS = frozenset({"jsonrpc", "id", "method", "params"})
NOTIFICATION_MEMBERS = frozenset({"jsonrpc", "method", "params"})
RESPONSE_MEMBERS = frozenset({"jsonrpc", "id", "result", "error"})
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
    "required": ["code", "message"],
}
# Extension methods outside the method table, by the format's convention (ACP: `_`-prefixed).
EXTENSION_PREFIXES = {"acp": "_"}


@dataclass(frozen=True, order=True)
class WireFinding:
    file: str
    line: int
    pointer: str  # into the message (`/params/sessionId`), "" for the whole message
    message: str
    method: str = ""
    direction: str = ""

    def render(self) -> str:
        where = f"{self.file}:{self.line}"
        what = " ".join(part for part in (self.direction, self.method) if part)
        return f"{where}: {what + ': ' if what else ''}{self.pointer or '/'}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "pointer": self.pointer, "message": self.message, "method": self.method, "direction": self.direction}


@dataclass(frozen=True)
class Recorded:
    """One message as recorded: where it is, and its direction when the recording says so."""

    file: str
    line: int
    message: Any
    direction: Direction | None


@dataclass
class Outcome:
    findings: list[WireFinding] = field(default_factory=list)
    checked: int = 0  # messages read
    extensions: int = 0  # extension-method messages accepted without a schema


# --- reading recordings ---------------------------------------------------------------------------


def read_recording(path: Path) -> tuple[list[Recorded], list[WireFinding], int | None]:
    """Messages of one file, lines that are not JSON (as findings), and a transcript's version."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, f"cannot read: {error}") from None
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise InputError(path, "empty file: expected JSONL messages or a Threadloom transcript")
    header = _transcript_header(lines[0][1])
    records: list[Recorded] = []
    bad: list[WireFinding] = []
    for number, line in lines[1:] if header is not None else lines:
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            bad.append(WireFinding(str(path), number, "", f"not JSON ({error.msg} at column {error.colno})"))
            continue
        records.append(_recorded(path, number, value, is_transcript=header is not None))
    version = header.get("protocolVersion") if header is not None else None
    return records, bad, version if isinstance(version, int) else None


def _transcript_header(line: str) -> dict[str, Any] | None:
    try:
        first = json.loads(line)
    except json.JSONDecodeError:
        return None
    return first if isinstance(first, dict) and TRANSCRIPT_MARKER in first else None


def _recorded(path: Path, number: int, value: Any, is_transcript: bool) -> Recorded:
    if not is_transcript:
        return Recorded(str(path), number, value, None)
    if not isinstance(value, dict) or value.get("dir") not in TRANSCRIPT_DIRECTIONS or "msg" not in value:
        raise InputError(f"{path}:{number}", 'not a transcript record: expected {"dir": "c2s"|"s2c", "t": ms, "msg": {...}}')
    return Recorded(str(path), number, value["msg"], TRANSCRIPT_DIRECTIONS[value["dir"]])


# --- schema validation ----------------------------------------------------------------------------


def _open_aware_validator() -> Any:
    """Draft 2020-12, with tagged unions checked against their tagged variant and `x-open` honoured."""
    base_one_of = Draft202012Validator.VALIDATORS["oneOf"]
    base_enum = Draft202012Validator.VALIDATORS["enum"]

    def one_of(validator: Any, options: list[Any], instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        tag = (schema.get("discriminator") or {}).get("propertyName")
        if not tag or not isinstance(instance, dict) or tag not in instance:
            yield from base_one_of(validator, options, instance, schema)
            return
        for option in options:
            target = validator._resolver.lookup(option["$ref"]).contents if isinstance(option, dict) and "$ref" in option else option
            if isinstance(target, dict) and target.get("properties", {}).get(tag, {}).get("const") == instance[tag]:
                yield from validator.descend(instance, option)
                return
        if not schema.get("x-open"):
            yield ValidationError(f"{tag} {instance[tag]!r} is not a variant of this union", validator="oneOf", path=[tag])

    def enum(validator: Any, values: list[Any], instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        if schema.get("x-open") and isinstance(instance, str):
            return
        yield from base_enum(validator, values, instance, schema)

    return extend(Draft202012Validator, {"oneOf": one_of, "enum": enum})  # type: ignore[no-untyped-call]


class Schemas:
    """One validator per definition, built once and reused for every message."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self._cls = _open_aware_validator()
        self._validators: dict[str, Any] = {}
        self._error_validator = Draft202012Validator(ERROR_SCHEMA)

    def validator(self, definition: str) -> Any:
        if definition not in self._validators:
            document = self.protocol.document
            schema = {"$defs": document.get("$defs", {}), "$ref": f"#/$defs/{definition}"}
            self._validators[definition] = self._cls(schema)
        return self._validators[definition]

    def errors(self, definition: str, instance: Any) -> list[tuple[str, str]]:
        return _pointed(self.validator(definition).iter_errors(instance))

    def error_object_errors(self, instance: Any) -> list[tuple[str, str]]:
        return _pointed(self._error_validator.iter_errors(instance))


def _pointed(errors: Iterable[ValidationError]) -> list[tuple[str, str]]:
    out = []
    for error in errors:
        best = best_match([error]) or error
        out.append((pointer_join(*best.absolute_path), _short(best.message)))
    return sorted(set(out))


def _short(message: str) -> str:
    return message if len(message) <= 300 else message[:300] + "..."


# --- checking messages --------------------------------------------------------------------------


class Checker:
    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.schemas = Schemas(protocol)
        self.methods = {m.name: m for m in protocol.methods}
        self.extension_prefix = EXTENSION_PREFIXES.get(protocol.format)
        # (direction of the request, id) -> method, for the responses still to come
        # (direction of the request or None when a raw capture cannot tell, id) -> method
        self.pending: dict[tuple[Direction | None, Any], str] = {}

    def check(self, recorded: Recorded, outcome: Outcome) -> None:
        """Judge one message; what it finds goes into `outcome`."""
        outcome.checked += 1
        message = recorded.message
        if not isinstance(message, dict):
            self._add(outcome, recorded, "", "a JSON-RPC message must be a JSON object")
            return
        self._check_framing(recorded, message, outcome)
        if "method" in message:
            self._check_call(recorded, message, outcome)
        elif "id" in message:
            self._check_response(recorded, message, outcome)
        else:
            self._add(outcome, recorded, "", "neither a request, a notification nor a response (no `method`, no `id`)")

    def _add(self, outcome: Outcome, recorded: Recorded, pointer: str, text: str, method: str = "", direction: Direction | None = None) -> None:
        arrow = ARROW[direction] if direction else (ARROW[recorded.direction] if recorded.direction else "")
        outcome.findings.append(WireFinding(recorded.file, recorded.line, pointer, text, method, arrow))

    def _check_framing(self, recorded: Recorded, message: dict[str, Any], outcome: Outcome) -> None:
        framing = self.protocol.framing
        if framing.jsonrpc_member and message.get("jsonrpc") != "2.0":
            self._add(outcome, recorded, "/jsonrpc", 'missing `"jsonrpc": "2.0"` (this protocol sends it on every message)')
        for member in sorted(set(message) - self._allowed_members(message)):
            self._add(outcome, recorded, pointer_join(member), f"unexpected top-level member `{member}`")
        request_id = message.get("id")
        null_error_id = "method" not in message and request_id is None  # JSON-RPC: an unparseable request
        if "id" in message and not null_error_id and (isinstance(request_id, bool) or not isinstance(request_id, str | int)):
            self._add(outcome, recorded, "/id", "an id must be a string or an integer")

    def _allowed_members(self, message: dict[str, Any]) -> frozenset[str]:
        if "method" not in message:
            return RESPONSE_MEMBERS
        if "id" in message:
            return REQUEST_MEMBERS
        return NOTIFICATION_MEMBERS | frozenset(self.protocol.framing.notification_extras)

    def _check_call(self, recorded: Recorded, message: dict[str, Any], outcome: Outcome) -> None:
        name = message["method"]
        is_request = "id" in message
        if not isinstance(name, str):
            self._add(outcome, recorded, "/method", "`method` must be a string")
            return
        method = self.methods.get(name)
        if method is None:
            if self.extension_prefix and name.startswith(self.extension_prefix):
                outcome.extensions += 1
                if is_request:
                    self.pending[(recorded.direction, message["id"])] = name
                return
            self._add(outcome, recorded, "/method", f"unknown method `{name}`", name)
            return
        direction = recorded.direction or method.direction
        if direction is not method.direction and not self._both_ways(method):
            self._add(outcome, recorded, "/method", f"`{name}` is sent {ARROW[method.direction]}, not {ARROW[direction]}", name, direction)
        if is_request != method.is_request:
            expected = "a request (with `id`)" if method.is_request else "a notification (without `id`)"
            self._add(outcome, recorded, "/id" if not method.is_request else "", f"`{name}` is {expected}", name, direction)
        if is_request:
            self.pending[(direction, message["id"])] = name
        for pointer, text in self._params_errors(method, message):
            self._add(outcome, recorded, "/params" + pointer, text, name, direction)

    def _params_errors(self, method: Method, message: dict[str, Any]) -> list[tuple[str, str]]:
        """JSON-RPC lets a sender omit `params`: fine when the params type takes null or `{}`."""
        if "params" in message:
            return self.schemas.errors(method.params, message["params"])
        as_empty = self.schemas.errors(method.params, {})
        return [] if not as_empty or not self.schemas.errors(method.params, None) else as_empty

    def _both_ways(self, method: Method) -> bool:
        """ACP's protocol-level methods (`x-side: protocol`, e.g. `$/cancel_request`) go both ways."""
        params = self.protocol.document.get("$defs", {}).get(method.params, {})
        return method.kind is Kind.NOTIFICATION and isinstance(params, dict) and params.get("x-side") == "protocol"

    def _check_response(self, recorded: Recorded, message: dict[str, Any], outcome: Outcome) -> None:
        answered = self._answered(recorded, message.get("id"))
        if ("result" in message) == ("error" in message):
            self._add(outcome, recorded, "", "a response carries exactly one of `result` and `error`")
            return
        if "error" in message:
            for pointer, text in self.schemas.error_object_errors(message["error"]):
                self._add(outcome, recorded, "/error" + pointer, text)
            return
        if answered is None:
            self._add(outcome, recorded, "/id", f"response to id {message.get('id')!r}, but no earlier request has that id")
            return
        _asked_by, name = answered
        method = self.methods.get(name)
        if method is None or method.result is None:
            outcome.extensions += 1  # the answer to an extension method: no schema
            return
        direction = Direction.SERVER_TO_CLIENT if method.direction is Direction.CLIENT_TO_SERVER else Direction.CLIENT_TO_SERVER
        for pointer, text in self.schemas.errors(method.result, message["result"]):
            self._add(outcome, recorded, "/result" + pointer, text, name, direction)

    def _answered(self, recorded: Recorded, request_id: Any) -> tuple[Direction | None, str] | None:
        """The request a response answers: the other side's request with that id."""
        if recorded.direction is not None:
            asked_by = Direction.SERVER_TO_CLIENT if recorded.direction is Direction.CLIENT_TO_SERVER else Direction.CLIENT_TO_SERVER
            name = self.pending.pop((asked_by, request_id), None)
            return (asked_by, name) if name else None
        for asked_by in (*Direction, None):  # a raw capture: whichever side asked with that id
            name = self.pending.pop((asked_by, request_id), None)
            if name:
                return asked_by, name
        return None


def validate_files(protocol: Protocol, files: list[Path]) -> Outcome:
    outcome = Outcome()
    for path in files:
        records, bad, _version = read_recording(path)
        outcome.findings += bad
        checker = Checker(protocol)  # request ids are per connection: one recording each
        for recorded in records:
            checker.check(recorded, outcome)
    outcome.findings.sort(key=lambda f: (f.file, f.line, f.pointer, f.message))
    return outcome


def transcript_version(files: list[Path]) -> int | None:
    """The protocol version the first transcript among the files declares, if any."""
    for path in files:
        _records, _bad, version = read_recording(path)
        if version is not None:
            return version
    return None


def choose_version(protocols: list[Protocol], wanted: int | None, source: Path) -> Protocol:
    if wanted is None:
        return protocols[0]
    for protocol in protocols:
        if protocol.version == wanted:
            return protocol
    have = ", ".join(str(p.version) for p in protocols)
    raise InputError(source, f"no protocol version {wanted} here (versions: {have})")
