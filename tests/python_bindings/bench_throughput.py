"""Throughput of the generated client against the scripted server over real stdio pipes.

Run: `.venv/bin/python -m tests.python_bindings.bench_throughput` (not part of the test suite:
numbers depend on the machine). Prints requests per second for a window of requests in flight,
and the per-message cost of model validation plus serialisation.
"""

from __future__ import annotations

import asyncio
import time

import orjson

from tests.python_bindings.support import ROOT, SERVER_COMMAND
from threadloom_protocol.v2 import models as m
from threadloom_protocol.v2.client import spawn_server


async def requests_per_second(total: int, window: int) -> float:
    async with spawn_server(SERVER_COMMAND, cwd=str(ROOT)) as client:
        await client.initialize(m.InitializeParams(client_info=m.ClientInfo(name="bench", version="1")))
        thread = (await client.thread_start()).thread
        params = m.ThreadReadParams(thread_id=thread.id)
        semaphore = asyncio.Semaphore(window)

        async def one() -> None:
            async with semaphore:
                await client.thread_read(params)

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(total)))
        return total / (time.perf_counter() - start)


def model_round_trips_per_second(count: int) -> float:
    item = {"type": "commandExecution", "id": "i", "command": "ls -la", "cwd": "/w", "status": "completed", "aggregatedOutput": "x" * 700, "exitCode": 0}
    raw = orjson.dumps({"threadId": "t", "turnId": "u", "item": item})
    start = time.perf_counter()
    for _ in range(count):
        parsed = m.ItemCompletedParams.model_validate(orjson.loads(raw), by_alias=True, by_name=False)
        orjson.dumps(parsed.model_dump(by_alias=True, exclude_unset=True))
    return count / (time.perf_counter() - start)


def main() -> None:
    for window in (1, 32):
        print(f"thread/read over stdio, {window:>2} in flight: {asyncio.run(requests_per_second(5000, window)):,.0f} req/s")
    print(f"~1 KB item/completed params: orjson + validate + dump: {model_round_trips_per_second(20000):,.0f} msg/s")


if __name__ == "__main__":
    main()
