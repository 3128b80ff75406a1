"""The reference server and the real `codex app-server` side by side, driven by one driver.

Both get the same JSON lines: `initialize` (Codex ignores the members it does not know), then the
cheapest read both serve from memory, `thread/loaded/list`. Codex runs with a fresh CODEX_HOME and
no model (a read needs none). Targets (issue 13): throughput at least 2x Codex's, cold start no
worse than 1.2x Codex's.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from bench.harness import Figure, median_of
from bench.rpc_driver import SERVER_COMMAND, cold_start_ms, latency_p50_us, throughput

CODEX_RELEASE = "0.169.0"
TOTAL = 5_000
WINDOW = 64


def codex_command(home: Path) -> list[str]:
    from threadloom_conformance.releases import codex_binary

    (home / "config.toml").write_text('model = "bench"\n', encoding="utf-8")
    return ["/usr/bin/env", f"CODEX_HOME={home}", f"HOME={home}", str(codex_binary(CODEX_RELEASE)), "app-server"]


def run(runs: int) -> list[Figure]:
    runs = max(3, runs // 2)
    with tempfile.TemporaryDirectory(prefix="bench-codex-") as tmp:
        codex = codex_command(Path(tmp))
        ours_start = median_of(runs * 2, lambda: asyncio.run(cold_start_ms(SERVER_COMMAND)))
        codex_start = median_of(runs * 2, lambda: asyncio.run(cold_start_ms(codex)))
        ours_p50 = median_of(runs, lambda: asyncio.run(latency_p50_us(SERVER_COMMAND, 1000)))
        codex_p50 = median_of(runs, lambda: asyncio.run(latency_p50_us(codex, 1000)))
        ours_rps = median_of(runs, lambda: asyncio.run(throughput(SERVER_COMMAND, TOTAL, WINDOW)))
        codex_rps = median_of(runs, lambda: asyncio.run(throughput(codex, TOTAL, WINDOW)))
    codex_name = f"codex app-server {CODEX_RELEASE}"
    return [
        Figure("vs Codex: cold start, spawn -> initialize answer", ours_start, "ms", 1.2 * codex_start, False, codex_name, codex_start, "target: 1.2x Codex"),
        Figure("vs Codex: one-at-a-time thread/loaded/list", 1e6 / ours_p50, "req/s", 2e6 / codex_p50, True, codex_name, 1e6 / codex_p50, "target: 2x Codex"),
        Figure(f"vs Codex: thread/loaded/list, {WINDOW} in flight", ours_rps, "req/s", 2 * codex_rps, True, codex_name, codex_rps, "target: 2x Codex"),
    ]
