"""A client of the todo test protocol on its generated bindings (run inside the fresh venv); prints a JSON report."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from todo_agent_bindings.v1 import client as v1_client
from todo_agent_bindings.v1 import models as m1
from todo_agent_bindings.v2 import models as m
from todo_agent_bindings.v2.client import spawn_server
from todo_agent_bindings.v2.errors import TodoNotFound

from threadloom_runtime import ConnectionClosed


async def session(server: list[str]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    async with spawn_server(server) as client:
        await client.connect()
        questions: list[str] = []

        async def confirm(params: m.ConfirmAskParams) -> m.ConfirmAskResult:
            questions.append(params.question)
            return m.ConfirmAskResult(approved=True)

        client.handle_confirm_ask(confirm)
        announced = client.wait_for_todo_changed(lambda p: p.todo.title == "water the plants")
        added = await client.todo_add(m.TodoAddParams(title="water the plants", priority=m.Priority.high))
        report["added"] = added.todo.model_dump()
        report["announced"] = (await announced).todo.model_dump()
        planned = await client.agent_plan(m.AgentPlanParams(goal="file taxes"))
        report["questions"] = questions
        report["steps"] = [type(step).__name__ for step in planned.steps]
        listed = await client.todo_list()
        report["priorities"] = [str(todo.priority) for todo in listed.todos]
        report["unknown_priority"] = type(listed.todos[-1].priority).__name__
        try:
            await client.todo_complete(m.TodoCompleteParams(todo_id="nope"))
        except TodoNotFound as error:
            report["not_found"] = {"code": error.code, "data": error.data.model_dump()}
    async with v1_client.spawn_server(server) as old:
        await old.connect()
        try:
            await old.todo_add(m1.TodoAddParams(title="no priority"))  # the declared v2 break
        except Exception as error:
            report["v1_without_priority"] = getattr(error, "code", repr(error))
    return report


async def dead_server(server: list[str]) -> str:
    async with spawn_server([*server, "--die"]) as client:
        await client.connect()
        try:
            await client.todo_list()
        except ConnectionClosed as error:
            return str(error)
    return "no error"


async def main() -> None:
    server = sys.argv[1:]
    report = await session(server)
    report["dead"] = await dead_server(server)
    print(json.dumps(report))


asyncio.run(main())
