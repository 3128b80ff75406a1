"""Request throughput, one-at-a-time latency (bench/sync_driver.py) and cold start of `threadloom serve` over stdio."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from bench.harness import Figure, median_of, seconds
from bench.rpc_driver import ECHO_COMMAND, SERVER_COMMAND, cold_start_ms
from bench.sync_driver import latency_p50_us, throughput

TOTAL = 20_000
WINDOW = 64


def run(runs: int) -> list[Figure]:
    runs = max(3, runs // 2)
    server_rps = median_of(runs, lambda: throughput(SERVER_COMMAND, TOTAL, WINDOW))
    echo_rps = median_of(runs, lambda: throughput(ECHO_COMMAND, TOTAL, WINDOW))
    store_rps = median_of(runs, lambda: throughput(SERVER_COMMAND, TOTAL, WINDOW, "thread/list", {"limit": 1}))
    server_p50 = median_of(runs, lambda: latency_p50_us(SERVER_COMMAND, 2000))
    echo_p50 = median_of(runs, lambda: latency_p50_us(ECHO_COMMAND, 2000))
    start = median_of(runs * 2, lambda: asyncio.run(cold_start_ms(SERVER_COMMAND)))
    bare = median_of(runs * 2, lambda: seconds(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True)) * 1000)
    return [
        Figure(f"stdio thread/loaded/list, {WINDOW} in flight", server_rps, "req/s", 30_000, True, "raw orjson echo", echo_rps),
        Figure("  ratio to raw echo (target >= 0.2)", server_rps / echo_rps, "x", 0.2, True),
        Figure(f"stdio thread/list (empty store), {WINDOW} in flight", store_rps, "req/s", None, True, "raw orjson echo", echo_rps),
        Figure("stdio one-at-a-time round trip p50", server_p50, "us", 1.5 * echo_p50, False, "raw orjson echo", echo_p50, "target: 1.5x echo"),
        Figure("cold start: spawn -> initialize response", start, "ms", 120, False, "python -c pass", bare),
    ]
