"""Persistence: resume of a 10,000-item thread, durable appends per second."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.harness import BIN, Figure, median_of, seconds
from bench.rpc_driver import Peer
from threadloom_server.store.bench import build, sample_item
from threadloom_server.store.sqlite_store import ThreadStore


def appends_per_second(path: Path, count: int) -> float:
    with ThreadStore(path) as store:
        store.create_thread(cwd="/work", thread_id="appends")
        store.append_turn("appends", turn_id="t")
        start = time.perf_counter()
        for number in range(count):
            store.save_item("appends", "t", {**sample_item(0, number), "id": f"a-{number}"})
        return count / (time.perf_counter() - start)


async def resume_over_stdio_ms(store: Path, runs: int) -> float:
    """`thread/resume` of the big thread through `threadloom serve`: store read, models, JSON, pipe."""
    peer = await Peer.spawn([str(BIN / "threadloom"), "serve", "--store", str(store), "--workspace", "/"])
    await peer.initialize()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = await peer.call("thread/resume", {"threadId": "big"})
        timings.append(time.perf_counter() - start)
        turns = answer["result"]["thread"]["turns"]  # type: ignore[index]
        assert sum(len(turn["items"]) for turn in turns) == 10_000
    await peer.close()
    return sorted(timings)[len(timings) // 2] * 1000


def run(runs: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.sqlite3"
        build(path, 10_000, 100, "NORMAL")

        def reopen_and_read() -> float:
            def action() -> None:
                with ThreadStore(path) as store:
                    store.get_thread("big", include_turns=True)

            return seconds(action)

        resume = median_of(runs, reopen_and_read) * 1000
        over_stdio = asyncio.run(resume_over_stdio_ms(path, runs))
        with ThreadStore(path) as store:
            warm = median_of(runs, lambda: seconds(lambda: store.get_thread("big", include_turns=True))) * 1000
        appends = appends_per_second(Path(folder) / "appends.sqlite3", 2000)
    return [
        Figure("thread/resume of a 10,000-item thread (server, stdio)", over_stdio, "ms", 150, False, "store read alone", resume),
        Figure("store: open + read 10,000-item history", resume, "ms", 150, False, "read from open store", warm),
        Figure("store: durable item appends (WAL, synchronous=NORMAL)", appends, "items/s"),
    ]
