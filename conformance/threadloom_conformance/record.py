"""Recording transcripts: a stdio proxy between a real client and a real server, and a tap API.

`threadloom record --out FILE -- SERVER_CMD ...` is itself a stdio server: a client starts it
as its server command; it starts SERVER_CMD, forwards every line both ways unchanged, and writes
the transcript when the client closes its end. Clients that are not stdio programs can use
`Recorder` in-process: call `client_sent(msg)` and `server_sent(msg)` for each message (or wrap the
client's transport in `RecordingTransport`), then `save()`.

Default matchers and volatiles are inferred from what was seen (see `infer_defaults`): ids
chosen by the server and working directories become volatiles; timestamps, durations, command
output, server versions and error messages get `datetime`/`integer`/`type` rules.

The header names the protocol the recorder is given (`--protocol PATH`: its name, and the version
the session negotiated through the protocol's handshake, else the newest one PATH holds, with its
release name). Without one, the in-process `Recorder` writes Threadloom's own protocol, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import stat
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from threadloom.jsonio import json_type
from threadloom.model import Handshake
from threadloom_conformance.paths import walk
from threadloom_conformance.protocol import LEGACY_HANDSHAKE, ProtocolDoc
from threadloom_conformance.transcript import Record, Transcript, make_header, save

DEFAULT_PROTOCOL = "threadloom-app-server"

TIMESTAMP_KEYS = ("createdAt", "updatedAt", "startedAt", "completedAt", "endedAt", "timestamp")
DURATION_KEYS = ("durationMs",)
FREE_TEXT = ("aggregatedOutput",)
PATH_KEYS = ("cwd",)
DEFAULT_KEEP_ORDER = ["$.params.itemId", "$.params.item.id"]
DEFAULT_BARRIERS = ["response", "request"]


@dataclass
class Recorder:
    """Collects messages in wire order with their time offsets; `transcript()` adds the header."""

    scenario: str = "recorded session"
    protocol: str | None = None
    protocol_version: int | None = None
    variables: dict[str, str] = field(default_factory=dict)  # name -> value; the value is written as ${name}
    records: list[Record] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    versions: list[ProtocolDoc] = field(default_factory=list)  # the protocol being recorded, oldest version first

    def client_sent(self, message: dict[str, Any]) -> None:
        self._add("c2s", message)

    def server_sent(self, message: dict[str, Any]) -> None:
        self._add("s2c", message)

    def _add(self, direction: str, message: dict[str, Any]) -> None:
        offset = int((time.monotonic() - self.started) * 1000)
        self.records.append(Record(line=len(self.records) + 2, dir=direction, t=offset, msg=_placeholders(message, self.variables)))

    def transcript(self, path: Path) -> Transcript:
        handshake = self._handshake()
        initialize = next((r for r in self.records if r.dir == "c2s" and r.method == handshake.method), None)
        params = dict(initialize.msg.get("params") or {}) if initialize else {}
        version, release = self._version(handshake, initialize)
        matchers, volatiles = infer_defaults(self.records)
        header = make_header(
            protocol=self.protocol or (self.versions[-1].name if self.versions else DEFAULT_PROTOCOL),
            version=version,
            scenario=self.scenario,
            initialize=params,
            matchers=matchers,
            volatiles=volatiles,
            ordering={"barriers": DEFAULT_BARRIERS, "keepOrder": DEFAULT_KEEP_ORDER},
            release=release,
            handshake_method=handshake.method,
        )
        return Transcript(path=path, header=header, records=list(self.records))

    def _handshake(self) -> Handshake:
        declared = self.versions[-1].handshake if self.versions else None
        return declared or LEGACY_HANDSHAKE

    def _version(self, handshake: Handshake, initialize: Record | None) -> tuple[int, str | None]:
        """The recorded client's version: as told, else negotiated in the handshake; a session that
        negotiated nothing speaks the newest version without negotiation (a client from before it
        existed), else the newest version; with no protocol given, 1."""
        if self.protocol_version is not None:
            chosen: Any = self.protocol_version
        else:
            chosen = _negotiated_version(self.records, initialize, handshake.version_chosen)
        if not self.versions:
            return (chosen if isinstance(chosen, int) else 1), None
        doc = next((d for d in self.versions if chosen is not None and d.named(str(chosen))), None)
        if doc is None:
            unnegotiated = [d for d in self.versions if d.handshake is None or d.handshake.version_offer is None]
            doc = (unnegotiated or self.versions)[-1]
        return doc.version, doc.release or None

    def save(self, path: Path | str) -> Path:
        return save(self.transcript(Path(path)))


class RecordingTransport:
    """Wraps a bytes transport (read/write/close, like the Python bindings' transports) and records through it.

    Lets a client library record in-process: give the client `RecordingTransport(inner, recorder)`
    instead of `inner`, run the scenario, then `recorder.save(path)`.
    """

    def __init__(self, inner: Any, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    async def read(self) -> bytes | None:
        data: bytes | None = await self.inner.read()
        if data:
            _tap(data, self.recorder.server_sent, None, "server")
        return data

    async def write(self, data: bytes) -> None:
        _tap(data, self.recorder.client_sent, None, "client")
        await self.inner.write(data)

    async def close(self) -> None:
        await self.inner.close()


def _negotiated_version(records: list[Record], initialize: Record | None, pointer: str | None) -> Any:
    """The version the server chose in its handshake answer (at `pointer` in the result), else None."""
    if initialize is None or pointer is None:
        return None
    answer = next((r for r in records if r.dir == "s2c" and r.kind == "response" and r.msg.get("id") == initialize.msg.get("id")), None)
    value: Any = (answer.msg.get("result") or {}) if answer else {}
    for token in pointer.lstrip("/").split("/"):
        value = value.get(token.replace("~1", "/").replace("~0", "~")) if isinstance(value, dict) else None
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def _placeholders(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, text in sorted(variables.items(), key=lambda item: -len(item[1])):
            if text:
                value = value.replace(text, "${" + name + "}")
        return value
    if isinstance(value, dict):
        return {k: _placeholders(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, variables) for v in value]
    return value


def infer_defaults(records: Sequence[Record]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Sensible matchers and volatiles from the server messages actually recorded."""
    keys: dict[str, set[str]] = {}
    for record in records:
        if record.dir != "s2c":
            continue
        for path, value in walk(record.msg):
            if path and isinstance(path[-1], str) and len(path) > 1:
                keys.setdefault(path[-1], set()).add(json_type(value))
    volatiles = [{"name": key, "path": f"$..{key}"} for key in sorted(keys) if (key == "id" or key.endswith("Id")) and "string" in keys[key]]
    volatiles += [{"name": key, "path": f"$..{key}"} for key in PATH_KEYS if key in keys]
    matchers: dict[str, Any] = {}
    for key in TIMESTAMP_KEYS:
        if key in keys:
            matchers[f"$..{key}"] = "datetime" if keys[key] <= {"integer", "string"} else "type"
    for key in DURATION_KEYS:
        if key in keys:
            matchers[f"$..{key}"] = "integer" if keys[key] == {"integer"} else "type"
    for key in FREE_TEXT:
        if key in keys:
            matchers[f"$..{key}"] = "type"
    if any(r.dir == "s2c" and r.method == "item/commandExecution/outputDelta" for r in records):
        matchers["item/commandExecution/outputDelta:$.params.delta"] = "type"
    if any(r.dir == "s2c" and isinstance((r.msg.get("result") or {}).get("serverInfo"), dict) for r in records if r.kind == "response"):
        matchers["$.result.serverInfo"] = "type"
    if any(r.dir == "s2c" and "error" in r.msg for r in records):
        matchers["$.error.message"] = "type"
    return matchers, volatiles


# -- the stdio proxy ---------------------------------------------------------------------------


async def proxy(
    command: Sequence[str],
    recorder: Recorder,
    client_in: asyncio.StreamReader,
    client_out: BinaryIO,
    log: BinaryIO | None = None,
) -> int:
    """Run SERVER_CMD, relay lines both ways while recording, until the client or the server ends.

    Returns the server's exit status.
    """
    server = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=16 * 1024 * 1024)
    assert server.stdin is not None and server.stdout is not None
    server_in, server_out = server.stdin, server.stdout

    async def client_to_server() -> None:
        while line := await client_in.readline():
            _tap(line, recorder.client_sent, log, "client")
            server_in.write(line)
            with contextlib.suppress(ConnectionError):
                await server_in.drain()
        with contextlib.suppress(ConnectionError):
            server_in.close()

    async def server_to_client() -> None:
        while line := await server_out.readline():
            _tap(line, recorder.server_sent, log, "server")
            client_out.write(line)
            client_out.flush()

    upstream = asyncio.create_task(client_to_server())
    await server_to_client()
    upstream.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await upstream
    return await server.wait()


