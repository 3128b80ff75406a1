"""The recipe the corpus is recorded with: the generated Python client over a RecordingTransport, against `threadloom serve`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conformance.helpers import THREADLOOM, replay
from tests.conformance.test_reference_server import REPLAY_SERVER
from threadloom_conformance.record import Recorder, RecordingTransport
from threadloom_conformance.transcript import load
from threadloom_protocol.v1 import models as m
from threadloom_protocol.v1.client import Client
from threadloom_runtime.transport import SubprocessTransport


async def record_with_generated_client(workspace: Path, out: Path) -> None:
    inner = await SubprocessTransport.spawn([*THREADLOOM, "serve", "--store", ":memory:", "--workspace", str(workspace)])
    recorder = Recorder(scenario="generated v1 client: a command approval", variables={"tmpdir": str(workspace)})
    done = asyncio.Event()
    async with Client(RecordingTransport(inner, recorder)) as client:

        async def approve(params: m.CommandExecutionRequestApprovalParams) -> m.ApprovalResult:
            return m.ApprovalResult(decision=m.ApprovalDecision.accept)

        client.handle_item_command_execution_request_approval(approve)
        client.on_turn_completed(lambda _: done.set())
        await client.initialize(m.InitializeParams(client_info=m.ClientInfo(name="threadloom-py", version="1")))
        await client.initialized()
        thread = (await client.thread_start()).thread
        text = m.TextUserInput(type="text", text="run: echo hi")
        await client.turn_start(m.TurnStartParams(thread_id=thread.id, input=[text]))
        await asyncio.wait_for(done.wait(), 20)
    recorder.save(out)


def test_generated_client_recording_replays_green(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    out = tmp_path / "generated-client.jsonl"
    asyncio.run(record_with_generated_client(workspace, out))
    transcript = load(out)
    assert transcript.protocol_version == 1
    assert [r.method for r in transcript.records if r.dir == "c2s" and r.kind != "response"] == ["initialize", "initialized", "thread/start", "turn/start"]
    assert any(r.dir == "c2s" and r.msg.get("result") == {"decision": "accept"} for r in transcript.records)
    assert replay(out, server=REPLAY_SERVER).failures == []
