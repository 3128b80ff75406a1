"""The reference server and the real `codex app-server` side by side, driven by one driver.

Both get the same JSON lines: `initialize` (Codex ignores the members it does not know), then the
cheapest read both serve from memory, `thread/loaded/list`. Codex runs with a fresh CODEX_HOME and
no model (a read needs none). Targets (issue 13): throughput at least 2x Codex's, cold start no
worse than 1.2x Codex's.

Our server answers `initialize` before its full stack has loaded (threadloom_runtime.early), so the
cold start figure alone would hide where the load time went: next to it, "spawn -> first request
answered" (initialize, initialized, one `thread/loaded/list`) is measured the same way for both
servers, with no target.

The throughput figures use the lean synchronous driver (bench/sync_driver.py) for both servers and
for a raw orjson echo, the floor of that driver and the pipes; the three take turns, run after run,
and each figure is the median of its runs. One at a time, the driver polls its pipe for each answer
(no wake-up of an idle driver in every round trip, bench/NOTES.md "Request rates"); the same figure
with a blocking read is shown next to it, without a target.

Cold starts alternate between the two servers, so a burst of load from elsewhere on the machine
hits both alike; next to the wall time each start reports the CPU time the child had used when its
answer arrived, which leaves out the time spent waiting for a core (bench/NOTES.md, "Cold start").
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bench.harness import Figure
from bench.rpc_driver import ECHO_COMMAND, LIST_PARAMS, SERVER_COMMAND, TRIVIAL_METHOD, Peer, cold_start, compile_sources, cpu_ms
from bench.sync_driver import latency_p50_us, throughput

CODEX_RELEASE = "0.169.0"
TOTAL = 20_000
WINDOW = 64
LATENCY_COUNT = 2_000
BLOCKING_NOTE = "no target: each round trip also wakes an idle driver"


def codex_command(home: Path) -> list[str]:
    from threadloom_conformance.releases import codex_binary

    (home / "config.toml").write_text('model = "bench"\n', encoding="utf-8")
    return ["/usr/bin/env", f"CODEX_HOME={home}", f"HOME={home}", str(codex_binary(CODEX_RELEASE)), "app-server"]


Start = Callable[[Sequence[str]], Coroutine[Any, Any, tuple[float, float | None]]]


async def first_request_answered(command: Sequence[str]) -> tuple[float, float | None]:
    """Spawn to the answer of the first request after the handshake (initialize, initialized, one
    `thread/loaded/list`): wall ms, and the child's CPU ms at that answer (as `cold_start`)."""
    start = time.perf_counter()
    peer = await Peer.spawn(command)
    await peer.initialize()
    await peer.call(TRIVIAL_METHOD, LIST_PARAMS)
    elapsed = time.perf_counter() - start
    cpu = cpu_ms(peer.process.pid)
    await peer.close()
    return elapsed * 1000, cpu


def interleaved_cold_starts(commands: Sequence[Sequence[str]], runs: int, measure: Start = cold_start) -> list[tuple[float, float | None]]:
    """Median (wall ms, CPU ms) per command, starting them in turn `runs` times after one warm-up each."""
    for command in commands:
        asyncio.run(measure(command))
    samples: list[list[tuple[float, float | None]]] = [[] for _ in commands]
    for _ in range(runs):
        for command, taken in zip(commands, samples, strict=True):
            taken.append(asyncio.run(measure(command)))
    medians = []
    for taken in samples:
        cpus = [cpu for _, cpu in taken if cpu is not None]
        medians.append((statistics.median(wall for wall, _ in taken), statistics.median(cpus) if cpus else None))
    return medians


def interleaved_medians(commands: Sequence[Sequence[str]], runs: int, measure: Callable[[Sequence[str]], float]) -> list[float]:
    """Median per command of `measure`, the commands taking turns `runs` times: a machine that gets
    busier (or quieter) during the run affects every command alike."""
    samples: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for command, taken in zip(commands, samples, strict=True):
            taken.append(measure(command))
    return [statistics.median(taken) for taken in samples]


def run(runs: int) -> list[Figure]:
    runs = max(3, runs // 2)
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="bench-codex-") as tmp:
        codex = codex_command(Path(tmp))
        (ours_start, ours_cpu), (codex_start, codex_cpu) = interleaved_cold_starts([SERVER_COMMAND, codex], runs * 3)
        (ours_ready, ours_ready_cpu), (codex_ready, codex_ready_cpu) = interleaved_cold_starts([SERVER_COMMAND, codex], runs * 3, first_request_answered)
        # The throughput figures: the lean synchronous driver, the same for all three (bench/NOTES.md, "The driver").
        servers = [SERVER_COMMAND, codex, ECHO_COMMAND]
        ours_p50, codex_p50, echo_p50 = interleaved_medians(servers, runs * 2, lambda command: latency_p50_us(command, LATENCY_COUNT))
        ours_blocking, codex_blocking = interleaved_medians(servers[:2], runs, lambda command: latency_p50_us(command, LATENCY_COUNT, spin=False))
        ours_rps, codex_rps, echo_rps = interleaved_medians(servers, runs * 2, lambda command: throughput(command, TOTAL, WINDOW))
    codex_name = f"codex app-server {CODEX_RELEASE}"
    figures = [
        Figure("vs Codex: cold start, spawn -> initialize answer", ours_start, "ms", 1.2 * codex_start, False, codex_name, codex_start, "target: 1.2x Codex"),
    ]
    if ours_cpu is not None and codex_cpu is not None:
        figures.append(Figure("vs Codex: cold start, CPU used by the answer", ours_cpu, "ms", None, False, codex_name, codex_cpu, "all threads, at the answer"))
    ready_note = "initialize, initialized, thread/loaded/list; no target: shows the load time the early answer does not remove"
    figures.append(Figure("vs Codex: spawn -> first request answered", ours_ready, "ms", None, False, codex_name, codex_ready, ready_note))
    if ours_ready_cpu is not None and codex_ready_cpu is not None:
        figures.append(Figure("vs Codex: first request answered, CPU used", ours_ready_cpu, "ms", None, False, codex_name, codex_ready_cpu, "all threads"))
    return [
        *figures,
        Figure("vs Codex: one-at-a-time thread/loaded/list", 1e6 / ours_p50, "req/s", 2e6 / codex_p50, True, codex_name, 1e6 / codex_p50, "target: 2x Codex"),
        Figure("  round trip p50, ours", ours_p50, "us", None, False, "raw orjson echo", echo_p50, f"{codex_name}: {codex_p50:.1f} us"),
        Figure("  one-at-a-time, blocking read", 1e6 / ours_blocking, "req/s", None, True, codex_name, 1e6 / codex_blocking, BLOCKING_NOTE),
        Figure(f"vs Codex: thread/loaded/list, {WINDOW} in flight", ours_rps, "req/s", 2 * codex_rps, True, codex_name, codex_rps, "target: 2x Codex"),
        Figure(f"  {WINDOW} in flight, ours", ours_rps, "req/s", None, True, "raw orjson echo", echo_rps, "the floor of the driver and the pipes"),
    ]
