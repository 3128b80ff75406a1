"""A lean synchronous JSON-RPC driver for request rates: plain reads and writes on the child's
pipes, no event loop. The same driver talks to the raw echo, our server and Codex.

Why not asyncio (bench/rpc_driver.py): a round trip through an event loop costs the driver a
selector wake-up, a future, a task step and a StreamReader per message. That cost is paid once
per request whichever server answers, so it adds the same constant to every server's time and
squeezes the ratios between them towards 1 (bench/NOTES.md, "The driver"). This driver costs one
write and one read per request (per window refill with many in flight).

One at a time, the driver waits for each answer by polling its pipe (`spin`) instead of sleeping
in `read`: on an idle virtual machine waking a sleeping process costs ~30 us, and a sleeping
driver would add that to every server's round trip (bench/NOTES.md, "The machine decides the
phase"). The server still sleeps between requests and pays its own wake-up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Sequence

import orjson

from bench.rpc_driver import INITIALIZE, LIST_PARAMS, TRIVIAL_METHOD

_READ_BYTES = 1 << 16
_EXIT_WAIT_SECONDS = 10.0


class SyncPeer:
    """A child process spoken to over its stdin/stdout; stderr is discarded."""

    def __init__(self, command: Sequence[str], *, spin: bool = False) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        os.set_blocking(self._out, not spin)  # spinning: poll the pipe rather than sleep in read
        self._pending = b""  # bytes read after the last complete line
        self.next_id = 0

    def request_line(self, method: str, params: object) -> bytes:
        self.next_id += 1
        return orjson.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + b"\n"

    def request_lines(self, count: int, method: str, params: object) -> bytes:
        """`count` requests with consecutive ids (the server refuses an id that is still in flight)."""
        tail = orjson.dumps({"method": method, "params": params})[1:]
        first, self.next_id = self.next_id + 1, self.next_id + count
        return b"".join(b'{"jsonrpc":"2.0","id":%d,%s\n' % (request_id, tail) for request_id in range(first, self.next_id + 1))

    def write(self, data: bytes) -> None:
        while data:
            data = data[os.write(self._in, data) :]

    def responses(self) -> list[dict[str, object]]:
        """Block until at least one complete line arrives; the responses among the lines (notifications are skipped)."""
        while True:
            chunk = self._read()
            if not chunk:
                raise ConnectionError(f"the server closed its output (exit status {self.process.poll()})")
            *lines, self._pending = (self._pending + chunk).split(b"\n")
            if lines:
                break
        messages = (orjson.loads(line) for line in lines if line.strip())
        return [message for message in messages if "id" in message and "method" not in message]

    def _read(self) -> bytes:
        while True:
            try:
                return os.read(self._out, _READ_BYTES)
            except BlockingIOError:  # spinning: nothing yet
                continue

    def call(self, method: str, params: object) -> dict[str, object]:
        self.write(self.request_line(method, params))
        expected = self.next_id
        while True:
            for response in self.responses():
                if response.get("id") == expected:
                    return _result_of(response)

    def initialize(self) -> None:
        self.call("initialize", INITIALIZE)
        self.write(b'{"jsonrpc":"2.0","method":"initialized","params":{}}\n')

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(_EXIT_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _result_of(response: dict[str, object]) -> dict[str, object]:
    result = response.get("result")
    if not isinstance(result, dict):
        raise RuntimeError(f"expected a result, got {response}")
    return result


def latency_p50_us(command: Sequence[str], count: int, warmup: int = 200, spin: bool = True) -> float:
    """Median round trip of strictly one request at a time, in microseconds (after `warmup` requests)."""
    peer = SyncPeer(command, spin=spin)
    try:
        peer.initialize()
        for _ in range(warmup):
            peer.call(TRIVIAL_METHOD, LIST_PARAMS)
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            peer.call(TRIVIAL_METHOD, LIST_PARAMS)
            samples.append(time.perf_counter() - start)
    finally:
        peer.close()
    return statistics.median(samples) * 1e6


def throughput(command: Sequence[str], total: int, window: int, method: str = TRIVIAL_METHOD, params: object = LIST_PARAMS) -> float:
    """Requests per second with `window` requests in flight: each batch of responses read is replaced
    at once by as many new requests (one write), so the window is full again after every read."""
    peer = SyncPeer(command)
    try:
        peer.initialize()
        peer.call(method, params)  # before the clock: a server may answer `initialize` before it has loaded
        start = time.perf_counter()
        sent = min(window, total)
        peer.write(peer.request_lines(sent, method, params))
        answered = 0
        while answered < total:
            responses = peer.responses()
            for response in responses:
                _result_of(response)
            answered += len(responses)
            more = min(len(responses), total - sent)
            if more:
                peer.write(peer.request_lines(more, method, params))
                sent += more
        elapsed = time.perf_counter() - start
    finally:
        peer.close()
    return total / elapsed