def _tap(line: bytes, sink: Any, log: BinaryIO | None, side: str) -> None:
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        message = None
    if isinstance(message, dict):
        sink(message)
    elif log is not None and line.strip():
        log.write(f"threadloom record: not recorded (the {side} wrote a line that is not a JSON object)\n".encode())
        log.flush()


def run_record(
    command: Sequence[str],
    out: Path,
    scenario: str,
    protocol_version: int | None,
    variables: dict[str, str],
    versions: Sequence[ProtocolDoc] = (),
) -> int:
    """The `threadloom record` command: proxy on this process's stdin/stdout, then write `out`."""
    recorder = Recorder(scenario=scenario, protocol_version=protocol_version, variables=dict(variables), versions=list(versions))

    async def main() -> int:
        reader = asyncio.StreamReader(limit=16 * 1024 * 1024)
        feeding = await _feed_from_stdin(reader)
        try:
            return await proxy(command, recorder, reader, sys.stdout.buffer, sys.stderr.buffer)
        finally:
            if feeding is not None:
                feeding.cancel()

    status = asyncio.run(main())
    recorder.save(out)
    sys.stderr.write(f"threadloom record: wrote {out} ({len(recorder.records)} messages; server `{shlex.join(command)}` exited {status})\n")
    return status


async def _feed_from_stdin(reader: asyncio.StreamReader) -> asyncio.Task[None] | None:
    """Feed `reader` from this process's stdin. A pipe or socket goes through the event loop; a
    file or a character device (`< client.jsonl`, `< /dev/null`), which the loop refuses, is read
    line by line in a thread (the returned task)."""
    mode = os.fstat(sys.stdin.fileno()).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        return None

    async def pump() -> None:
        while line := await asyncio.to_thread(sys.stdin.buffer.readline):
            reader.feed_data(line)
        reader.feed_eof()

    return asyncio.create_task(pump())
