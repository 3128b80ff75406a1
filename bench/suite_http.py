"""HTTP + SSE: requests per second and request -> response-event latency with 50 concurrent sessions.

The load comes from Node (bench/ts_http_load.mjs): 50 TypeScript clients over HttpSseTransport, in
their own process, so client and server each get a core. Baseline in the same run: GET /healthz
with the same concurrency (the HTTP stack's floor: no JSON-RPC, no event stream).
"""

from __future__ import annotations

import json
import statistics
import subprocess

from bench.harness import BIN, ROOT, Figure

SESSIONS = 50
REQUESTS_PER_SESSION = 100
TS_DIR = ROOT / "bindings" / "typescript"


def measure() -> dict[str, float]:
    server = subprocess.Popen(
        [str(BIN / "threadloom"), "serve", "--store", ":memory:", "--http", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert server.stdout is not None
        listening = json.loads(server.stdout.readline())
        load = subprocess.run(
            ["node", str(ROOT / "bench" / "ts_http_load.mjs"), listening["url"], listening["token"], str(SESSIONS), str(REQUESTS_PER_SESSION)],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        result: dict[str, float] = json.loads(load.stdout.strip().splitlines()[-1])
        return result
    finally:
        server.terminate()
        server.wait(10)


def run(runs: int) -> list[Figure]:
    if not (TS_DIR / "dist" / "src" / "index.js").exists():
        subprocess.run(["npm", "run", "build"], cwd=TS_DIR, check=True, capture_output=True)
    results = [measure() for _ in range(max(3, runs // 2))]
    rate = statistics.median(r["rpcRate"] for r in results)
    latency = statistics.median(r["p50"] for r in results)
    health = statistics.median(r["healthRate"] for r in results)
    note = f"{SESSIONS} sessions, Node load generator"
    return [
        Figure("HTTP+SSE requests/s (POST -> response event)", rate, "req/s", None, True, "GET /healthz", health, note),
        Figure("HTTP+SSE request -> response event p50", latency, "ms", None, False, note=note),
    ]
