"""A server of the protocol `threadloom init` writes, built only on its generated stubs (package
`acme_tasks`, run inside the fresh venv)."""

from __future__ import annotations

import asyncio
import itertools

from acme_tasks.v1 import models as m
from acme_tasks.v1.errors import TaskNotFound
from acme_tasks.v1.server import RequestContext, ServerHandler, serve_stdio


class TaskServer(ServerHandler):
    def __init__(self) -> None:
        self.tasks: dict[str, m.Task] = {}
        self.ids = itertools.count(1)

    async def task_add(self, params: m.TaskAddParams, ctx: RequestContext) -> m.TaskAddResult:
        task = m.Task(id=f"t{next(self.ids)}", status=m.TaskStatus.open, content=params.content)
        self.tasks[task.id] = task

        async def announce() -> None:
            await ctx.peer.task_changed(m.TaskChangedParams(task=task))

        ctx.after_response(announce)
        return m.TaskAddResult(task=task)

    async def task_remove(self, params: m.TaskRemoveParams, ctx: RequestContext) -> m.TaskRemoveResult:
        task = self.tasks.get(params.task_id)
        if task is None:
            raise TaskNotFound(m.TaskNotFoundErrorData(task_id=params.task_id))
        answer = await ctx.peer.task_confirm(m.TaskConfirmParams(task=task, reason="the client asked"))
        if answer.confirmed:
            del self.tasks[task.id]
        return m.TaskRemoveResult(removed=answer.confirmed)


if __name__ == "__main__":
    asyncio.run(serve_stdio(TaskServer()))
