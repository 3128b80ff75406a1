"""The server with another agent plugged in, in process (the agent is not selectable from the command line)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from threadloom.server.agent import TurnContext
from threadloom.server.app import AppServer
from threadloom.server.store import ThreadStore
from threadloom_protocol.v2 import models as m
from threadloom_protocol.v2.client import Client

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
