"""The server with another agent plugged in, in process (the agent is not selectable from the command line)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

from threadloom_protocol.v2 import models as m
from threadloom_protocol.v2.client import Client
from threadloom_protocol.v2.server import ServerPeer
from threadloom_server.agent import TurnContext
from threadloom_server.app import AppServer
from threadloom_server.store import ThreadStore
from threadloom_server.threads import ThreadRuntime

from .support import run


class QueueTransport:
    """One end of an in-memory connection: whole messages through two queues."""

    def __init__(self, inbox: asyncio.Queue[bytes | None], outbox: asyncio.Queue[bytes | None]) -> None:
        self.inbox, self.outbox = inbox, outbox

    async def read(self) -> bytes | None:
        return await self.inbox.get()

    async def write(self, data: bytes) -> None:
        await self.outbox.put(data)

    async def close(self) -> None:
        await self.outbox.put(None)


def transport_pair() -> tuple[QueueTransport, QueueTransport]:
    a: asyncio.Queue[bytes | None] = asyncio.Queue()
    b: asyncio.Queue[bytes | None] = asyncio.Queue()
    return QueueTransport(a, b), QueueTransport(b, a)


class CrashingAgent:
    """Says something, then fails with an exception whose text must never reach the client."""

    async def run_turn(self, turn: TurnContext) -> None:
        item_id = f"{turn.turn_id}-item-1"
        await turn.start_item({"type": "agentMessage", "id": item_id, "text": ""})
        await turn.complete_item({"type": "agentMessage", "id": item_id, "text": "about to crash"})
        raise RuntimeError("secret internal detail /etc/shadow")


def test_an_agent_crash_fails_the_turn_as_internal_without_internals(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = AppServer(ThreadStore.in_memory(), tmp_path, CrashingAgent())
        server_end, client_end = transport_pair()
        serving = asyncio.create_task(app.serve_connection(server_end))
        client = Client(client_end)
        client.start()
        errors: list[m.ErrorNotificationParams] = []
        completed: asyncio.Queue[m.Turn] = asyncio.Queue()
        client.on_error(errors.append)
        client.on_turn_completed(lambda params: completed.put_nowait(params.turn))
        await client.initialize(m.InitializeParams(client_info=m.ClientInfo(name="in-process", version="1")))
        thread = (await client.thread_start()).thread
        await client.turn_start(m.TurnStartParams(thread_id=thread.id, input=[m.TextUserInput(type="text", text="go")]))
        turn = await completed.get()
        assert turn.status is m.TurnStatus.failed and turn.error is not None
        assert turn.error.code is m.TurnErrorCode.internal and "secret" not in turn.error.message
        assert [item.type for item in turn.items] == ["userMessage", "agentMessage"]
        assert len(errors) == 1 and errors[0].error == turn.error and errors[0].will_retry is False
        await client.close()
        await server_end.inbox.put(None)
        await serving
        assert app.runtime.threads == {}, "a thread nobody watches is unloaded"

    run(scenario())


class RecordingPeer:
    """Stands in for a connection: records every notification the runtime sends."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __getattr__(self, name: str) -> Callable[..., Awaitable[None]]:
        async def record(params: object, **options: object) -> None:
            self.sent.append(name)

        return record


class QuickAgent:
    def __init__(self) -> None:
        self.returned = asyncio.Event()

    async def run_turn(self, turn: TurnContext) -> None:
        self.returned.set()


def test_an_interrupt_that_arrives_while_the_turn_is_ending_does_not_lose_the_end(tmp_path: Path) -> None:
    async def scenario() -> None:
        agent = QuickAgent()
        runtime = ThreadRuntime(ThreadStore.in_memory(), agent, tmp_path)
        thread = runtime.store.create_thread(cwd=str(tmp_path))
        peer = RecordingPeer()
        turn, active = await runtime.start_turn(thread["id"], [{"type": "text", "text": "x"}], cast(ServerPeer, peer))
        loaded = runtime.threads[thread["id"]]
        async with loaded.lock:  # holds the turn in its ending step
            active.launched.set()
            await agent.returned.wait()
            await runtime.interrupt(active)
        assert active.task is not None
        await active.task
        assert runtime.store.get_turn(thread["id"], turn["id"])["status"] == "completed"
        assert peer.sent[-2:] == ["turn_completed", "thread_status_changed"]

    run(scenario())
