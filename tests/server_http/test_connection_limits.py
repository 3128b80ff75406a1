"""The guarded HTTP protocol over real loopback sockets: slow headers and bodies are cut off, and
connections beyond the cap are closed at once (before any token check)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn

from tests.protocol_schemas import run
from threadloom_server.http import HttpSettings, create_app
from threadloom_server.http_protocol import ConnectionLimits, protocol_with

from .test_http_transport import echo, serving

TOKEN = "test-token"
LIMITS = ConnectionLimits(max_connections=8, max_header_bytes=4096, header_timeout=0.5, body_timeout=0.5)


@contextlib.asynccontextmanager
async def guarded_server() -> AsyncIterator[int]:
    app = create_app(HttpSettings(token=TOKEN), echo)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", http=protocol_with(LIMITS))
    async with serving(config) as port:
        yield port


async def healthz(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    answer = await reader.read()
    writer.close()
    return answer


def test_headers_that_never_finish_are_cut_off() -> None:
    async def scenario() -> None:
        async with guarded_server() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: local")  # and nothing more
            assert await reader.read() == b""  # closed by the server (the test's limit only detects a hang)
            writer.close()

    run(scenario())


def test_a_body_that_never_finishes_is_cut_off() -> None:
    async def scenario() -> None:
        async with guarded_server() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /rpc HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{")
            answer = await reader.read()
            assert answer == b"" or answer.startswith(b"HTTP/1.1 401"), answer  # no token: refused, then cut off
            writer.close()

    run(scenario())


def test_a_slow_trickle_after_a_first_request_is_cut_off_too() -> None:
    async def scenario() -> None:
        async with guarded_server() as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
            await reader.readexactly(11)  # {"ok":true}
            closed = asyncio.create_task(reader.read())
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            with contextlib.suppress(ConnectionError):
                while not closed.done():  # one byte at a time, each well inside the keep-alive timeout
                    writer.write(b"a")
                    await writer.drain()
                    await asyncio.sleep(0.1)
            assert await closed == b""
            writer.close()

    run(scenario())


def test_connections_beyond_the_cap_are_closed_and_the_server_stays_usable() -> None:
    async def scenario() -> None:
        async with guarded_server() as port:
            held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(LIMITS.max_connections)]
            extra_reader, extra_writer = await asyncio.open_connection("127.0.0.1", port)
            assert await extra_reader.read() == b""  # closed at once, before a byte was read
            extra_writer.close()
            for _, writer in held:
                writer.close()
            while not (await healthz(port)).startswith(b"HTTP/1.1 200"):
                await asyncio.sleep(0.05)  # until the server has seen the held ones go

    run(scenario())
