"""Sizes and bursts over real pipes: the server never sends what the peer may refuse, an oversized
answer fails the waiting call instead of hanging, and bursts are served, not refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from tests.server.support import THREADLOOM, Message, WireClient, run, stdio_server
from threadloom_runtime.connection import Connection, IncomingRequest, JsonObject, Limits
from threadloom_runtime.errors import ProtocolError
from threadloom_runtime.transport import SubprocessTransport

LIMIT = 65536


def test_a_burst_of_a_thousand_requests_in_one_write_is_served(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            burst = b"".join(orjson.dumps({"jsonrpc": "2.0", "id": 100 + n, "method": "thread/list", "params": {"limit": 1}}) + b"\n" for n in range(1000))
            reading = asyncio.create_task(_collect(client, 1000))
            await client.channel.send(burst.rstrip(b"\n"))  # one write (the channel adds the last newline)
            answers = await reading
            assert sorted(answer["id"] for answer in answers) == list(range(100, 1100))
            assert all("result" in answer for answer in answers), [a for a in answers if "error" in a][:3]

    run(scenario())


async def _collect(client: WireClient, count: int) -> list[Message]:
    return [await client.next() for _ in range(count)]


def test_batches_and_duplicate_ids_in_flight_have_a_documented_answer(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            await client.send(b'[{"jsonrpc":"2.0","id":7,"method":"thread/list","params":{}}]')
            refused = await client.next()
            assert refused["id"] is None and refused["error"]["code"] == -32600 and "batches" in refused["error"]["message"]

    run(scenario())


def test_nothing_the_server_sends_exceeds_the_limit(tmp_path: Path) -> None:
    """Big command output, a long reply and a long history under a 64 KiB limit: every line fits."""

    async def scenario() -> None:
        async with stdio_server(tmp_path, ":memory:", "--max-message-bytes", str(LIMIT)) as client:
            sizes: list[int] = []
            receive = client.channel.receive

            async def measured() -> Message | None:
                message = await receive()
                if message is not None:
                    sizes.append(len(orjson.dumps(message)))
                return message

            client.channel.receive = measured  # type: ignore[method-assign]
            await client.initialize()
            thread = await client.start_thread(approvalPolicy="never")
            script = "run: head -c 300000 /dev/zero | tr '\\\\0' a\n" + "word " * 3000
            for _ in range(3):
                turn = await client.run_turn(thread["id"], script)
                assert turn["status"] == "completed"
            resumed = await client.call("thread/resume", {"threadId": thread["id"]})
            assert len(resumed["thread"]["turns"]) == 3
            assert "more bytes not shown" in orjson.dumps(resumed).decode()  # cut with a marker, not dropped
            too_big = await client.request("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": "x" * (LIMIT // 2)}]})
            assert too_big["error"]["code"] == -32602 and too_big["error"]["data"]["path"] == "/input"
            assert max(sizes) <= LIMIT, max(sizes)

    run(scenario())


class NoRequests:
    def on_request(self, request: IncomingRequest) -> asyncio.Future[JsonObject]:
        raise ProtocolError(-32601, "no")

    async def on_notification(self, method: str, params: JsonObject) -> None:
        return None


def test_a_client_that_gets_an_oversized_answer_fails_that_call_and_goes_on(tmp_path: Path) -> None:
    async def scenario() -> None:
        command = [THREADLOOM, "serve", "--store", ":memory:", "--workspace", str(tmp_path)]
        transport = await SubprocessTransport.spawn(command, max_message_bytes=LIMIT)
        connection = Connection(transport, NoRequests(), Limits(max_message_bytes=LIMIT))
        connection.start()
        try:
            await connection.request("initialize", {"clientInfo": {"name": "small", "version": "1"}, "protocolVersions": [2]})
            await connection.notify("initialized", {})
            thread = (await connection.request("thread/start", {"approvalPolicy": "never"}))["thread"]
            for _ in range(4):  # each turn's history holds ~2 x 40 KB: the resume answer outgrows 64 KiB
                await connection.request("turn/start", {"threadId": thread["id"], "input": [{"type": "text", "text": "y" * 40_000}]})
                while (await connection.request("thread/read", {"threadId": thread["id"]}))["thread"]["status"] != "idle":
                    await asyncio.sleep(0.05)
            with pytest.raises(ProtocolError) as refused:
                await connection.request("thread/resume", {"threadId": thread["id"]})
            assert refused.value.code == -32004 and "thread/resume" in str(refused.value)
            assert (await connection.request("thread/read", {"threadId": thread["id"]}))["thread"]["id"] == thread["id"]
        finally:
            await connection.close()
            await transport.close()

    run(scenario())


def test_deep_nesting_is_refused_before_any_turn_exists(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            thread = await client.start_thread()
            nested = b'{"n":' * 300 + b'"leaf"' + b"}" * 300  # deeper than the store can serialise
            part = b'{"type":"text","text":"hello","extra":' + nested + b"}"
            params = b'{"threadId":"' + thread["id"].encode() + b'","input":[' + part + b"]}"
            await client.send(b'{"jsonrpc":"2.0","id":"deep","method":"turn/start","params":' + params + b"}")
            answer = await client.until(lambda message: message.get("id") == "deep")
            assert answer["error"]["code"] == -32602, answer
            read = await client.call("thread/read", {"threadId": thread["id"], "includeTurns": True})
            assert read["thread"]["turns"] == [] and read["thread"]["status"] == "idle"
            turn = await client.run_turn(thread["id"], "still works")
            assert turn["status"] == "completed"

    run(scenario())


def test_an_oversized_request_is_answered_under_its_own_id(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path, ":memory:", "--max-message-bytes", "4096") as client:
            await client.initialize()
            pad = "p" * 100_000
            await client.send(b'{"jsonrpc":"2.0","id":42,"method":"thread/start","params":{"name":"' + pad.encode() + b'"}}')
            refused = await client.next()
            assert refused["id"] == 42 and refused["error"]["code"] == -32004 and refused["error"]["data"] == {"limitBytes": 4096}
            await client.send(b'{"jsonrpc":"2.0","params":{"name":"' + pad.encode() + b'"},"method":"thread/start","id":"last"}')
            assert (await client.next())["id"] == "last"  # an id that comes last is found in the tail
            assert "thread" in await client.call("thread/start", {})  # the connection goes on

    run(scenario())
