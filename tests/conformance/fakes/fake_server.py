"""A small scripted App Server for testing the conformance engine (stdio JSONL or HTTP + SSE).

It speaks just enough of the Threadloom protocol (v1, or v2 when the client offers it) for the
engine's tests: initialize, thread/start, thread/read, turn/start with streamed items and a
command approval when the input mentions "run", a reasoning item for v2 clients when it mentions
"think". Ids are random per process so replay must use volatile capture.

    python fake_server.py [--crash-on METHOD] [--hang-on METHOD] [--announce METHOD] [--garbage] [--http --token T]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import sys
import time
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

PROTOCOL = json.loads((Path(__file__).resolve().parents[3] / "protocol" / "v2" / "protocol.json").read_text())

Message = dict[str, Any]


class FakeSession:
    def __init__(self, crash_on: str | None = None, hang_on: str | None = None, announce: str | None = None) -> None:
        self.crash_on = crash_on
        self.hang_on = hang_on
        self.announce = announce  # a notification sent right after initialize (e.g. one the client's version lacks)
        self.prefix = secrets.token_hex(3)
        self.version = 1
        self.counter = 0
        self.threads: dict[str, Message] = {}
        self.waiting: dict[Any, tuple[str, Message, Message]] = {}  # server request id -> (thread id, turn, item)

    def new_id(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}_{self.prefix}_{self.counter}"

    def handle(self, msg: Message) -> list[Message]:
        method = msg.get("method")
        if method is None:
            return self.on_reply(msg)
        if method == self.crash_on:
            sys.stderr.write(f"fake server: crashing on {method}\n")
            sys.stderr.flush()
            os._exit(3)
        if method == self.hang_on or "id" not in msg:
            return []
        handler = {"initialize": self.initialize, "thread/start": self.thread_start, "thread/read": self.thread_read, "turn/start": self.turn_start}.get(method)
        if handler is None:
            return [error(msg["id"], -32601, f"unknown method {method}")]
        problem = invalid_params(method, msg.get("params"))
        if problem is not None:
            return [error(msg["id"], -32602, "invalid params", problem)]
        return handler(msg["id"], msg.get("params") or {})

    def initialize(self, rid: Any, params: Message) -> list[Message]:
        offered = params.get("protocolVersions") or [1]
        self.version = 2 if 2 in offered else 1
        result: Message = {"serverInfo": {"name": "fake", "version": "0.1"}}
        if self.version >= 2:
            result["protocolVersion"] = 2
        extra = [notify(self.announce, {})] if self.announce else []
        return [response(rid, result), *extra]

    def thread_start(self, rid: Any, params: Message) -> list[Message]:
        now = int(time.time() * 1000)
        thread = {
            "id": self.new_id("thr"),
            "createdAt": now,
            "updatedAt": now,
            "cwd": params.get("cwd", os.getcwd()),
            "approvalPolicy": params.get("approvalPolicy", "always"),
            "preview": "",
            "archived": False,
            "status": "idle",
        }
        self.threads[thread["id"]] = thread
        return [response(rid, {"thread": thread}), notify("thread/started", {"thread": thread})]

    def thread_read(self, rid: Any, params: Message) -> list[Message]:
        thread = self.threads.get(params.get("threadId", ""))
        if "threadId" not in params:
            return [error(rid, -32602, "threadId is required", {"path": "/threadId", "reason": "missing"})]
        if thread is None:
            return [error(rid, -32010, "thread not found", {"threadId": params["threadId"]})]
        return [response(rid, {"thread": thread})]

    def turn_start(self, rid: Any, params: Message) -> list[Message]:
        thread_id = params.get("threadId", "")
        if thread_id not in self.threads:
            return [error(rid, -32010, "thread not found", {"threadId": thread_id})]
        text = " ".join(i.get("text", "") for i in params.get("input", []) if isinstance(i, dict))
        turn: Message = {"id": self.new_id("turn"), "status": "inProgress", "items": [], "error": None}
        out = [response(rid, {"turn": dict(turn, items=[])}), notify("turn/started", {"threadId": thread_id, "turn": dict(turn, items=[])})]
        user = {"type": "userMessage", "id": self.new_id("item"), "content": params.get("input", [])}
        out += self.item(thread_id, turn, user, user)
        if "think" in text and self.version >= 2:
            reasoning = {"type": "reasoning", "id": self.new_id("item"), "summary": ["Thinking."]}
            out += self.item(thread_id, turn, reasoning, reasoning)
        if "run" in text:
            return out + self.ask_approval(thread_id, turn)
        return out + self.finish(thread_id, turn)

    def item(self, thread_id: str, turn: Message, started: Message, completed: Message) -> list[Message]:
        turn["items"].append(completed)
        base = {"threadId": thread_id, "turnId": turn["id"]}
        return [notify("item/started", {**base, "item": started}), notify("item/completed", {**base, "item": completed})]

    def ask_approval(self, thread_id: str, turn: Message) -> list[Message]:
        command = {
            "type": "commandExecution",
            "id": self.new_id("item"),
            "command": "pytest -q",
            "cwd": os.getcwd(),
            "status": "inProgress",
            "aggregatedOutput": None,
            "exitCode": None,
        }
        request_id = self.new_id("srv")
        self.waiting[request_id] = (thread_id, turn, command)
        params = {"threadId": thread_id, "turnId": turn["id"], "itemId": command["id"], "command": command["command"], "cwd": command["cwd"], "reason": None}
        started = notify("item/started", {"threadId": thread_id, "turnId": turn["id"], "item": command})
        return [started, {"jsonrpc": "2.0", "id": request_id, "method": "item/commandExecution/requestApproval", "params": params}]

    def on_reply(self, msg: Message) -> list[Message]:
        pending = self.waiting.pop(msg.get("id"), None)
        if pending is None:
            return []
        thread_id, turn, command = pending
        decision = (msg.get("result") or {}).get("decision")
        base = {"threadId": thread_id, "turnId": turn["id"]}
        out = []
        if decision == "accept":
            out.append(notify("item/commandExecution/outputDelta", {**base, "itemId": command["id"], "delta": "ok\n", "stream": "stdout"}))
            done = dict(command, status="completed", aggregatedOutput="ok\n", exitCode=0)
        else:
            done = dict(command, status="declined")
        turn["items"].append(done)
        out.append(notify("item/completed", {**base, "item": done}))
        return out + self.finish(thread_id, turn)

    def finish(self, thread_id: str, turn: Message) -> list[Message]:
        agent_id = self.new_id("item")
        base = {"threadId": thread_id, "turnId": turn["id"]}
        out = [notify("item/started", {**base, "item": {"type": "agentMessage", "id": agent_id, "text": ""}})]
        out += [notify("item/agentMessage/delta", {**base, "itemId": agent_id, "delta": piece}) for piece in ("Hello", " world")]
        done = {"type": "agentMessage", "id": agent_id, "text": "Hello world"}
        turn["items"].append(done)
        out.append(notify("item/completed", {**base, "item": done}))
        turn["status"] = "completed"
        return [*out, notify("turn/completed", {"threadId": thread_id, "turn": turn})]


def invalid_params(method: str, params: Any) -> Message | None:
    """-32602 data when params break the method's params schema (the fake checks like a real server)."""
    entry = next(m for m in PROTOCOL["x-methods"] if m["method"] == method)
    validator = Draft202012Validator({"$defs": PROTOCOL["$defs"], "$ref": entry["params"]})
    for problem in validator.iter_errors(params):
        return {"path": "".join(f"/{part}" for part in problem.absolute_path), "reason": problem.message}
    return None


