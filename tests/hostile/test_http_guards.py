"""The HTTP transport against hostile peers, over a real `threadloom serve --http` process:
DNS rebinding (Host), oversized headers, chunked bodies, session and descriptor exhaustion."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from urllib.parse import urlsplit

from tests.server.support import HttpServer, http_server, run


def port_of(server: HttpServer) -> int:
    port = urlsplit(server.url).port
    assert port is not None
    return port


def test_foreign_host_headers_are_refused_on_every_endpoint(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path, "--allow-host", "app.internal") as server, server.client() as http:
            evil = f"evil.example:{port_of(server)}"
            origin = {"Origin": f"http://{evil}"}
            probes = [
                ("GET", "/healthz", {"Host": evil}),
                ("GET", "/healthz", {"Host": evil, **origin}),
                ("OPTIONS", "/rpc", {"Host": evil, **origin, "Access-Control-Request-Method": "POST"}),
                ("POST", "/session", {"Host": evil}),  # with the token: still refused
                ("GET", "/healthz", {"Host": ""}),
            ]
            for method, path, headers in probes:
                response = await http.request(method, path, headers=headers)
                assert response.status_code == 421, (method, path, headers, response.status_code)
                assert "access-control-allow-origin" not in response.headers
            for host in (f"localhost:{port_of(server)}", f"127.0.0.1:{port_of(server)}", f"app.internal:{port_of(server)}", "LOCALHOST"):
                assert (await http.get("/healthz", headers={"Host": host})).status_code == 200, host
            assert (await http.post("/session", headers={"Host": f"app.internal:{port_of(server)}"})).status_code == 200

    run(scenario())


async def raw_exchange(port: int, payload: bytes) -> bytes:
    """Write `payload` (as much as the server takes) and read until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        return await reader.read()
    except ConnectionError:
        return b""
    finally:
        writer.close()


def test_oversized_headers_get_431_before_any_token_check(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path) as server, server.client() as http:
            huge = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"a" * (4 * 1024 * 1024) + b"\r\n\r\n"
            answer = await raw_exchange(port_of(server), huge)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:80]
            many = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + b"".join(b"X-%d: v\r\n" % n for n in range(5000)) + b"\r\n"
            answer = await raw_exchange(port_of(server), many)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:80]
            assert (await http.get("/healthz")).status_code == 200

    run(scenario())


def test_a_chunked_body_over_the_limit_is_refused_while_it_streams(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path, "--max-message-bytes", "65536") as server, server.client() as http:
            session = (await http.post("/session")).json()["sessionId"]
            reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
            head = f"POST /rpc HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {server.token}\r\nThreadloom-Session: {session}\r\n"
            writer.write(head.encode() + b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"x" * 16384
            for _ in range(64):  # 1 MiB, 16 times the limit, and never the final chunk: a server that
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))  # buffers whole bodies would wait forever
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
            status = await reader.readline()
            writer.close()
            assert status.startswith(b"HTTP/1.1 413"), status
            assert (await http.get("/healthz")).status_code == 200

    run(scenario())


def test_sessions_are_capped(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path, "--max-sessions", "2") as server, server.client() as http:
            first = (await http.post("/session")).json()["sessionId"]
            assert (await http.post("/session")).status_code == 200
            refused = await http.post("/session")
            assert refused.status_code == 503 and "DELETE /session" in refused.json()["error"]
            assert (await http.request("DELETE", "/session", headers={"Threadloom-Session": first})).status_code == 204
            assert (await http.post("/session")).status_code == 200

    run(scenario())


def test_hundreds_of_unfinished_requests_do_not_starve_the_server(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path) as server, server.client() as http:
            port = port_of(server)
            opened: list[asyncio.StreamWriter] = []
            for _ in range(300):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"POST /rpc HTTP/1.1\r\nHost: localhost\r\nContent-Le")  # never finished
                opened.append(writer)
            try:
                assert (await http.get("/healthz")).status_code == 200
            finally:
                for writer in opened:
                    writer.close()

    run(scenario())
