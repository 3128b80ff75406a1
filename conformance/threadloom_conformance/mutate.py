"""Deliberately broken server variants: a stdio proxy in front of a real server that applies one fault.

    python -m threadloom_conformance.mutate FAULT [--method M] [--rename OLD=NEW] -- SERVER_CMD ...

Replaying a transcript against `mutate FAULT -- good-server` must fail with a precise report;
the tests prove it for every fault. Faults:

| fault | what the broken server does | expected report |
|---|---|---|
| `none` | nothing (control) | pass |
| `rename-field` | renames a key (default `threadId` -> `threadID`) in every server message | schema: required property missing; match: missing key |
| `add-required-field` | requires a new param of a v1 method (default `turn/start`): -32602 without it | match: error instead of result |
| `inject-v2-item` | sends a v2-only item (`reasoning`) to the client after each `turn/started` | undeclared: `$.params.item.type` |
| `reorder` | delays each response to a method (default `turn/start`) until after the next two notifications | order: notification arrived before the response |
| `drop-approval` | drops approval requests (`*/requestApproval`) instead of sending them | timeout: the server request never arrived |
| `undeclared-error` | answers errors of a method (default `turn/start`) with another code (default -32011) | undeclared: `$.error.code` |
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Sequence
from typing import Any

Message = dict[str, Any]
FAULTS = ("none", "rename-field", "add-required-field", "inject-v2-item", "reorder", "drop-approval", "undeclared-error")
REORDER_DELAY = 2


class Fault:
    """Transforms traffic: `from_client` returns (to server, to client); `from_server` returns messages for the client."""

    def __init__(self, name: str, method: str = "turn/start", rename: tuple[str, str] = ("threadId", "threadID"), code: int = -32011) -> None:
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; one of {', '.join(FAULTS)}")
        self.name = name
        self.method = method
        self.rename = rename
        self.code = code
        self.client_methods: dict[Any, str] = {}
        self.held: list[Message] = []
        self.held_countdown = 0
        self.injected = 0

    def from_client(self, message: Message) -> tuple[list[Message], list[Message]]:
        method = message.get("method")
        if isinstance(method, str) and "id" in message:
            self.client_methods[message["id"]] = method
        if self.name == "add-required-field" and method == self.method and "priority" not in (message.get("params") or {}):
            data = {"path": "/priority", "reason": "missing required property `priority`"}
            return [], [{"jsonrpc": "2.0", "id": message.get("id"), "error": {"code": -32602, "message": "invalid params", "data": data}}]
        return [message], []

    def from_server(self, message: Message) -> list[Message]:
        if self.name == "rename-field":
            return [_rename(message, *self.rename)]
        if self.name == "drop-approval" and str(message.get("method", "")).endswith("/requestApproval"):
            return []
        if self.name == "inject-v2-item" and message.get("method") == "turn/started":
            return [message, *self._reasoning(message)]
        if self.name == "reorder":
            return self._reorder(message)
        if self.name == "undeclared-error" and isinstance(message.get("error"), dict) and self.client_methods.get(message.get("id")) == self.method:
            return [{**message, "error": {**message["error"], "code": self.code}}]
        return [message]

    def _reasoning(self, turn_started: Message) -> list[Message]:
        self.injected += 1
        params = turn_started.get("params") or {}
        turn_id = (params.get("turn") or {}).get("id")
        item = {"type": "reasoning", "id": f"item_injected_{self.injected}", "summary": ["thinking"]}
        base = {"threadId": params.get("threadId"), "turnId": turn_id, "item": item}
        return [{"jsonrpc": "2.0", "method": "item/started", "params": base}, {"jsonrpc": "2.0", "method": "item/completed", "params": base}]

    def _reorder(self, message: Message) -> list[Message]:
        is_response = "method" not in message
        if is_response and self.client_methods.get(message.get("id")) == self.method:
            self.held.append(message)
            self.held_countdown = REORDER_DELAY
            return []
        if not self.held:
            return [message]
        if "id" in message:  # a server request: never hold a response past it, or the client would deadlock
            out, self.held = [*self.held, message], []
            return out
        self.held_countdown -= 1
        if self.held_countdown > 0:
            return [message]
        out, self.held = [message, *self.held], []
        return out


def _rename(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {(new if key == old else key): _rename(child, old, new) for key, child in value.items()}
    if isinstance(value, list):
        return [_rename(child, old, new) for child in value]
    return value


async def run_proxy(command: Sequence[str], fault: Fault) -> int:
    loop = asyncio.get_running_loop()
    client_in = asyncio.StreamReader(limit=16 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(client_in), sys.stdin)
    server = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=16 * 1024 * 1024)
    assert server.stdin is not None and server.stdout is not None
    server_in, server_out = server.stdin, server.stdout
    write_lock = asyncio.Lock()

    async def to_client(messages: list[Message]) -> None:
        async with write_lock:
            for message in messages:
                sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()

    async def upstream() -> None:
        while line := await client_in.readline():
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                server_in.write(line)
                continue
            forward, reply = fault.from_client(message)
            for item in forward:
                server_in.write(json.dumps(item).encode() + b"\n")
            with contextlib.suppress(ConnectionError):
                await server_in.drain()
            await to_client(reply)
        server_in.close()

    task = asyncio.create_task(upstream())
    while line := await server_out.readline():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            async with write_lock:
                sys.stdout.write(line.decode(errors="replace"))
                sys.stdout.flush()
            continue
        await to_client(fault.from_server(message))
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return await server.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m threadloom_conformance.mutate", description="Run a server behind a proxy that applies one fault.")
    parser.add_argument("fault", choices=FAULTS)
    parser.add_argument("--method", default="turn/start", help="method for add-required-field, reorder and undeclared-error")
    parser.add_argument("--code", type=int, default=-32011, help="error code for undeclared-error")
    parser.add_argument("--rename", default="threadId=threadID", help="OLD=NEW for rename-field")
    arguments = list(sys.argv[1:] if argv is None else argv)
    split = arguments.index("--") if "--" in arguments else len(arguments)
    args = parser.parse_args(arguments[:split])
    command = arguments[split + 1 :]
    if not command:
        parser.error("missing server command after --")
    old, _, new = args.rename.partition("=")
    return asyncio.run(run_proxy(command, Fault(args.fault, args.method, (old, new), args.code)))


if __name__ == "__main__":
    sys.exit(main())