def response(rid: Any, result: Message) -> Message:
    return {"jsonrpc": "2.0", "id": rid, "result": result}


def error(rid: Any, code: int, message: str, data: Any = None) -> Message:
    body: Message = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return {"jsonrpc": "2.0", "id": rid, "error": body}


def notify(method: str, params: Message) -> Message:
    return {"jsonrpc": "2.0", "method": method, "params": params}


def parse(line: str) -> Message | None:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def serve_stdio(session: FakeSession, garbage: bool) -> None:
    if garbage:
        print("starting up...", flush=True)
    for line in sys.stdin:
        msg = parse(line)
        out = [error(None, -32700, "parse error")] if msg is None else session.handle(msg)
        for reply in out:
            sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def serve_http(args: argparse.Namespace) -> None:
    import uvicorn

    from threadloom_server.http import HttpSettings, SessionTransport, create_app

    async def connect(transport: SessionTransport) -> None:
        session = FakeSession(args.crash_on, args.hang_on, args.announce)
        while (data := await transport.read()) is not None:
            msg = parse(data.decode())
            for reply in [error(None, -32700, "parse error")] if msg is None else session.handle(msg):
                await transport.write(json.dumps(reply).encode())

    # Listening before the line is printed: a client that connects at once waits in the backlog
    # instead of being refused while uvicorn starts.
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(HttpSettings(token=args.token), connect)
    print(json.dumps({"event": "listening", "url": f"http://127.0.0.1:{port}", "token": args.token}), flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    asyncio.run(server.serve(sockets=[sock]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--crash-on")
    parser.add_argument("--hang-on")
    parser.add_argument("--announce")
    parser.add_argument("--garbage", action="store_true", help="print a line that is not JSON first")
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--token", default="secret")
    args = parser.parse_args()
    if args.http:
        serve_http(args)
    else:
        serve_stdio(FakeSession(args.crash_on, args.hang_on, args.announce), args.garbage)


if __name__ == "__main__":
    main()
