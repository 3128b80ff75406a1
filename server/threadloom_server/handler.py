"""The reference server's `ServerHandler`: every v2 method, on top of the shared `ThreadRuntime`.

One handler object serves every connection; a connection is identified by its `ctx.peer`. v1
clients are served by the same code: the bindings' runtime negotiates the version, answers -32601
for methods newer than the client, and downgrades everything sent to it.
"""

from __future__ import annotations

from typing import Any

import orjson

from threadloom_protocol.v2 import models as m
from threadloom_protocol.v2.errors import InvalidParams
from threadloom_protocol.v2.server import RequestContext, ServerHandler
from threadloom_server.agent import JsonDict
from threadloom_server.handshake import initialize_result
from threadloom_server.limits import fit_page, shown_budget
from threadloom_server.store import ArchiveFilter, InvalidCursorError
from threadloom_server.store.sqlite_store import encode_cursor
from threadloom_server.threads import ThreadRuntime, thread_errors, wire

MAX_NAME_BYTES = 1024


def dump(model: Any) -> JsonDict:
    data: JsonDict = model.model_dump(by_alias=True, exclude_unset=True)
    return data


def invalid_params(path: str, reason: str) -> InvalidParams:
    return InvalidParams(m.InvalidParamsErrorData(path=path, reason=reason), f"Invalid params: {reason}")


def check_name(name: str | None) -> None:
    """A thread name is a short label: every thread of a `thread/list` page carries it."""
    if name is None:
        return
    from threadloom_server.agent.files import os_problem  # here: the agent's modules load after `initialize` is answered

    problem = os_problem(name)
    if problem is not None:
        raise invalid_params("/name", f"the name cannot be stored: {problem}")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise invalid_params("/name", f"the name is longer than {MAX_NAME_BYTES} bytes")


