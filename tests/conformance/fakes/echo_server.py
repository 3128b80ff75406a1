"""A server of the second test protocol, `echo-agent` (tests/conformance/fixtures/echo-agent).

JSON lines on stdio, framed the way that protocol declares it: no `"jsonrpc"` member, and an
`emittedAtMs` on every notification. `hello` opens the session; `echo` streams one `echo/chunk`
per word, then answers with the echo's id (random per process) and, in version 1, the time `at`.
Volatile on purpose, like a real server: ids, times, and the `userAgent` (which holds the pid).

    python echo_server.py [--version 1|2] [--silent]

`--version 2` drops `at` from echo results (the break version 2 declares); `--silent` reads its
input and never answers (a hung server).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from typing import Any


def now_ms() -> int:
    return int(time.time() * 1000)


def answer(message: dict[str, Any], version: int) -> list[dict[str, Any]]:
    method, params = message.get("method"), message.get("params") or {}
    if method == "hello":
        chosen = max((v for v in params.get("versions", [1]) if v <= version), default=1)
        return [{"id": message["id"], "result": {"agent": "echo", "version": chosen, "userAgent": f"echo/1.{version} (pid {os.getpid()})"}}]
    if method == "echo" and not params.get("text"):
        return [{"id": message["id"], "error": {"code": -32050, "message": "nothing to echo", "data": {"field": "text"}}}]
    if method == "echo":
        echo_id = "echo_" + secrets.token_hex(4)
        chunks = [{"method": "echo/chunk", "params": {"id": echo_id, "chunk": word}, "emittedAtMs": now_ms()} for word in params["text"].split()]
        result: dict[str, Any] = {"id": echo_id, "text": params["text"]}
        if version == 1:
            result["at"] = now_ms()
        return [*chunks, {"id": message["id"], "result": result}]
    return [{"id": message["id"], "error": {"code": -32601, "message": f"unknown method {method}"}}] if "id" in message else []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", type=int, default=1)
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args()
    for line in sys.stdin:
        if args.silent or not line.strip():
            continue
        for reply in answer(json.loads(line), args.version):
            sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
