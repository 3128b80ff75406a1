"""The engine against the reference server (`threadloom serve`): sessions recorded here replay green.

Transcripts are recorded into temporary folders here; the frozen corpus lives in conformance/transcripts/
(test_corpus.py replays it and runs every broken server variant against it).
"""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path

import pytest

from tests.conformance.helpers import THREADLOOM, read_lines, replay
from tests.conformance.scripted_client import ScriptedClient, run_scenario

SCRIPT = "think: hmm\nrun: echo hi\nplan: a; b\nwrite: notes.txt\nabc\nend:"
SERVE = [*THREADLOOM, "serve", "--store", ":memory:"]
REPLAY_SERVER = shlex.join([*SERVE, "--workspace"]) + " ${tmpdir}"


def record_reference(folder: Path, version: int) -> Path:
    workspace = folder / f"ws{version}"
    workspace.mkdir()
    out = folder / f"reference-v{version}.jsonl"
    argv = [*THREADLOOM, "record", "--out", str(out), "--var", f"tmpdir={workspace}", "--", *SERVE, "--workspace", str(workspace)]
    asyncio.run(run_scenario(argv, texts=("hello there", SCRIPT), version=version))
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("reference")
    return {version: record_reference(folder, version) for version in (1, 2)}


@pytest.mark.parametrize("version", [1, 2])
def test_reference_sessions_replay_green_over_stdio_and_http(reference: dict[int, Path], version: int) -> None:
    assert replay(reference[version], server=REPLAY_SERVER).failures == []
    http = shlex.join([*SERVE, "--http", "127.0.0.1:0", "--token"]) + " ${token} --workspace ${tmpdir}"
    assert replay(reference[version], server=http, transport="http").failures == []


def test_v1_recording_has_no_v2_items_and_v2_has_them(reference: dict[int, Path]) -> None:
    def item_types(path: Path) -> set[str]:
        return {line["msg"]["params"]["item"]["type"] for line in read_lines(path)[1:] if "item" in line["msg"].get("params", {})}

    assert item_types(reference[1]) == {"userMessage", "agentMessage", "commandExecution", "fileChange"}
    assert {"reasoning", "plan"} <= item_types(reference[2])


async def interrupt_and_lifecycle(argv: list[str], decision: str) -> None:
    """v2: a turn interrupted while it sleeps (30 s: a busy machine still interrupts it in time), a command
    approval answered with `decision`, fork, archive, list, resume, an error."""
    client = await ScriptedClient.start(argv, decision)
    await client.request("initialize", {"clientInfo": {"name": "scripted", "version": "1"}, "protocolVersions": [2]})
    await client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    thread = (await client.request("thread/start", {}))["result"]["thread"]["id"]
    await client.until("thread/started")
    sleepy = {"threadId": thread, "input": [{"type": "text", "text": "sleep: 30\nhello"}]}
    turn = (await client.request("turn/start", sleepy))["result"]["turn"]["id"]
    await client.until("turn/started")
    await client.request("turn/interrupt", {"threadId": thread, "turnId": turn})
    await client.until("turn/completed")
    await client.request("turn/start", {"threadId": thread, "input": [{"type": "text", "text": "run: echo x"}]})
    await client.until("turn/completed")
    await client.request("thread/fork", {"threadId": thread})
    await client.request("thread/archive", {"threadId": thread})
    await client.request("thread/list", {})
    await client.request("thread/resume", {"threadId": thread})
    await client.request("thread/read", {"threadId": "no-such-thread"})
    await client.close()


@pytest.mark.parametrize("decision", ["accept", "decline", "cancel"])
def test_interrupt_approvals_and_lifecycle_replay_green(tmp_path: Path, decision: str) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    out = tmp_path / f"lifecycle-{decision}.jsonl"
    argv = [*THREADLOOM, "record", "--out", str(out), "--var", f"tmpdir={workspace}", "--", *SERVE, "--workspace", str(workspace)]
    asyncio.run(interrupt_and_lifecycle(argv, decision))
    statuses = [line["msg"]["params"]["turn"]["status"] for line in read_lines(out)[1:] if line["msg"].get("method") == "turn/completed"]
    assert statuses == ["interrupted", "interrupted" if decision == "cancel" else "completed"]
    assert replay(out, server=REPLAY_SERVER).failures == []
