"""/healthz latency while the server is under hostile load (issue 14), against the same run's idle server.

The load runs in its own process (`python -m bench.suite_hostile load URL TOKEN`): sessions streaming
large turns to fast readers, slow readers the agent must wait for, one turn of 250,000 words (the
kind of input that once froze every session), and requests posted mid-stream. The measuring process
asks GET /healthz one at a time meanwhile. The stated bound is a target, not a test assertion.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time

from bench.harness import BIN, Figure

HEALTH_P99_TARGET_MS = 250.0
PROBES = 300


def _words(count: int) -> str:
    return " ".join(f"w{index}" for index in range(count))


async def _session(url: str, token: str, count: int, pause: float) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=httpx.Timeout(60, read=None)) as http:
        session = (await http.post("/session")).json()["sessionId"]
        headers = {"Threadloom-Session": session}

        async def post(message: dict[str, object]) -> None:
            await http.post("/rpc", json=message, headers=headers)

        await post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "load", "version": "1"}, "protocolVersions": [2]}})
        await post({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        await post({"jsonrpc": "2.0", "id": 2, "method": "thread/start", "params": {"approvalPolicy": "never"}})
        seen = 0
        async with http.stream("GET", "/events", params={"session": session}) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data: "):
                    continue
                seen += 1
                message = json.loads(line[6:])
                if message.get("method") == "thread/started":
                    params = {"threadId": message["params"]["thread"]["id"], "input": [{"type": "text", "text": _words(count)}]}
                    await post({"jsonrpc": "2.0", "id": 3, "method": "turn/start", "params": params})
                elif message.get("method") == "turn/completed":
                    break
                if seen % 500 == 0:
                    await post({"jsonrpc": "2.0", "id": 100 + seen, "method": "thread/list", "params": {"limit": 5}})
                if pause and seen % 50 == 0:
                    await asyncio.sleep(pause)
        await http.request("DELETE", "/session", headers=headers)


async def _load(url: str, token: str) -> None:
    plan = [(20_000, 0.0)] * 6 + [(5_000, 0.02)] * 3 + [(250_000, 0.0)]
    await asyncio.gather(*(_session(url, token, count, pause) for count, pause in plan))


def _probe(url: str, count: int, while_running: subprocess.Popen[bytes] | None = None) -> list[float]:
    import httpx

    latencies: list[float] = []
    with httpx.Client(base_url=url, timeout=60) as http:
        while len(latencies) < count and (while_running is None or while_running.poll() is None):
            start = time.perf_counter()
            assert http.get("/healthz").status_code == 200
            latencies.append((time.perf_counter() - start) * 1000)
            time.sleep(0.005)
    return latencies


def _p(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def measure() -> tuple[list[float], list[float]]:
    command = [str(BIN / "threadloom"), "serve", "--store", ":memory:", "--http", "127.0.0.1:0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert server.stdout is not None
        listening = json.loads(server.stdout.readline())
        idle = _probe(listening["url"], PROBES)
        load = subprocess.Popen([sys.executable, "-m", "bench.suite_hostile", "load", listening["url"], listening["token"]])
        loaded = _probe(listening["url"], 100_000, while_running=load)
        load.wait(600)
        return idle, loaded
    finally:
        server.terminate()
        server.wait(10)


def run(runs: int) -> list[Figure]:
    results = [measure() for _ in range(max(1, runs // 4))]
    idle = [value for result in results for value in result[0]]
    loaded = [value for result in results for value in result[1]]
    note = f"{len(loaded)} probes during 10 sessions streaming ~380k events (one 250k-word turn, 3 slow readers)"
    return [
        Figure("/healthz p50 under hostile load", statistics.median(loaded), "ms", None, False, "idle p50", statistics.median(idle), note),
        Figure("/healthz p99 under hostile load", _p(loaded, 0.99), "ms", HEALTH_P99_TARGET_MS, False, "idle p99", _p(idle, 0.99), note),
        Figure("/healthz max under hostile load", max(loaded), "ms", None, False, "idle max", max(idle), note),
    ]


if __name__ == "__main__" and sys.argv[1:2] == ["load"]:
    asyncio.run(_load(sys.argv[2], sys.argv[3]))
