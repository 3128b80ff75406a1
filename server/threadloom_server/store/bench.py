"""Measure resume of a big thread: `python -m threadloom_server.store.bench [--items N] [--turns T]`.

Builds a file store with one thread of N mixed items over T turns, then times (a) opening the store
and reading the full history, as `thread/resume` does after a restart, and (b) reading it again
from the open store. Prints the median and worst of several runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from threadloom_server.store.sqlite_store import Synchronous, ThreadStore


def sample_item(turn: int, number: int) -> dict[str, Any]:
    item_id = f"item-{turn}-{number}"
    kinds: list[dict[str, Any]] = [
        {"type": "userMessage", "id": item_id, "content": [{"type": "text", "text": f"please do step {number}"}]},
        {"type": "agentMessage", "id": item_id, "text": "Sure, doing it now. " * 8},
        {
            "type": "commandExecution",
            "id": item_id,
            "command": "pytest -q tests/",
            "cwd": "/work/project",
            "status": "completed",
            "aggregatedOutput": "." * 60 + "\n12 passed in 0.31s\n",
            "exitCode": 0,
            "durationMs": 310,
        },
        {
            "type": "fileChange",
            "id": item_id,
            "changes": [{"path": "src/app.py", "kind": "update", "diff": "--- a/src/app.py\n+++ b/src/app.py\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n d\n"}],
            "status": "completed",
        },
        {"type": "reasoning", "id": item_id, "summary": ["Considering the failing test and the parser."]},
        {"type": "plan", "id": item_id, "steps": [{"step": "read", "status": "completed"}, {"step": "fix", "status": "pending"}]},
    ]
    return kinds[number % len(kinds)]


def build(path: Path, items: int, turns: int, synchronous: Synchronous) -> float:
    started = time.perf_counter()
    per_turn = items // turns
    with ThreadStore(path, synchronous=synchronous) as store:
        store.create_thread(cwd="/work/project", thread_id="big")
        for turn in range(turns):
            turn_id = f"turn-{turn}"
            store.append_turn("big", turn_id=turn_id)
            # One transaction per item, as the server stores them while a turn runs.
            for number in range(per_turn):
                store.save_item("big", turn_id, sample_item(turn, number))
            store.update_turn("big", turn_id, status="completed")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--synchronous", choices=["NORMAL", "FULL"], default="NORMAL")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "threads.sqlite3"
        build_seconds = build(path, options.items, options.turns, options.synchronous)
        size = path.stat().st_size
        cold: list[float] = []
        warm: list[float] = []
        for _ in range(options.runs):
            started = time.perf_counter()
            with ThreadStore(path) as store:
                thread = store.get_thread("big", include_turns=True)
                cold.append(time.perf_counter() - started)
                started = time.perf_counter()
                store.get_thread("big", include_turns=True)
                warm.append(time.perf_counter() - started)
        count = sum(len(turn["items"]) for turn in thread["turns"])
    per_item_us = build_seconds / count * 1e6
    print(f"built {count} items in {options.turns} turns, one transaction per item, synchronous={options.synchronous}:")
    print(f"  {build_seconds:.2f} s ({per_item_us:.0f} us per item)")
    print(f"store file {size / 1e6:.1f} MB")
    print(f"open + resume (full history): median {statistics.median(cold) * 1000:.1f} ms, worst {max(cold) * 1000:.1f} ms")
    print(f"resume from an open store:    median {statistics.median(warm) * 1000:.1f} ms, worst {max(warm) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
