"""A minimal synchronous JSON-RPC client for driving a real server over its stdio in tests.

It keeps every message with its direction (`captured`) so a test can write the session out as a
JSONL capture and validate it. Waits are bounded only to detect a hang: a busy machine is slow,
never wrong, so the bound is generous and the clock starts when the wait starts.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Message = dict[str, Any]
HANG_SECONDS = 120.0


class ServerGone(AssertionError):
    pass


class StdioSession:
    def __init__(self, command: Sequence[str], cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
        self.captured: list[tuple[str, Message]] = []  # ("c2s" | "s2c", message)
        self._inbox: queue.Queue[Message | None] = queue.Queue()
        self._seen: list[Message] = []
        self._stderr: list[bytes] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            message = json.loads(line)
            self.captured.append(("s2c", message))
            self._inbox.put(message)
        self._inbox.put(None)

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr = [*self._stderr[-40:], line]

    def stderr_tail(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    def send(self, message: Message) -> None:
        assert self.process.stdin is not None
        self.captured.append(("c2s", message))
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method} if params is None else {"method": method, "params": params})

    def request(self, method: str, params: Any = None) -> Message:
        """Send a request and wait for its response (the whole response: `result` or `error`)."""
        self._next_id += 1
        request_id = self._next_id
        self.send({"id": request_id, "method": method} if params is None else {"id": request_id, "method": method, "params": params})
        return self.wait_for(lambda m: m.get("id") == request_id and "method" not in m, f"the response to {method}")

    def answer(self, request: Message, result: Any) -> None:
        self.send({"id": request["id"], "result": result})

    def wait_for(self, predicate: Callable[[Message], bool], what: str) -> Message:
        """The first message (seen earlier or arriving now) that matches; each is returned once."""
        for seen in self._seen:
            if predicate(seen):
                self._seen.remove(seen)
                return seen
        while True:
            try:
                arrived = self._inbox.get(timeout=HANG_SECONDS)
            except queue.Empty:
                raise AssertionError(f"no {what} within {HANG_SECONDS:.0f}s (hang); stderr:\n{self.stderr_tail()}") from None
            if arrived is None:
                raise ServerGone(f"the server exited (status {self.process.wait()}) before {what}; stderr:\n{self.stderr_tail()}")
            if predicate(arrived):
                return arrived
            self._seen.append(arrived)

    def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            return self.process.wait(timeout=HANG_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def write_capture(self, path: Path) -> None:
        path.write_text("".join(json.dumps(message) + "\n" for _, message in self.captured), encoding="utf-8")
