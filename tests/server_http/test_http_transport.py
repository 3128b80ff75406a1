"""The HTTP + SSE transport over real HTTP (uvicorn on loopback), with an echo connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import uvicorn

from tests.hang import HANG_LIMIT
from tests.protocol_schemas import run as run_scenario
from threadloom_server.http import SESSION_HEADER, HttpSettings, SessionTransport, create_app

TOKEN = "test-token"


async def echo(transport: SessionTransport) -> None:
    while (message := await transport.read()) is not None:
        await transport.write(b'{"echo":' + message + b"}")


@contextlib.asynccontextmanager
async def serving(config: uvicorn.Config) -> AsyncIterator[int]:
    """Run uvicorn in this event loop; the port once it listens. A server that fails to start is
    reported with its error, and one that never starts is a hang (`HANG_LIMIT`)."""
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(HANG_LIMIT):
        while not server.started:
            assert not task.done(), f"the server stopped before it listened: {task.exception() if not task.cancelled() else 'cancelled'}"
            await asyncio.sleep(0.01)  # uvicorn offers no event to wait on; polling its flag
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def running_server(settings: HttpSettings) -> AsyncIterator[str]:
    config = uvicorn.Config(create_app(settings, echo), host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    async with serving(config) as port:
        yield f"http://127.0.0.1:{port}"


def run(test: Callable[[httpx.AsyncClient, str], Awaitable[None]], **settings: object) -> None:
    async def main() -> None:
        async with contextlib.AsyncExitStack() as stack:
            base = await stack.enter_async_context(running_server(HttpSettings(token=TOKEN, **settings)))  # type: ignore[arg-type]
            client = await stack.enter_async_context(httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=HANG_LIMIT))
            await test(client, base)

    run_scenario(main())


async def read_events(client: httpx.AsyncClient, session: str, count: int, last_event_id: str | None = None) -> list[tuple[str, str]]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    events: list[tuple[str, str]] = []
    event_id = ""
    async with client.stream("GET", "/events", params={"session": session}, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                events.append((event_id, line[6:]))
                if len(events) == count:
                    break
    return events


async def open_session(client: httpx.AsyncClient) -> str:
    response = await client.post("/session")
    assert response.status_code == 200
    session: str = response.json()["sessionId"]
    return session


def test_health_is_public_everything_else_needs_the_token() -> None:
    async def test(client: httpx.AsyncClient, base: str) -> None:
        async with httpx.AsyncClient(base_url=base) as anonymous:
            assert (await anonymous.get("/healthz")).status_code == 200
            assert (await anonymous.post("/session")).status_code == 401
            wrong = await anonymous.post("/session", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"

    run(test)


def test_messages_round_trip_and_reconnect_replays_missed_events() -> None:
    async def test(client: httpx.AsyncClient, base: str) -> None:
        session = await open_session(client)
        for n in (1, 2, 3):
            response = await client.post("/rpc", content=b'{"n":%d}' % n, headers={SESSION_HEADER: session})
            assert response.status_code == 202
        first = await read_events(client, session, 1)
        assert first == [("1", '{"echo":{"n":1}}')]
        # The stream dropped after event 1: reconnecting with Last-Event-ID misses nothing.
        rest = await read_events(client, session, 2, last_event_id="1")
        assert rest == [("2", '{"echo":{"n":2}}'), ("3", '{"echo":{"n":3}}')]

    run(test)


def test_sessions_are_isolated() -> None:
    async def test(client: httpx.AsyncClient, base: str) -> None:
        a, b = await open_session(client), await open_session(client)
        await client.post("/rpc", content=b'"to-a"', headers={SESSION_HEADER: a})
        await client.post("/rpc", content=b'"to-b"', headers={SESSION_HEADER: b})
        assert await read_events(client, b, 1) == [("1", '{"echo":"to-b"}')]
        assert await read_events(client, a, 1) == [("1", '{"echo":"to-a"}')]

    run(test)


def test_bad_requests_get_clear_http_errors() -> None:
    async def test(client: httpx.AsyncClient, base: str) -> None:
        session = await open_session(client)
        assert (await client.post("/rpc", content=b"{}", headers={SESSION_HEADER: "nope"})).status_code == 404
        too_big = await client.post("/rpc", content=b"x" * 2000, headers={SESSION_HEADER: session})
        assert too_big.status_code == 413 and "1024" in too_big.json()["error"]
        assert (await client.get("/events", params={"session": session}, headers={"Last-Event-ID": "abc"})).status_code == 400
        ended = await client.delete("/session", headers={SESSION_HEADER: session})
        assert ended.status_code == 204
        assert (await client.post("/rpc", content=b"{}", headers={SESSION_HEADER: session})).status_code == 404

    run(test, max_message_bytes=1024)


def test_foreign_origins_are_refused_and_allowed_ones_get_cors() -> None:
    async def test(client: httpx.AsyncClient, base: str) -> None:
        evil = await client.post("/session", headers={"Origin": "http://evil.example"})
        assert evil.status_code == 403
        preflight = await client.options("/rpc", headers={"Origin": "http://localhost:5173"})
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert SESSION_HEADER in preflight.headers["access-control-allow-headers"]
        own = await client.post("/session", headers={"Origin": base})
        assert own.status_code == 200

    run(test, allowed_origins=frozenset({"http://localhost:5173"}))
