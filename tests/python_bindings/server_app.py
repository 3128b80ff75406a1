"""A small server on the generated v2 stubs, run as a real process by the end-to-end tests.

`python -m tests.python_bindings.server_app` serves stdin/stdout. Behaviour hooks for the tests:
- thread/read of thread id `wait-for-release` blocks until a thread/archive of `release` arrives
  (proves two requests are in flight at once);
- thread/name/set with the name `boom` raises a plain exception (must become -32603);
- thread/read of an unknown id raises the typed ThreadNotFound error;
- turn/start runs a scripted turn after its response: turn/started, a reasoning item (v2 only),
  an agent message, a command that needs approval (server->client request), the v2-only
  thread/status/changed and turn/diff/updated notifications, and turn/completed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys

from threadloom_protocol.v2 import models as m
from threadloom_protocol.v2.errors import ThreadNotFound
from threadloom_protocol.v2.server import RequestContext, ServerHandler, serve_stdio

EMPTY = m.EmptyResult()


class ScriptedServer(ServerHandler):
    def __init__(self) -> None:
        self.threads: dict[str, m.Thread] = {}
        self.ids = itertools.count(1)
        self.released = asyncio.Event()

    async def initialize(self, params: m.InitializeParams, ctx: RequestContext) -> m.InitializeResult:
        # protocolVersion is left out: the runtime writes the negotiated one (and v1 clients get none).
        return m.InitializeResult(server_info=m.ServerInfo(name="scripted-test-server", version="1"))

    def _thread(self, thread_id: str) -> m.Thread:
        if thread_id not in self.threads:
            raise ThreadNotFound(m.ThreadNotFoundErrorData(thread_id=thread_id))
        return self.threads[thread_id]

    async def thread_start(self, params: m.ThreadStartParams, ctx: RequestContext) -> m.ThreadStartResult:
        thread_id = f"thr_{next(self.ids)}"
        thread = m.Thread(
            id=thread_id,
            created_at=1,
            updated_at=1,
            cwd=params.cwd or "/work",
            approval_policy=params.approval_policy or m.ApprovalPolicy.always,
            preview="",
            archived=False,
            status=m.ThreadStatus.idle,
            name=params.name,
            forked_from_id=None,
        )
        self.threads[thread_id] = thread

        async def announce() -> None:
            await ctx.peer.thread_started(m.ThreadStartedParams(thread=thread))

        ctx.after_response(announce)
        return m.ThreadStartResult(thread=thread)

    async def thread_resume(self, params: m.ThreadResumeParams, ctx: RequestContext) -> m.ThreadResumeResult:
        return m.ThreadResumeResult(thread=self._thread(params.thread_id))

    async def thread_fork(self, params: m.ThreadForkParams, ctx: RequestContext) -> m.ThreadForkResult:
        source = self._thread(params.thread_id)
        fork = source.model_copy(update={"id": f"thr_{next(self.ids)}", "forked_from_id": source.id})
        self.threads[fork.id] = fork
        return m.ThreadForkResult(thread=fork)

    async def thread_list(self, params: m.ThreadListParams, ctx: RequestContext) -> m.ThreadListResult:
        return m.ThreadListResult(data=list(self.threads.values()), next_cursor=None)

    async def thread_read(self, params: m.ThreadReadParams, ctx: RequestContext) -> m.ThreadReadResult:
        if params.thread_id == "wait-for-release":
            await self.released.wait()
            return m.ThreadReadResult(thread=next(iter(self.threads.values())))
        return m.ThreadReadResult(thread=self._thread(params.thread_id))

    async def thread_archive(self, params: m.ThreadArchiveParams, ctx: RequestContext) -> m.EmptyResult:
        if params.thread_id == "release":
            self.released.set()
            return EMPTY
        self._thread(params.thread_id).archived = True
        return EMPTY

    async def thread_unarchive(self, params: m.ThreadUnarchiveParams, ctx: RequestContext) -> m.EmptyResult:
        self._thread(params.thread_id).archived = False
        return EMPTY

    async def thread_name_set(self, params: m.ThreadNameSetParams, ctx: RequestContext) -> m.EmptyResult:
        if params.name == "boom":
            raise RuntimeError("secret internal detail /etc/passwd")
        self._thread(params.thread_id).name = params.name
        return EMPTY

    async def thread_loaded_list(self, params: m.ThreadLoadedListParams, ctx: RequestContext) -> m.ThreadLoadedListResult:
        return m.ThreadLoadedListResult(data=sorted(self.threads))

    async def turn_start(self, params: m.TurnStartParams, ctx: RequestContext) -> m.TurnStartResult:
        self._thread(params.thread_id)
        turn = m.Turn(id=f"turn_{next(self.ids)}", status=m.TurnStatus.in_progress, items=[], error=None, started_at=5, duration_ms=None)

        async def run() -> None:
            await self._run_turn(params.thread_id, turn, ctx)

        ctx.after_response(run)
        return m.TurnStartResult(turn=turn)

    async def _run_turn(self, thread_id: str, turn: m.Turn, ctx: RequestContext) -> None:
        peer = ctx.peer
        await peer.turn_started(m.TurnStartedParams(thread_id=thread_id, turn=turn))
        await peer.thread_status_changed(m.ThreadStatusChangedParams(thread_id=thread_id, status=m.ThreadStatus.active))
        reasoning = m.ReasoningItem(type="reasoning", id="item_r", summary=["thinking"])
        await peer.item_started(m.ItemStartedParams(thread_id=thread_id, turn_id=turn.id, item=reasoning))
        message = m.AgentMessageItem(type="agentMessage", id="item_m", text="")
        await peer.item_started(m.ItemStartedParams(thread_id=thread_id, turn_id=turn.id, item=message))
        await peer.item_agent_message_delta(m.AgentMessageDeltaParams(thread_id=thread_id, turn_id=turn.id, item_id="item_m", delta="hello"))
        message = m.AgentMessageItem(type="agentMessage", id="item_m", text="hello")
        await peer.item_completed(m.ItemCompletedParams(thread_id=thread_id, turn_id=turn.id, item=message))
        approval = await peer.item_command_execution_request_approval(
            m.CommandExecutionRequestApprovalParams(thread_id=thread_id, turn_id=turn.id, item_id="item_c", command="ls", cwd="/work", reason=None),
            request_id=f"approval-{turn.id}",
        )
        await peer.server_request_resolved(m.ServerRequestResolvedParams(thread_id=thread_id, request_id=f"approval-{turn.id}"))
        accepted = approval.decision in (m.ApprovalDecision.accept, m.ApprovalDecision.accept_for_session)
        command = m.CommandExecutionItem(
            type="commandExecution",
            id="item_c",
            command="ls",
            cwd="/work",
            status=m.CommandExecutionStatus.completed if accepted else m.CommandExecutionStatus.declined,
            aggregated_output="a.txt\n" if accepted else None,
            exit_code=0 if accepted else None,
            duration_ms=3 if accepted else None,
        )
        await peer.item_completed(m.ItemCompletedParams(thread_id=thread_id, turn_id=turn.id, item=command))
        await peer.turn_diff_updated(m.TurnDiffUpdatedParams(thread_id=thread_id, turn_id=turn.id, diff=""))
        plan = m.PlanItem(type="plan", id="item_p", steps=[m.PlanStep(step="look", status=m.PlanStepStatus.completed)])
        done = turn.model_copy(update={"status": m.TurnStatus.completed, "items": [reasoning, message, command, plan], "duration_ms": 7})
        await peer.turn_completed(m.TurnCompletedParams(thread_id=thread_id, turn=done))

    async def turn_interrupt(self, params: m.TurnInterruptParams, ctx: RequestContext) -> m.EmptyResult:
        return EMPTY

    async def turn_steer(self, params: m.TurnSteerParams, ctx: RequestContext) -> m.TurnSteerResult:
        return m.TurnSteerResult(turn_id=params.expected_turn_id)


def main() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    asyncio.run(serve_stdio(ScriptedServer()))


if __name__ == "__main__":
    main()
