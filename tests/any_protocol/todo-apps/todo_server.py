"""A server of the todo test protocol built only on its generated v2 stubs (run inside the fresh venv)."""

from __future__ import annotations

import asyncio
import itertools
import sys

from todo_agent_bindings.v2 import models as m
from todo_agent_bindings.v2.errors import TodoNotFound
from todo_agent_bindings.v2.server import RequestContext, ServerHandler, serve_stdio

from threadloom_runtime.base import UnknownValue


class TodoServer(ServerHandler):
    def __init__(self) -> None:
        self.todos: dict[str, m.Todo] = {}
        self.ids = itertools.count(1)

    def _add(self, title: str, priority: m.Priority | UnknownValue, ctx: RequestContext) -> m.Todo:
        todo = m.Todo(id=f"t{next(self.ids)}", title=title, priority=priority, done=False)
        self.todos[todo.id] = todo

        async def announce() -> None:  # after the response: the client sees the result first
            await ctx.peer.todo_changed(m.TodoChangedParams(todo=todo))

        ctx.after_response(announce)
        return todo

    async def todo_add(self, params: m.TodoAddParams, ctx: RequestContext) -> m.TodoAddResult:
        return m.TodoAddResult(todo=self._add(params.title, params.priority, ctx))

    async def todo_list(self, params: m.TodoListParams, ctx: RequestContext) -> m.TodoListResult:
        todos = [t for t in self.todos.values() if params.done is None or t.done == params.done]
        return m.TodoListResult(todos=todos)

    async def todo_complete(self, params: m.TodoCompleteParams, ctx: RequestContext) -> m.TodoCompleteResult:
        todo = self.todos.get(params.todo_id)
        if todo is None:
            raise TodoNotFound(m.TodoNotFoundErrorData(todo_id=params.todo_id))
        todo.done = True
        return m.TodoCompleteResult(todo=todo)

    async def agent_plan(self, params: m.AgentPlanParams, ctx: RequestContext) -> m.AgentPlanResult:
        answer = await ctx.peer.confirm_ask(m.ConfirmAskParams(question=f"Add a todo for {params.goal!r}?"))
        if not answer.approved:
            return m.AgentPlanResult(steps=[m.NoteStep(text="nothing added")])
        # A priority newer than these bindings know travels as an open enum's unknown value.
        todo = self._add(params.goal, UnknownValue("urgent"), ctx)
        return m.AgentPlanResult(steps=[m.NoteStep(text="planned"), m.TodoStep(todo_id=todo.id)])


if __name__ == "__main__":
    if sys.argv[1:] == ["--die"]:
        print("todo server: the database is gone", file=sys.stderr)
        sys.exit(3)
    asyncio.run(serve_stdio(TodoServer()))
