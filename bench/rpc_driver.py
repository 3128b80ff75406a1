"""An asyncio JSON-RPC driver over a child's stdio (cold starts, streaming, memory, the store), and
what every driver shares: the server and raw echo commands, the trivial request.

Request rates and round trips are measured by the lighter bench/sync_driver.py.
"""

from __future__ import annotations

import asyncio
import compileall
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from bench.harness import BIN, ROOT

# The baseline: a Python child that answers each JSON line with orjson and nothing else.
ECHO_SERVER = """
import sys, orjson
out = sys.stdout.buffer
for line in sys.stdin.buffer:
    message = orjson.loads(line)
    out.write(orjson.dumps({"jsonrpc": "2.0", "id": message.get("id"), "result": {"data": [], "nextCursor": None}}) + b"\\n")
    out.flush()
"""
ECHO_COMMAND = [sys.executable, "-c", ECHO_SERVER]
SERVER_COMMAND = [str(BIN / "threadloom-server"), "--store", ":memory:"]
# The trivial request: answered from memory (experimental, hence the opt-in below).
TRIVIAL_METHOD = "thread/loaded/list"
INITIALIZE = {"clientInfo": {"name": "bench", "version": "1"}, "protocolVersions": [2], "capabilities": {"experimentalApi": True}}
LIST_PARAMS: dict[str, object] = {}


class Peer:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[dict[str, object]]] = {}
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(cls, command: Sequence[str]) -> Peer:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, limit=2**24
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = orjson.loads(line)
            future = self.pending.pop(message.get("id"), None) if "id" in message and "method" not in message else None
            if future is not None and not future.done():
                future.set_result(message)

    def send(self, method: str, params: object) -> asyncio.Future[dict[str, object]]:
        self.next_id += 1
        future: asyncio.Future[dict[str, object]] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        assert self.process.stdin is not None
        self.process.stdin.write(orjson.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + b"\n")
        return future

    async def call(self, method: str, params: object) -> dict[str, object]:
        return await self.send(method, params)

    async def initialize(self) -> None:
        await self.call("initialize", INITIALIZE)
        assert self.process.stdin is not None
        self.process.stdin.write(b'{"jsonrpc":"2.0","method":"initialized","params":{}}\n')

    async def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.reader.cancel()


async def cold_start_ms(command: Sequence[str]) -> float:
    """Spawn to `initialize` response."""
    return (await cold_start(command))[0]


async def cold_start(command: Sequence[str]) -> tuple[float, float | None]:
    """Spawn to `initialize` response: wall milliseconds, and the CPU milliseconds the child (all its
    threads) had used when the answer arrived (None where /proc has no schedstat). The CPU figure
    leaves out time spent waiting for a core, which is most of what a busy machine adds to the wall time."""
    start = time.perf_counter()
    peer = await Peer.spawn(command)
    await peer.call("initialize", INITIALIZE)
    elapsed = time.perf_counter() - start
    cpu = cpu_ms(peer.process.pid)
    await peer.close()
    return elapsed * 1000, cpu


def cpu_ms(pid: int) -> float | None:
    """CPU time of a live process, summed over its threads, from /proc/PID/task/*/schedstat (ns)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        return sum(int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0]) for task in tasks) / 1e6
    except (OSError, ValueError, IndexError):
        return None


def compile_sources() -> None:
    """Write the bytecode of the repository's Python sources, as installing a wheel does.

    An editable install compiles nothing, and PYTHONDONTWRITEBYTECODE (often set in development
    shells) stops the server from caching it, so without this every cold start would compile
    the server, its bindings and its runtime from source (~60 ms on the bench machine)."""
    for folder in ("server", "bindings/python", "bindings/runtime/python", "generator", "conformance"):
        compileall.compile_dir(ROOT / folder, quiet=1, workers=1)
