"""A scripted client used to record transcripts in the tests: it drives a stdio server command."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

Message = dict[str, Any]
HANG_LIMIT = 60.0


class ScriptedClient:
    def __init__(self, process: asyncio.subprocess.Process, decision: str = "accept") -> None:
        self.process = process
        self.decision = decision
        self.next_id = 0
        self.seen: list[Message] = []

    @classmethod
    async def start(cls, argv: Sequence[str], decision: str = "accept") -> ScriptedClient:
        process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        return cls(process, decision)

    async def send(self, message: Message) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()

    async def receive(self) -> Message:
        assert self.process.stdout is not None
        # only stops a hung test: the first read also waits for the proxy and the server to start
        line = await asyncio.wait_for(self.process.stdout.readline(), HANG_LIMIT)
        if not line:
            raise EOFError("server closed its output")
        message: Message = json.loads(line)
        self.seen.append(message)
        if message.get("method") and "id" in message:  # a server request: answer it
            await self.send({"jsonrpc": "2.0", "id": message["id"], "result": {"decision": self.decision}})
        return message

    async def request(self, method: str, params: Message) -> Message:
        self.next_id += 1
        rid = self.next_id
        await self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            message = await self.receive()
            if message.get("id") == rid and "method" not in message:
                return message

    async def until(self, method: str) -> Message:
        while True:
            message = await self.receive()
            if message.get("method") == method:
                return message

    async def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.stdout is not None
        await self.process.stdout.read()
        return await self.process.wait()


async def run_scenario(argv: Sequence[str], texts: Sequence[str] = ("hello",), version: int = 1, decision: str = "accept", missing_read: bool = True) -> None:
    """initialize, thread/start, one turn per text (waiting for turn/completed), thread/read of an unknown id."""
    client = await ScriptedClient.start(argv, decision)
    params: Message = {"clientInfo": {"name": "scripted", "version": "1.0"}}
    if version >= 2:
        params["protocolVersions"] = [version]
    await client.request("initialize", params)
    await client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    started = await client.request("thread/start", {})
    thread_id = started["result"]["thread"]["id"]
    await client.until("thread/started")
    for text in texts:
        await client.request("turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": text}]})
        await client.until("turn/completed")
    if missing_read:
        await client.request("thread/read", {"threadId": "thr_missing"})
    await client.close()
