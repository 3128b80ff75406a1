"""A version-1 client against the v2 server: everything it receives is valid protocol v1."""

from __future__ import annotations

import asyncio
from pathlib import Path

from threadloom_protocol.v1 import models as v1
from threadloom_protocol.v1.client import Client as V1Client
from threadloom_protocol.v1.client import spawn_server

from .support import Message, document, run, schema_errors, serve_command, stdio_server


def v1_result_definitions() -> dict[str, str]:
    return {entry["method"]: entry["result"].rsplit("/", 1)[-1] for entry in document(1)["x-methods"] if entry["kind"] == "request"}


def test_every_message_a_v1_client_receives_is_valid_v1(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            sent: dict[int, str] = {}
            original = client.request

            async def tracking_request(method: str, params: Message | None = None) -> Message:
                response = await original(method, params)
                sent[response["id"]] = method
                return response

            client.request = tracking_request  # type: ignore[method-assign]
            info = await client.initialize(versions=None)
            assert info["serverInfo"]["name"] == "threadloom-reference" and "protocolVersion" not in info
            thread = await client.start_thread()
            assert "name" not in thread and "forkedFromId" not in thread
            turn = await client.run_turn(thread["id"], "think: hmm\nplan: a; b\nrun: echo v1\nwrite: v1.txt\nv1\nend:\nDone.")
            assert [item["type"] for item in turn["items"]] == ["userMessage", "commandExecution", "fileChange", "agentMessage"]
            resumed = await client.call("thread/resume", {"threadId": thread["id"]})
            assert [item["type"] for item in resumed["thread"]["turns"][0]["items"]] == [item["type"] for item in turn["items"]]
            await client.call("thread/list")
            await client.call("thread/archive", {"threadId": thread["id"]})
            for method in ("thread/fork", "thread/unarchive", "thread/name/set", "thread/loaded/list", "turn/steer"):
                assert (await client.request(method, {"threadId": thread["id"]}))["error"]["code"] == -32601, method

            methods = {message["method"] for message in client.received if "method" in message}
            assert methods >= {"thread/started", "turn/started", "item/started", "item/commandExecution/requestApproval", "turn/completed"}
            assert not methods & {"thread/status/changed", "serverRequest/resolved", "turn/diff/updated", "item/reasoning/summaryTextDelta"}
            results = v1_result_definitions()
            for message in client.received:
                assert not schema_errors(1, "ServerMessage", message), (message, schema_errors(1, "ServerMessage", message))
                if "result" in message and message["id"] in sent:
                    definition = results[sent[message["id"]]]
                    assert not schema_errors(1, definition, message["result"]), (definition, message)

    run(scenario())


def test_generated_v1_client_runs_a_turn_with_an_approval(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with spawn_server(serve_command(tmp_path)) as client:
            await drive_v1(client)

    run(scenario())


async def drive_v1(client: V1Client) -> None:
    await client.initialize(v1.InitializeParams(client_info=v1.ClientInfo(name="v1-test", version="1")))
    await client.initialized()
    asked: list[str] = []

    async def approve(params: v1.CommandExecutionRequestApprovalParams) -> v1.ApprovalResult:
        asked.append(params.command)
        return v1.ApprovalResult(decision=v1.ApprovalDecision.accept)

    client.handle_item_command_execution_request_approval(approve)
    completed: list[v1.Turn] = []
    done = asyncio.Event()

    def on_completed(params: v1.TurnCompletedParams) -> None:
        completed.append(params.turn)
        done.set()

    client.on_turn_completed(on_completed)
    thread = (await client.thread_start(v1.ThreadStartParams())).thread
    await client.turn_start(v1.TurnStartParams(thread_id=thread.id, input=[v1.TextUserInput(type="text", text="run: echo from-v1")]))
    await done.wait()
    assert asked == ["echo from-v1"]
    command = completed[0].items[1]
    assert isinstance(command, v1.CommandExecutionItem) and command.aggregated_output == "from-v1\n"
