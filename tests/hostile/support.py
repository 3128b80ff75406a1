"""Helpers for the hostile-load regression tests: raw SSE sessions against a real `threadloom serve --http`.

`Session` posts JSON-RPC messages and reads the SSE stream itself (ids, event types, reconnects), so
tests can check delivery exactly-once across reconnects and see `event: lost` and HTTP refusals.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.server.support import HttpServer

Message = dict[str, Any]


@dataclass
class SseEvent:
    event_id: int | None
    kind: str
    data: Message


@dataclass
class Session:
    http: httpx.AsyncClient
    session_id: str
    ids: Any = field(default_factory=lambda: itertools.count(1))

    @classmethod
    async def open(cls, http: httpx.AsyncClient) -> Session:
        response = await http.post("/session")
        assert response.status_code == 200, response.text
        return cls(http, response.json()["sessionId"])

    async def post(self, message: Message) -> httpx.Response:
        return await self.http.post("/rpc", json=message, headers={"Threadloom-Session": self.session_id})

    async def send(self, method: str, params: Message, request_id: int | None = None) -> int:
        request_id = next(self.ids) if request_id is None else request_id
        response = await self.post({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        assert response.status_code == 202, response.text
        return request_id

    async def notify(self, method: str, params: Message) -> None:
        assert (await self.post({"jsonrpc": "2.0", "method": method, "params": params})).status_code == 202

    @contextlib.asynccontextmanager
    async def stream(self, last_event_id: int | None = None) -> AsyncIterator[AsyncIterator[SseEvent]]:
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        async with self.http.stream("GET", "/events", params={"session": self.session_id}, headers=headers) as response:
            assert response.status_code == 200, (await response.aread()).decode()
            yield parse_sse(response)

    async def end(self) -> None:
        await self.http.request("DELETE", "/session", headers={"Threadloom-Session": self.session_id})


async def parse_sse(response: httpx.Response) -> AsyncIterator[SseEvent]:
    event_id: int | None = None
    kind = "message"
    data: list[str] = []
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            event_id = int(line[4:])
        elif line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and data:
            yield SseEvent(event_id, kind, json.loads("\n".join(data)))
            event_id, kind, data = None, "message", []


INITIALIZE = {"clientInfo": {"name": "hostile", "version": "1"}, "protocolVersions": [2]}


async def initialized(server: HttpServer, http: httpx.AsyncClient) -> Session:
    session = await Session.open(http)
    await session.send("initialize", INITIALIZE)
    await session.notify("initialized", {})
    return session


def text(value: str) -> list[Message]:
    return [{"type": "text", "text": value}]


def words(count: int) -> str:
    return " ".join(f"w{index}" for index in range(count))
