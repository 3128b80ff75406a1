"""A client of the protocol `threadloom init` writes, on its generated bindings (package `acme_tasks`,
run inside the fresh venv); prints a JSON report. Usage: python task_client.py SERVER-COMMAND..."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from acme_tasks.v1 import models as m
from acme_tasks.v1.client import spawn_server
from acme_tasks.v1.errors import TaskNotFound


async def main(server: list[str]) -> dict[str, Any]:
    report: dict[str, Any] = {"reasons": []}
    async with spawn_server(server) as client:
        await client.connect()

        async def confirm(params: m.TaskConfirmParams) -> m.TaskConfirmResult:
            report["reasons"].append(params.reason)
            return m.TaskConfirmResult(confirmed=isinstance(params.task.content, m.TextContent))  # keep links

        client.handle_task_confirm(confirm)
        announced = client.wait_for_task_changed(lambda p: isinstance(p.task.content, m.LinkContent))
        text = await client.task_add(m.TaskAddParams(content=m.TextContent(text="write the docs")))
        link = await client.task_add(m.TaskAddParams(content=m.LinkContent(url="https://example.com/spec")))
        report["added"] = [text.task.model_dump(), link.task.model_dump()]
        report["announced"] = (await announced).task.model_dump()
        report["removed"] = [(await client.task_remove(m.TaskRemoveParams(task_id=t.task.id))).removed for t in (text, link)]
        try:
            await client.task_remove(m.TaskRemoveParams(task_id=text.task.id))
        except TaskNotFound as error:
            report["not_found"] = {"code": error.code, "data": error.data.model_dump()}
    return report


print(json.dumps(asyncio.run(main(sys.argv[1:]))))
