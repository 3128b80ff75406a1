"""A real server process on the v2 stubs, driven by the generated clients over stdio pipes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.python_bindings.support import RecordingTransport, run, until
from threadloom_protocol.v1 import client as v1_client
from threadloom_protocol.v1 import models as m1
from threadloom_protocol.v2 import client as v2_client
from threadloom_protocol.v2 import errors as e2
from threadloom_protocol.v2 import models as m2
from threadloom_protocol.v2.client import Client
from threadloom_runtime.errors import ProtocolError

CLIENT_INFO = {"name": "e2e-test", "version": "1"}


async def _v2_client(capabilities: dict[str, Any] | None = None) -> tuple[Client, RecordingTransport]:
    transport = await RecordingTransport.spawn()
    client = Client(transport)
    client.start()
    params = m2.InitializeParams.model_validate({"clientInfo": CLIENT_INFO, "capabilities": capabilities or {}})
    result = await client.initialize(params)
    assert result.protocol_version == 2
    await client.initialized()
    return client, transport


def _errors(transport: RecordingTransport) -> list[dict[str, Any]]:
    return [message for message in transport.received if "error" in message]


def test_requests_notifications_and_an_approval_round_trip() -> None:
    async def scenario() -> None:
        client, transport = await _v2_client()
        notifications: list[str] = []
        completed = asyncio.Event()
        client.on_thread_started(lambda p: notifications.append(f"thread/started {p.thread.id}"))
        client.on_item_started(lambda p: notifications.append(f"item/started {p.item.type}"))
        client.on_item_agent_message_delta(lambda p: notifications.append(f"delta {p.delta}"))
        client.on_turn_completed(lambda p: completed.set())

        async def approve(params: m2.CommandExecutionRequestApprovalParams) -> m2.ApprovalResult:
            notifications.append(f"approval {params.command}")
            return m2.ApprovalResult(decision=m2.ApprovalDecision.accept)

        client.handle_item_command_execution_request_approval(approve)
        started = await client.thread_start(m2.ThreadStartParams(name="demo"))
        assert started.thread.name == "demo"
        turn = await client.turn_start(m2.TurnStartParams(thread_id=started.thread.id, input=[m2.TextUserInput(type="text", text="hi")]))
        assert turn.turn.status is m2.TurnStatus.in_progress
        await completed.wait()
        await client.close()
        assert notifications == [
            f"thread/started {started.thread.id}",
            "item/started reasoning",
            "item/started agentMessage",
            "delta hello",
            "approval ls",
        ]
        asked = next(m for m in transport.received if m.get("method") == "item/commandExecution/requestApproval")
        resolved = next(m for m in transport.received if m.get("method") == "serverRequest/resolved")
        assert asked["id"] == resolved["params"]["requestId"] == f"approval-{turn.turn.id}"
        final = next(m for m in transport.received if m.get("method") == "turn/completed")
        command = next(item for item in final["params"]["turn"]["items"] if item["type"] == "commandExecution")
        assert command["status"] == "completed" and command["exitCode"] == 0
        assert transport.schema_violations(2) == []

    run(scenario())


def test_concurrent_requests_are_in_flight_together() -> None:
    async def scenario() -> None:
        client, _ = await _v2_client()
        await client.thread_start()
        # The first request only completes once the second has been handled: sequential handling deadlocks.
        blocked = asyncio.create_task(client.thread_read(m2.ThreadReadParams(thread_id="wait-for-release")))
        await client.thread_archive(m2.ThreadArchiveParams(thread_id="release"))
        assert (await blocked).thread.id == "thr_1"
        many = await asyncio.gather(*(client.thread_list() for _ in range(50)))
        assert all(len(page.data) == 1 for page in many)
        await client.close()

    run(scenario())


def test_protocol_errors_and_the_connection_keeps_serving() -> None:
    async def scenario() -> None:
        client, transport = await _v2_client()
        await transport.write(b"{this is not json")
        await transport.write(b'{"jsonrpc": "2.0", "id": 900, "method": "no/such/method", "params": {}}')
        await transport.write(b'{"jsonrpc": "2.0", "id": 901, "method": "turn/start", "params": {"threadId": "x", "input": [{"type": "text"}]}}')
        await transport.write(b'{"jsonrpc": "1.0", "id": 902, "method": "thread/list"}')

        async def round_trip() -> None:
            await client.thread_list()

        await until(lambda: len(_errors(transport)) == 4, round_trip)
        by_id = {message["id"]: message["error"] for message in _errors(transport)}
        assert by_id[None]["code"] == -32700
        assert by_id[900]["code"] == -32601
        assert by_id[901] == {"code": -32602, "message": "Invalid params", "data": {"path": "/input/0/text", "reason": "Field required"}}
        assert by_id[902]["code"] == -32600

        with pytest.raises(e2.ThreadNotFound) as missing:
            await client.thread_read(m2.ThreadReadParams(thread_id="nope"))
        assert missing.value.data == m2.ThreadNotFoundErrorData(thread_id="nope")

        started = await client.thread_start()
        with pytest.raises(ProtocolError) as internal:
            await client.thread_name_set(m2.ThreadNameSetParams(thread_id=started.thread.id, name="boom"))
        assert internal.value.code == -32603 and "passwd" not in internal.value.message

        with pytest.raises(e2.ExperimentalApiRequired) as experimental:
            await client.thread_loaded_list()
        assert experimental.value.data == m2.ExperimentalApiRequiredErrorData(feature="thread/loaded/list")

        with pytest.raises(e2.AlreadyInitialized):
            await client.initialize(m2.InitializeParams.model_validate({"clientInfo": CLIENT_INFO}))
        assert len((await client.thread_list()).data) == 1  # still serving
        await client.close()
        assert transport.schema_violations(2) == []

    run(scenario())


def test_experimental_opt_in_and_notification_opt_out() -> None:
    async def scenario() -> None:
        client, transport = await _v2_client({"experimentalApi": True, "optOutNotificationMethods": ["thread/started"]})
        started = await client.thread_start()
        loaded = await client.thread_loaded_list()
        assert loaded.data == [started.thread.id]
        await client.close()
        assert not any(message.get("method") == "thread/started" for message in transport.received)

    run(scenario())


def test_requests_before_initialize_and_unsupported_versions() -> None:
    async def scenario() -> None:
        transport = await RecordingTransport.spawn()
        client = Client(transport)
        client.start()
        with pytest.raises(e2.NotInitialized):
            await client.thread_start()
        with pytest.raises(e2.UnsupportedProtocolVersion) as unsupported:
            await client.initialize(m2.InitializeParams.model_validate({"clientInfo": CLIENT_INFO, "protocolVersions": [7, 9]}))
        assert unsupported.value.data == m2.UnsupportedProtocolVersionErrorData(requested=[7, 9], supported=[1, 2])
        result = await client.initialize(m2.InitializeParams.model_validate({"clientInfo": CLIENT_INFO, "protocolVersions": [9, 1]}))
        assert result.protocol_version == 1
        with pytest.raises(e2.MethodNotFound):  # a v2-only method on a v1 connection
            await client.thread_fork(m2.ThreadForkParams(thread_id="x"))
        await client.close()

    run(scenario())


def test_v1_client_against_v2_server_only_receives_valid_v1_messages() -> None:
    async def scenario() -> None:
        transport = await RecordingTransport.spawn()
        client = v1_client.Client(transport)
        client.start()
        result = await client.initialize(m1.InitializeParams(client_info=m1.ClientInfo(name="old", version="1")))
        assert result.server_info.name == "scripted-test-server"
        assert client.protocol_version == 1
        completed: list[m1.TurnCompletedParams] = []
        items: list[str] = []
        client.on_turn_completed(completed.append)
        client.on_item_started(lambda p: items.append(p.item.type))

        async def decline(params: m1.CommandExecutionRequestApprovalParams) -> m1.ApprovalResult:
            return m1.ApprovalResult(decision=m1.ApprovalDecision.decline)

        client.handle_item_command_execution_request_approval(decline)
        thread = (await client.thread_start()).thread
        await client.turn_start(m1.TurnStartParams(thread_id=thread.id, input=[m1.TextUserInput(type="text", text="hi")]))
        await until(lambda: bool(completed))
        await client.close()
        assert items == ["agentMessage"]  # the v2-only reasoning item was omitted
        assert [item.type for item in completed[0].turn.items] == ["agentMessage", "commandExecution"]
        methods = {message.get("method") for message in transport.received}
        assert not methods & {"thread/status/changed", "turn/diff/updated", "serverRequest/resolved"}
        assert len(transport.received) >= 10
        assert transport.schema_violations(1) == []

    run(scenario())


def test_spawn_server_helper_and_graceful_shutdown() -> None:
    async def scenario() -> None:
        from tests.python_bindings.support import ROOT, SERVER_COMMAND

        async with v2_client.spawn_server(SERVER_COMMAND, cwd=str(ROOT)) as client:
            await client.initialize(m2.InitializeParams(client_info=m2.ClientInfo(name="x", version="1")))
            assert (await client.thread_start()).thread.id == "thr_1"
        assert client.session.connection.closed

    run(scenario())
