"""Memory: server RSS at idle and with 1,000 loaded threads (baseline: a bare Python process)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import Figure
from bench.rpc_driver import SERVER_COMMAND, Peer

THREADS = 1000


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def measure() -> tuple[float, float]:
    peer = await Peer.spawn(SERVER_COMMAND)
    await peer.initialize()
    await peer.call("thread/loaded/list", {})
    idle = rss_mib(peer.process.pid)
    window = asyncio.Semaphore(32)  # stay under the server's in-flight limit (it answers ServerOverloaded beyond)

    async def start_thread() -> None:
        async with window:
            await peer.call("thread/start", {})

    await asyncio.gather(*(start_thread() for _ in range(THREADS)))
    loaded = await peer.call("thread/loaded/list", {})
    assert len(loaded["result"]["data"]) == THREADS  # type: ignore[index]
    busy = rss_mib(peer.process.pid)
    await peer.close()
    return idle, busy


def bare_python_mib() -> float:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    time.sleep(0.3)
    value = rss_mib(process.pid)
    process.kill()
    process.wait()
    return value


def run(runs: int) -> list[Figure]:
    idle, busy = asyncio.run(measure())
    bare = bare_python_mib()
    return [
        Figure("server RSS, idle after initialize", idle, "MiB", None, False, "bare python", bare),
        Figure(f"server RSS, {THREADS:,} loaded threads", busy, "MiB", None, False, "idle server", idle),
    ]
