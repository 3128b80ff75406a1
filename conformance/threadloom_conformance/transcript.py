"""Transcripts: load (validating every line, errors name file and line), inspect, save.

Format (README.md): JSONL; line 1 a header, then one record per message
`{"dir": "c2s"|"s2c", "t": ms, "msg": {...}}`. `transcript.schema.json` describes both, and the
corpus file `matchers.json`: rules declared once for every transcript in the folders under it
(what is volatile on a real server: ids, timestamps, paths, user agents, token counts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from threadloom_conformance.matching import Matcher, RuleError, parse_rules
from threadloom_conformance.paths import PathError, parse_path

SCHEMA_PATH = Path(__file__).with_name("transcript.schema.json")
FORMAT_VERSION = 1
DEFAULT_BARRIERS = ("response", "request")
CORPUS_FILE = "matchers.json"
DEFAULT_HANDSHAKE = "initialize"


class TranscriptError(Exception):
    """A transcript that cannot be used; `str()` is `file:line: message`."""

    def __init__(self, file: Path | str, line: int | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.message = message
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")


@dataclass(frozen=True)
class Record:
    line: int
    dir: str  # c2s | s2c
    t: int
    msg: dict[str, Any]

    @property
    def method(self) -> str | None:
        method = self.msg.get("method")
        return method if isinstance(method, str) else None

    @property
    def kind(self) -> str:
        """request, notification or response (a JSON-RPC response or error response)."""
        if self.method is None:
            return "response"
        return "request" if "id" in self.msg else "notification"


@dataclass
class Transcript:
    path: Path
    header: dict[str, Any]
    records: list[Record] = field(default_factory=list)
    corpus: dict[str, Any] = field(default_factory=dict)  # the nearest matchers.json, if any
    corpus_file: Path | None = None

    @property
    def protocol_version(self) -> int:
        return int(self.header["protocolVersion"])

    @property
    def protocol_identity(self) -> str:
        """How the recorded version is named in the protocol: its release, else its number."""
        return str(self.header.get("protocolRelease") or self.protocol_version)

    @property
    def handshake_method(self) -> str:
        return str(self.header.get("handshakeMethod", DEFAULT_HANDSHAKE))

    @property
    def expected_breaks(self) -> list[dict[str, Any]]:
        return list(self.header.get("expectedBreaks", []))

    @property
    def scenario(self) -> str:
        return str(self.header["scenario"])

    @property
    def initialize(self) -> dict[str, Any]:
        return dict(self.header.get("initialize", {}))

    def rules(self) -> dict[str, Any]:
        """Matching rules: the corpus file's, then the header's (which win for the same path)."""
        return {**self.corpus.get("matchers", {}), **self.header.get("matchers", {})}

    def matcher(self, defaults: dict[str, Any] | None = None) -> Matcher:
        """`defaults` (e.g. what the protocol's framing makes volatile) give way to the corpus and the header."""
        return Matcher(parse_rules({**(defaults or {}), **self.rules()}))

    @property
    def volatiles(self) -> list[dict[str, Any]]:
        return list(self.corpus.get("volatiles", [])) + list(self.header.get("volatiles", []))

    @property
    def barriers(self) -> tuple[str, ...]:
        """The header's, else the corpus file's, else the default."""
        return tuple(self.header.get("ordering", {}).get("barriers", self.corpus.get("barriers", DEFAULT_BARRIERS)))

    @property
    def keep_order(self) -> tuple[str, ...]:
        own = tuple(self.header.get("ordering", {}).get("keepOrder", ()))
        return own + tuple(p for p in self.corpus.get("keepOrder", ()) if p not in own)

    def request_methods(self) -> dict[Any, str]:
        """Recorded client request id -> method (to know which method a response answers)."""
        return {r.msg["id"]: r.method for r in self.records if r.dir == "c2s" and r.kind == "request" and r.method}


@cache
def _schema_validator(definition: str) -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"})


def find_corpus_file(transcript: Path) -> Path | None:
    """The nearest `matchers.json` in the transcript's folder or above it, up to the repository root."""
    for folder in transcript.resolve().parents:
        candidate = folder / CORPUS_FILE
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


@cache
def load_corpus_file(path: Path) -> dict[str, Any]:
    """Read and validate a corpus file; TranscriptError names it."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise TranscriptError(path, None, f"cannot read corpus file ({error})") from None
    except json.JSONDecodeError as error:
        raise TranscriptError(path, error.lineno, f"not JSON ({error.msg} at column {error.colno})") from None
    errors = sorted(_schema_validator("Corpus").iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        raise TranscriptError(path, None, f"invalid corpus file{' at /' + where if where else ''}: {errors[0].message}")
    try:
        parse_rules(value.get("matchers", {}))
        for declaration in value.get("volatiles", []):
            parse_path(declaration["path"])
    except (RuleError, PathError) as error:
        raise TranscriptError(path, None, str(error)) from None
    return dict(value)


def load(path: Path | str) -> Transcript:
    """Read and validate a transcript; raises TranscriptError with file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TranscriptError(path, None, f"cannot read transcript ({error})") from None
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise TranscriptError(path, None, "empty transcript (line 1 must be the header)")
    transcript = Transcript(path=path, header=_parse_line(path, *lines[0], _schema_validator("Header"), "header"))
    for number, line in lines[1:]:
        raw = _parse_line(path, number, line, _schema_validator("Record"), "record")
        transcript.records.append(Record(line=number, dir=raw["dir"], t=raw["t"], msg=raw["msg"]))
    transcript.corpus_file = find_corpus_file(path)
    if transcript.corpus_file is not None:
        transcript.corpus = load_corpus_file(transcript.corpus_file)
    _check_semantics(transcript)
    return transcript


def _parse_line(path: Path, number: int, line: str, validator: Draft202012Validator, what: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise TranscriptError(path, number, f"not JSON ({error.msg} at column {error.colno})") from None
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path)
        raise TranscriptError(path, number, f"invalid {what}{' at /' + where if where else ''}: {first.message}")
    return dict(value)


def _check_semantics(transcript: Transcript) -> None:
    path, header = transcript.path, transcript.header
    try:
        transcript.matcher()
    except RuleError as error:
        raise TranscriptError(path, 1, str(error)) from None
    for declaration in transcript.volatiles:
        try:
            parse_path(declaration["path"])
        except PathError as error:
            raise TranscriptError(path, 1, f"volatile {declaration['name']!r}: {error}") from None
    client_ids: set[Any] = set()
    server_ids: set[Any] = set()
    for record in transcript.records:
        _check_record(transcript, record, client_ids, server_ids)
    method = transcript.handshake_method
    initialize = next((r for r in transcript.records if r.dir == "c2s" and r.method == method), None)
    if initialize is not None and initialize.msg.get("params") != header["initialize"]:
        raise TranscriptError(path, initialize.line, f"the `{method}` params differ from the header's `initialize`")


def _check_record(transcript: Transcript, record: Record, client_ids: set[Any], server_ids: set[Any]) -> None:
    msg, path = record.msg, transcript.path
    if record.kind == "request":
        ids = client_ids if record.dir == "c2s" else server_ids
        if msg["id"] in ids:
            raise TranscriptError(path, record.line, f"request id {msg['id']!r} is used twice by the same side")
        ids.add(msg["id"])
    elif record.kind == "response":
        if "id" not in msg or ("result" in msg) == ("error" in msg):
            raise TranscriptError(path, record.line, "a message without `method` must be a response with `id` and exactly one of `result`/`error`")
        answered = server_ids if record.dir == "c2s" else client_ids
        if msg["id"] is not None and msg["id"] not in answered:
            side = "server" if record.dir == "c2s" else "client"
            raise TranscriptError(path, record.line, f"response to id {msg['id']!r}, but no earlier {side} request has that id")


def save(transcript: Transcript, path: Path | str | None = None) -> Path:
    """Write a transcript as JSONL (header first); returns the path written."""
    target = Path(path or transcript.path)
    lines = [json.dumps(transcript.header, ensure_ascii=False, sort_keys=False)]
    lines += [json.dumps({"dir": r.dir, "t": r.t, "msg": r.msg}, ensure_ascii=False) for r in transcript.records]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def make_header(
    protocol: str,
    version: int,
    scenario: str,
    initialize: dict[str, Any],
    matchers: dict[str, Any] | None = None,
    volatiles: list[dict[str, Any]] | None = None,
    ordering: dict[str, Any] | None = None,
    release: str | None = None,
    handshake_method: str = DEFAULT_HANDSHAKE,
) -> dict[str, Any]:
    header: dict[str, Any] = {"threadloomTranscript": FORMAT_VERSION, "protocol": protocol, "protocolVersion": version}
    if release and release != str(version):
        header["protocolRelease"] = release
    if handshake_method != DEFAULT_HANDSHAKE:
        header["handshakeMethod"] = handshake_method
    header |= {"scenario": scenario, "initialize": initialize, "matchers": matchers or {}, "volatiles": volatiles or []}
    if ordering is not None:
        header["ordering"] = ordering
    return header