class AppServerHandler(ServerHandler):
    def __init__(self, runtime: ThreadRuntime) -> None:
        self.runtime = runtime
        self.workspace_root = runtime.workspace_root.resolve()

    async def initialize(self, params: m.InitializeParams, ctx: RequestContext) -> m.InitializeResult:
        # The runtime has refused a second handshake and negotiated the version already. The answer
        # comes from the function the early handshake uses too (threadloom_server.handshake).
        return m.InitializeResult.model_validate(initialize_result(ctx.protocol_version))

    # ------------------------------------------------------------------ threads

    async def thread_start(self, params: m.ThreadStartParams, ctx: RequestContext) -> m.ThreadStartResult:
        check_name(params.name)
        cwd = self._resolve_cwd(params.cwd)
        policy = params.approval_policy.value if params.approval_policy is not None else m.ApprovalPolicy.always.value
        stored = self.runtime.store.create_thread(cwd=cwd, approval_policy=policy, name=params.name)
        self.runtime.subscribe(stored, ctx.peer)
        thread = wire(m.Thread, stored)
        ctx.after_response(lambda: ctx.peer.thread_started(m.ThreadStartedParams(thread=thread)))
        return m.ThreadStartResult(thread=thread)

    async def thread_resume(self, params: m.ThreadResumeParams, ctx: RequestContext) -> m.ThreadResumeResult:
        stored = self.runtime.get_thread(params.thread_id, include_turns=True)
        self.runtime.subscribe(stored, ctx.peer)
        return m.ThreadResumeResult(thread=wire(m.Thread, self.runtime.fitted(stored)))

    async def thread_fork(self, params: m.ThreadForkParams, ctx: RequestContext) -> m.ThreadForkResult:
        with thread_errors():
            stored = self.runtime.store.fork_thread(params.thread_id)
        self.runtime.subscribe(stored, ctx.peer)
        announced = wire(m.Thread, {key: value for key, value in stored.items() if key != "turns"})
        ctx.after_response(lambda: ctx.peer.thread_started(m.ThreadStartedParams(thread=announced)))
        return m.ThreadForkResult(thread=wire(m.Thread, self.runtime.fitted(stored)))

    async def thread_list(self, params: m.ThreadListParams, ctx: RequestContext) -> m.ThreadListResult:
        try:
            page = self.runtime.store.list_threads(
                limit=params.limit if params.limit is not None else 25,
                cursor=params.cursor,
                archive_filter=self._archive_filter(params),
                cwd=params.cwd,
            )
        except InvalidCursorError as error:
            raise invalid_params("/cursor", str(error)) from None
        page["data"] = [self.runtime.view(thread) for thread in page["data"]]
        return wire(m.ThreadListResult, fit_page(page, self.runtime.payload_budget, lambda thread: encode_cursor(thread["updatedAt"], thread["id"])))

    async def thread_read(self, params: m.ThreadReadParams, ctx: RequestContext) -> m.ThreadReadResult:
        stored = self.runtime.get_thread(params.thread_id, include_turns=bool(params.include_turns))
        if params.include_turns:
            self.runtime.subscribe(stored, ctx.peer)
        return m.ThreadReadResult(thread=wire(m.Thread, self.runtime.fitted(stored)))

    async def thread_archive(self, params: m.ThreadArchiveParams, ctx: RequestContext) -> m.EmptyResult:
        with thread_errors():
            self.runtime.store.archive_thread(params.thread_id)
        return m.EmptyResult()

    async def thread_unarchive(self, params: m.ThreadUnarchiveParams, ctx: RequestContext) -> m.EmptyResult:
        with thread_errors():
            self.runtime.store.unarchive_thread(params.thread_id)
        return m.EmptyResult()

    async def thread_name_set(self, params: m.ThreadNameSetParams, ctx: RequestContext) -> m.EmptyResult:
        check_name(params.name)
        with thread_errors():
            self.runtime.store.set_thread_name(params.thread_id, params.name)
        return m.EmptyResult()

    async def thread_loaded_list(self, params: m.ThreadLoadedListParams, ctx: RequestContext) -> m.ThreadLoadedListResult:
        return m.ThreadLoadedListResult(data=self.runtime.loaded_ids())

    # ------------------------------------------------------------------ turns

    async def turn_start(self, params: m.TurnStartParams, ctx: RequestContext) -> m.TurnStartResult:
        user_input = self._checked_input([dump(part) for part in params.input])
        turn, active = await self.runtime.start_turn(params.thread_id, user_input, ctx.peer)

        async def launch() -> None:  # `turn/started` only after this response is on the wire
            active.launched.set()

        ctx.after_response(launch)
        return m.TurnStartResult(turn=wire(m.Turn, turn))

    async def turn_interrupt(self, params: m.TurnInterruptParams, ctx: RequestContext) -> m.EmptyResult:
        _, active = self.runtime.find_active(params.thread_id, params.turn_id)
        # After the response: the interrupt is acknowledged before the turn's `turn/completed`.
        ctx.after_response(lambda: self.runtime.interrupt(active))
        return m.EmptyResult()

    async def turn_steer(self, params: m.TurnSteerParams, ctx: RequestContext) -> m.TurnSteerResult:
        await self.runtime.steer(params.thread_id, params.expected_turn_id, self._checked_input([dump(part) for part in params.input]))
        return m.TurnSteerResult(turn_id=params.expected_turn_id)

    # ------------------------------------------------------------------ helpers

    def _checked_input(self, user_input: list[JsonDict]) -> list[JsonDict]:
        """Input the store can keep and every message can carry, checked before anything is committed."""
        try:
            encoded = orjson.dumps(user_input)
        except orjson.JSONEncodeError as error:
            raise invalid_params("/input", f"the input cannot be stored: {error}") from None
        limit = shown_budget(self.runtime.max_message_bytes)
        if len(encoded) > limit:
            raise invalid_params("/input", f"the input is {len(encoded)} bytes; at most {limit} are accepted")
        return user_input

    def _resolve_cwd(self, cwd: str | None) -> str:
        """The thread's directory: the workspace root by default; relative paths are relative to the root."""
        if cwd is None:
            return str(self.workspace_root)
        from threadloom_server.agent.files import os_problem  # here: the agent's modules load after `initialize` is answered

        problem = os_problem(cwd)
        if problem is not None:
            raise invalid_params("/cwd", f"the cwd cannot be used: {problem}")
        path = (self.workspace_root / cwd).resolve()
        if path != self.workspace_root and self.workspace_root not in path.parents:
            raise invalid_params("/cwd", f"{cwd} is outside the workspace root {self.workspace_root}")
        if not path.is_dir():
            raise invalid_params("/cwd", f"{cwd} is not a directory")
        return str(path)

    @staticmethod
    def _archive_filter(params: m.ThreadListParams) -> ArchiveFilter:
        if params.archive_filter is not None:
            value = params.archive_filter.value
            assert value in ("active", "archived", "all")
            return value  # type: ignore[return-value]
        return "archived" if params.archived else "active"
