from __future__ import annotations

import asyncio
import os
from pathlib import Path

from tests.conformance.helpers import FAKE, THREADLOOM, read_lines, replay
from tests.conformance.scripted_client import run_scenario
from threadloom_conformance.record import Recorder, RecordingTransport, infer_defaults
from threadloom_conformance.replay import ReplayOptions, replay_sync
from threadloom_conformance.transcript import load


def test_recorded_transcript_is_valid_and_ordered(v1_transcript: Path) -> None:
    transcript = load(v1_transcript)
    assert transcript.header["scenario"] == "v1 turns with an approval"
    assert transcript.protocol_version == 1
    assert transcript.initialize == {"clientInfo": {"name": "scripted", "version": "1.0"}}
    assert transcript.records[0].dir == "c2s" and transcript.records[0].method == "initialize"
    offsets = [r.t for r in transcript.records]
    assert offsets == sorted(offsets)
    directions = {r.dir for r in transcript.records}
    assert directions == {"c2s", "s2c"}
    # the approval reply of the client is recorded with the server's request id
    approval = next(r for r in transcript.records if r.method == "item/commandExecution/requestApproval")
    reply = next(r for r in transcript.records if r.dir == "c2s" and r.kind == "response")
    assert reply.msg["id"] == approval.msg["id"] and reply.msg["result"] == {"decision": "accept"}


def test_inferred_defaults(v1_transcript: Path) -> None:
    header = load(v1_transcript).header
    volatile_paths = {v["path"] for v in header["volatiles"]}
    assert {"$..threadId", "$..turnId", "$..itemId", "$..id", "$..cwd"} <= volatile_paths
    assert header["matchers"]["$..createdAt"] == "datetime"
    assert header["matchers"]["$..updatedAt"] == "datetime"
    assert header["matchers"]["$..aggregatedOutput"] == "type"
    assert header["matchers"]["$.result.serverInfo"] == "type"
    assert header["matchers"]["$.error.message"] == "type"
    assert header["ordering"] == {"barriers": ["response", "request"], "keepOrder": ["$.params.itemId", "$.params.item.id"]}


def test_recorded_v2_session_declares_its_version(v2_transcript: Path) -> None:
    transcript = load(v2_transcript)
    assert transcript.protocol_version == 2
    assert transcript.initialize["protocolVersions"] == [2]


def test_record_replaces_variable_values_with_placeholders(tmp_path: Path) -> None:
    out = tmp_path / "vars.jsonl"
    workspace = os.getcwd()
    argv = [*THREADLOOM, "record", "--out", str(out), "--var", f"workspace={workspace}", "--", *FAKE]
    asyncio.run(run_scenario(argv, texts=("run",)))
    text = out.read_text()
    assert "${workspace}" in text and f'"{workspace}"' not in text
    options = ReplayOptions(server=" ".join(FAKE), protocol_dir=Path(__file__).resolve().parents[2] / "protocol", variables={"workspace": workspace})
    assert replay_sync([load(out)], options)[0].failures == []


def test_recorder_api_and_negotiated_version(tmp_path: Path) -> None:
    recorder = Recorder(scenario="api")
    recorder.client_sent(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "c", "version": "1"}, "protocolVersions": [2, 1]}}
    )
    recorder.server_sent({"jsonrpc": "2.0", "id": 1, "result": {"serverInfo": {"name": "s", "version": "9"}, "protocolVersion": 2}})
    path = recorder.save(tmp_path / "api.jsonl")
    transcript = load(path)
    assert transcript.protocol_version == 2
    assert [r.line for r in transcript.records] == [2, 3]
    assert read_lines(path)[0]["matchers"] == {"$.result.serverInfo": "type"}


def test_infer_defaults_only_declares_what_was_seen() -> None:
    matchers, volatiles = infer_defaults([])
    assert (matchers, volatiles) == ({}, [])


def test_declined_approval_records_and_replays_green(tmp_path: Path) -> None:
    out = tmp_path / "decline.jsonl"
    asyncio.run(run_scenario([*THREADLOOM, "record", "--out", str(out), "--", *FAKE], texts=("run",), decision="decline"))
    records = load(out).records
    assert any(r.dir == "c2s" and r.msg.get("result") == {"decision": "decline"} for r in records)
    assert any(r.msg.get("params", {}).get("item", {}).get("status") == "declined" for r in records)
    assert replay(out).failures == []


class ListTransport:
    def __init__(self, incoming: list[bytes]) -> None:
        self.incoming = incoming
        self.written: list[bytes] = []
        self.closed = False

    async def read(self) -> bytes | None:
        return self.incoming.pop(0) if self.incoming else None

    async def write(self, data: bytes) -> None:
        self.written.append(data)

    async def close(self) -> None:
        self.closed = True


def test_recording_transport_taps_both_directions(tmp_path: Path) -> None:
    answer = b'{"jsonrpc": "2.0", "id": 1, "result": {"serverInfo": {"name": "s", "version": "1"}}}\n'
    inner = ListTransport([answer])
    recorder = Recorder(scenario="wrapped")
    transport = RecordingTransport(inner, recorder)
    request = b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "c", "version": "1"}}}\n'

    async def session() -> None:
        await transport.write(request)
        assert await transport.read() == answer
        assert await transport.read() is None
        await transport.close()

    asyncio.run(session())
    assert inner.written == [request] and inner.closed
    transcript = load(recorder.save(tmp_path / "wrapped.jsonl"))
    assert [(r.dir, r.kind) for r in transcript.records] == [("c2s", "request"), ("s2c", "response")]
