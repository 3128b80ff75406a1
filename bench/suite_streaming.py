"""Streaming: item/agentMessage/delta notifications received per second by the Python and TS clients.

The scripted agent streams one delta per word of a plain-text input, so a turn with N words yields
N deltas. Each client is compared with a raw reader of the same server's output (orjson lines in
Python, JSON.parse lines in Node) in the same run: the ratio is the client's own cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import tempfile
import time

import orjson

from bench.harness import BIN, ROOT, Figure, median_of
from bench.rpc_driver import Peer

WORDS = 30_000
TEXT = " ".join(f"w{i % 1000}" for i in range(WORDS))
TS_DIR = ROOT / "bindings" / "typescript"


def server_command(workspace: str) -> list[str]:
    return [str(BIN / "threadloom"), "serve", "--store", ":memory:", "--workspace", workspace]


async def python_client_rate(workspace: str) -> float:
    from threadloom_protocol.v2 import models as m
    from threadloom_protocol.v2.client import spawn_server

    async with spawn_server(server_command(workspace)) as client:
        await client.initialize(m.InitializeParams(client_info=m.ClientInfo(name="bench", version="1")))
        stamps: list[float] = []
        done = asyncio.Event()
        client.on_item_agent_message_delta(lambda _: stamps.append(time.perf_counter()))
        client.on_turn_completed(lambda _: done.set())
        thread = (await client.thread_start(m.ThreadStartParams())).thread
        await client.turn_start(m.TurnStartParams(thread_id=thread.id, input=[m.TextUserInput(type="text", text=TEXT)]))
        await done.wait()
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


async def raw_reader_rate(workspace: str) -> float:
    peer = await Peer.spawn(server_command(workspace))
    await peer.initialize()
    thread = (await peer.call("thread/start", {}))["result"]["thread"]  # type: ignore[index]
    assert peer.process.stdout is not None
    peer.reader.cancel()  # read the stream ourselves from here on
    with contextlib.suppress(asyncio.CancelledError):
        await peer.reader
    peer.send("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": TEXT}]})
    first = last = 0.0
    count = 0
    while line := await peer.process.stdout.readline():
        message = orjson.loads(line)
        method = message.get("method")
        if method == "item/agentMessage/delta":
            last = time.perf_counter()
            first = first or last
            count += 1
        elif method == "turn/completed":
            break
    await peer.close()
    return (count - 1) / (last - first)


def ts_rate(mode: str, workspace: str) -> float:
    out = subprocess.run(
        ["node", str(ROOT / "bench" / "ts_streaming.mjs"), mode, str(WORDS), *server_command(workspace)],
        capture_output=True,
        text=True,
        check=True,
        cwd=TS_DIR,
    )
    return float(out.stdout.strip().splitlines()[-1])


def run(runs: int) -> list[Figure]:
    runs = max(3, runs // 2)
    with tempfile.TemporaryDirectory() as workspace:
        python = median_of(runs, lambda: asyncio.run(python_client_rate(workspace)))
        raw = median_of(runs, lambda: asyncio.run(raw_reader_rate(workspace)))
        figures = [Figure("deltas received/s, Python client", python, "msg/s", 100_000, True, "raw orjson reader", raw)]
        if not (TS_DIR / "dist" / "src" / "index.js").exists():
            subprocess.run(["npm", "run", "build"], cwd=TS_DIR, check=True, capture_output=True)
        ts = median_of(runs, lambda: ts_rate("client", workspace))
        ts_raw = median_of(runs, lambda: ts_rate("raw", workspace))
        figures.append(Figure("deltas received/s, TS client", ts, "msg/s", 100_000, True, "raw JSON.parse reader", ts_raw))
    return figures
