"""The thread and turn runtime shared by every connection of one server process.

It holds the loaded threads, runs at most one turn per thread as an asyncio task, and fans the
agent's output out to the connections subscribed to the thread. A connection subscribes when it
starts, resumes, forks or reads (with turns) a thread, or starts a turn on it.

Order of a turn's notifications (per subscriber): `turn/started`, `thread/status/changed` active,
the user's `userMessage` item, the agent's items (`item/started`, deltas, `item/completed`),
approval requests to the connection that started the turn (each settled by
`serverRequest/resolved`), `turn/diff/updated`, an `error` for a failed turn, `turn/completed`
(the turn's last notification), then `thread/status/changed` idle. The turn's end runs under the
thread's lock, so a client that answers `turn/completed` with a new `turn/start` is never told the
thread is still busy, and the idle status never arrives after the next turn's active status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from threadloom_protocol.v2 import models as m
from threadloom_protocol.v2.errors import InvalidParams, ThreadNotFound, TurnAlreadyActive, TurnNotFound
from threadloom_protocol.v2.server import ServerPeer
from threadloom_runtime.errors import ConnectionClosed, MessageTooLarge, ProtocolError
from threadloom_runtime.transport import DEFAULT_MAX_MESSAGE_BYTES
from threadloom_server.agent import (
    AGENT_MESSAGE_DELTA,
    COMMAND_OUTPUT_DELTA,
    REASONING_SUMMARY_DELTA,
    Agent,
    AgentFailedError,
    ApprovalKind,
    Decision,
    JsonDict,
    SessionGrants,
    TurnCancelled,
    decide,
    turn_outcome,
)
from threadloom_server.limits import cut_string, fit, fit_thread, fit_turns, payload_budget
from threadloom_server.store import StoreError, ThreadNotFoundError, ThreadStore

log = logging.getLogger("threadloom_server")
ModelT = TypeVar("ModelT", bound=BaseModel)

Send = Callable[[ServerPeer], Awaitable[None]]

# Items that act on the machine are stored when they start too: if the process dies while the
# command runs, the history still shows it (crash recovery closes it as failed).
STORED_AT_START = frozenset({"commandExecution", "fileChange"})


def wire(model: type[ModelT], data: JsonDict) -> ModelT:
    """A v2 model from a camelCase wire dict (what the store and the agent produce)."""
    return model.model_validate(data, by_alias=True, by_name=False)


@contextlib.contextmanager
def thread_errors() -> Iterator[None]:
    """The store's ThreadNotFoundError as the protocol's ThreadNotFound."""
    try:
        yield
    except ThreadNotFoundError as error:
        raise ThreadNotFound(m.ThreadNotFoundErrorData(thread_id=error.thread_id), f"no thread {error.thread_id}") from None


@dataclass(eq=False)
class ActiveTurn:
    turn_id: str
    owner: ServerPeer
    input: list[JsonDict]
    launched: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the `turn/start` response is written: only then may `turn/started` go out."""
    announced: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once `turn/started` went out: an interrupt waits for it, so `turn/completed` never comes first."""
    task: asyncio.Task[None] | None = None
    pending_approvals: dict[str, ServerPeer] = field(default_factory=dict)
    approvals_asked: int = 0
    steered: list[list[JsonDict]] = field(default_factory=list)
    interrupted: bool = False
    finishing: bool = False
    """The agent is done and the turn is being completed: too late to cancel (it would lose the end)."""


@dataclass(eq=False)
class LoadedThread:
    thread_id: str
    cwd: str
    approval_policy: str
    subscribers: set[ServerPeer] = field(default_factory=set)
    active: ActiveTurn | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ThreadRuntime:
    def __init__(self, store: ThreadStore, agent: Agent, workspace_root: Path, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self.store = store
        self.agent = agent
        self.workspace_root = workspace_root
        self.max_message_bytes = max_message_bytes
        self.payload_budget = payload_budget(max_message_bytes)
        self.grants = SessionGrants()
        self.threads: dict[str, LoadedThread] = {}

    # ------------------------------------------------------------------ threads and subscriptions

    def subscribe(self, thread: JsonDict, peer: ServerPeer) -> LoadedThread:
        """Load the thread (if needed) and subscribe `peer` to its notifications."""
        loaded = self._load(thread)
        loaded.subscribers.add(peer)
        return loaded

    def _load(self, thread: JsonDict) -> LoadedThread:
        loaded = self.threads.get(thread["id"])
        if loaded is None:
            loaded = LoadedThread(thread["id"], thread["cwd"], thread["approvalPolicy"])
            self.threads[thread["id"]] = loaded
        return loaded

    def view(self, thread: JsonDict) -> JsonDict:
        """The stored thread with the live status of a loaded thread (the store only knows `idle`)."""
        loaded = self.threads.get(thread["id"])
        if loaded is not None and loaded.active is not None:
            return {**thread, "status": "active"}
        return thread

    def get_thread(self, thread_id: str, *, include_turns: bool = False) -> JsonDict:
        with thread_errors():
            return self.view(self.store.get_thread(thread_id, include_turns=include_turns))

    def fitted(self, thread: JsonDict) -> JsonDict:
        """The thread as it may go on the wire: its history shaped to the message size limit."""
        return fit_thread(thread, self.payload_budget)

    def loaded_ids(self) -> list[str]:
        return sorted(self.threads)

    def disconnect(self, peer: ServerPeer) -> None:
        """A connection ended: forget it, and unload threads nobody watches any more."""
        for loaded in list(self.threads.values()):
            loaded.subscribers.discard(peer)
            if loaded.active is not None and loaded.active.owner is peer:
                # The response may never have been written: let the turn run (and end) anyway.
                loaded.active.launched.set()
            self._unload_if_unused(loaded)

    def _unload_if_unused(self, loaded: LoadedThread) -> None:
        if not loaded.subscribers and loaded.active is None:
            self.threads.pop(loaded.thread_id, None)

    async def broadcast(self, loaded: LoadedThread, send: Send) -> None:
        """Send to every subscriber; a connection that fails to take it is dropped, the turn goes on."""
        for peer in list(loaded.subscribers):
            await self._send_to(peer, send, loaded)

    async def _send_to(self, peer: ServerPeer, send: Send, loaded: LoadedThread | None = None) -> None:
        try:
            await send(peer)
        except MessageTooLarge:
            # A bug in the size contract (limits.py), not a dead peer: keep the subscriber, say so loudly.
            log.error("a message to a subscriber of thread %s is over the size limit and was not sent", loaded.thread_id if loaded else "?")
        except Exception as error:  # a dead pipe must not stop the turn for everyone else
            log.info("dropping a subscriber that cannot be written to: %s", error)
            if loaded is not None:
                loaded.subscribers.discard(peer)

    # ------------------------------------------------------------------ turns

    async def start_turn(self, thread_id: str, user_input: list[JsonDict], peer: ServerPeer) -> tuple[JsonDict, ActiveTurn]:
        """Record a new turn and create its task; the task waits for `ActiveTurn.launched` (set after the response)."""
        from threadloom_server.agent.scripted import inside as is_inside  # here: the agent loads on the first turn, not at start

        loaded = self._load(self.get_thread(thread_id))
        try:
            if not is_inside(str(self.workspace_root), loaded.cwd):
                raise InvalidParams(
                    m.InvalidParamsErrorData(path="/threadId", reason="the thread's cwd is outside the workspace root"),
                    f"Invalid params: the thread's cwd {loaded.cwd} is outside the workspace root {self.workspace_root}",
                )
            async with loaded.lock:
                if loaded.active is not None:
                    data = m.TurnAlreadyActiveErrorData(thread_id=thread_id, active_turn_id=loaded.active.turn_id)
                    raise TurnAlreadyActive(data, f"thread {thread_id} already runs turn {loaded.active.turn_id}")
                turn = self.store.append_turn(thread_id)
                user_item: JsonDict = {"type": "userMessage", "id": f"{turn['id']}-input", "content": user_input}
                self._save_first_item(thread_id, turn["id"], user_item)
                active = ActiveTurn(turn["id"], peer, user_input)
                loaded.active = active
                loaded.subscribers.add(peer)
                active.task = asyncio.create_task(self._run_turn(loaded, active, turn, user_item), name=f"turn {turn['id']}")
        finally:
            self._unload_if_unused(loaded)  # a refused start neither subscribes nor leaves the thread loaded
        return turn, active

    def _save_first_item(self, thread_id: str, turn_id: str, item: JsonDict) -> None:
        """Store the turn's input; if that fails the turn is closed as failed, never left `inProgress`."""
        try:
            self.store.save_item(thread_id, turn_id, item)
        except Exception:
            with contextlib.suppress(StoreError):
                self.store.update_turn(thread_id, turn_id, status="failed", error={"code": "internal", "message": "the input could not be stored"})
            raise

    def find_active(self, thread_id: str, turn_id: str) -> tuple[LoadedThread, ActiveTurn]:
        loaded = self.threads.get(thread_id)
        active = loaded.active if loaded is not None else None
        if loaded is None or active is None or active.turn_id != turn_id:
            self.get_thread(thread_id)  # ThreadNotFound first when the thread does not exist at all
            raise TurnNotFound(m.TurnNotFoundErrorData(thread_id=thread_id, turn_id=turn_id), f"turn {turn_id} is not running on thread {thread_id}")
        return loaded, active

    async def interrupt(self, active: ActiveTurn) -> None:
        """Cancel the turn's task (once); it resolves pending approvals and completes as interrupted."""
        if active.interrupted or active.task is None:
            return
        active.interrupted = True
        active.launched.set()
        await active.announced.wait()
        if not active.finishing:
            active.task.cancel()

    async def steer(self, thread_id: str, turn_id: str, user_input: list[JsonDict]) -> None:
        """Record extra input for the running turn as a userMessage item (the agent may read `steered`)."""
        loaded, active = self.find_active(thread_id, turn_id)
        async with loaded.lock:
            if loaded.active is not active:
                raise TurnNotFound(m.TurnNotFoundErrorData(thread_id=thread_id, turn_id=turn_id), f"turn {turn_id} has ended")
            active.steered.append(user_input)
            item: JsonDict = {"type": "userMessage", "id": f"{turn_id}-steer-{len(active.steered)}", "content": user_input}
            self.store.save_item(thread_id, turn_id, item)
            await self._item_lifecycle(loaded, turn_id, item)

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Interrupt every running turn and wait until each is stored and announced as interrupted.

        Bounded: a client that stopped reading must not keep the process alive. A turn that did not
        finish in time stays `inProgress` in the store, which marks it interrupted at the next start.
        """
        running = [loaded.active for loaded in self.threads.values() if loaded.active is not None]

        async def stop_all() -> None:
            for active in running:
                await self.interrupt(active)
            await asyncio.gather(*(active.task for active in running if active.task is not None), return_exceptions=True)

        try:
            await asyncio.wait_for(stop_all(), timeout)
        except TimeoutError:
            log.warning("%d turn(s) did not end within %gs of shutdown; they are marked interrupted at the next start", len(running), timeout)

    async def _item_lifecycle(self, loaded: LoadedThread, turn_id: str, item: JsonDict) -> None:
        started = wire(m.ItemStartedParams, {"threadId": loaded.thread_id, "turnId": turn_id, "item": item})
        completed = wire(m.ItemCompletedParams, {"threadId": loaded.thread_id, "turnId": turn_id, "item": item})
        await self.broadcast(loaded, lambda peer: peer.item_started(started))
        await self.broadcast(loaded, lambda peer: peer.item_completed(completed))

    async def _set_status(self, loaded: LoadedThread, status: m.ThreadStatus) -> None:
        params = m.ThreadStatusChangedParams(thread_id=loaded.thread_id, status=status)
        await self.broadcast(loaded, lambda peer: peer.thread_status_changed(params))

    async def _run_turn(self, loaded: LoadedThread, active: ActiveTurn, turn: JsonDict, user_item: JsonDict) -> None:
        await active.launched.wait()
        started = m.TurnStartedParams(thread_id=loaded.thread_id, turn=wire(m.Turn, turn))
        await self.broadcast(loaded, lambda peer: peer.turn_started(started))
        await self._set_status(loaded, m.ThreadStatus.active)
        await self._item_lifecycle(loaded, active.turn_id, user_item)
        active.announced.set()
        error: BaseException | None = None
        try:
            await self.agent.run_turn(ServerTurnContext(self, loaded, active))
        except asyncio.CancelledError as cancelled:
            error = cancelled
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # the interrupt is handled here: the turn still has to be completed
        except (AgentFailedError, TurnCancelled) as stopped:
            error = stopped
        except Exception as failure:
            log.exception("the agent failed in turn %s", active.turn_id)
            error = failure
        active.finishing = True  # no await since the agent returned: an interrupt cannot slip in between
        await self._finish_turn(loaded, active, error)

    async def _finish_turn(self, loaded: LoadedThread, active: ActiveTurn, error: BaseException | None) -> None:
        status, turn_error = turn_outcome(error)
        thread_id = loaded.thread_id
        async with loaded.lock:
            for request_id, peer in list(active.pending_approvals.items()):
                await self._send_to(peer, _resolved(thread_id, request_id))
            active.pending_approvals.clear()
            try:
                final = self.store.update_turn(thread_id, active.turn_id, status=status, error=turn_error)
            except StoreError:
                log.exception("cannot store the end of turn %s", active.turn_id)
                final = {"id": active.turn_id, "status": status, "items": [], "error": turn_error}
            if turn_error is not None:
                notice = m.ErrorNotificationParams(thread_id=thread_id, turn_id=active.turn_id, error=wire(m.TurnError, turn_error), will_retry=False)
                await self.broadcast(loaded, lambda peer: peer.error(notice))
            final = fit_turns([final], self.payload_budget)[0]
            completed = m.TurnCompletedParams(thread_id=thread_id, turn=wire(m.Turn, final))
            await self.broadcast(loaded, lambda peer: peer.turn_completed(completed))
            loaded.active = None
            await self._set_status(loaded, m.ThreadStatus.idle)
        self._unload_if_unused(loaded)


def _resolved(thread_id: str, request_id: str) -> Send:
    params = m.ServerRequestResolvedParams(thread_id=thread_id, request_id=request_id)
    return lambda peer: peer.server_request_resolved(params)


class ServerTurnContext:
    """The `TurnContext` the agent sees: every call becomes notifications to the thread's subscribers."""

    def __init__(self, runtime: ThreadRuntime, loaded: LoadedThread, active: ActiveTurn) -> None:
        self._runtime = runtime
        self._loaded = loaded
        self._active = active

    @property
    def thread_id(self) -> str:
        return self._loaded.thread_id

    @property
    def turn_id(self) -> str:
        return self._active.turn_id

    @property
    def cwd(self) -> str:
        return self._loaded.cwd

    @property
    def workspace_root(self) -> str:
        return str(self._runtime.workspace_root)

    @property
    def input(self) -> list[JsonDict]:
        return self._active.input

    @property
    def steered(self) -> list[list[JsonDict]]:
        """Input added with `turn/steer` so far (the scripted agent ignores it)."""
        return self._active.steered

    def _ids(self) -> JsonDict:
        return {"threadId": self.thread_id, "turnId": self.turn_id}

    async def start_item(self, item: JsonDict) -> None:
        if item.get("type") in STORED_AT_START:
            self._runtime.store.save_item(self.thread_id, self.turn_id, item)
        params = wire(m.ItemStartedParams, {**self._ids(), "item": fit(item, self._runtime.payload_budget)})
        await self._runtime.broadcast(self._loaded, lambda peer: peer.item_started(params))

    async def delta(self, item_id: str, method: str, payload: JsonDict) -> None:
        # A delta too big for one message goes out as several (JSON may escape a character into 6 bytes).
        text, piece = payload.get("delta"), max(64, self._runtime.payload_budget // 8)
        if isinstance(text, str) and len(text) > piece:
            for start in range(0, len(text), piece):
                await self.delta(item_id, method, {**payload, "delta": text[start : start + piece]})
            return
        data = {**self._ids(), "itemId": item_id, **payload}
        send: Send
        if method == AGENT_MESSAGE_DELTA:
            agent_message = wire(m.AgentMessageDeltaParams, data)
            send = lambda peer: peer.item_agent_message_delta(agent_message)  # noqa: E731
        elif method == COMMAND_OUTPUT_DELTA:
            output = wire(m.CommandExecutionOutputDeltaParams, data)
            send = lambda peer: peer.item_command_execution_output_delta(output)  # noqa: E731
        elif method == REASONING_SUMMARY_DELTA:
            summary = wire(m.ReasoningSummaryTextDeltaParams, data)
            send = lambda peer: peer.item_reasoning_summary_text_delta(summary)  # noqa: E731
        else:
            raise ValueError(f"unknown delta method {method!r}")
        await self._runtime.broadcast(self._loaded, send)

    async def complete_item(self, item: JsonDict) -> None:
        self._runtime.store.save_item(self.thread_id, self.turn_id, item)
        params = wire(m.ItemCompletedParams, {**self._ids(), "item": fit(item, self._runtime.payload_budget)})
        await self._runtime.broadcast(self._loaded, lambda peer: peer.item_completed(params))

    async def diff_updated(self, diff: str) -> None:
        # The turn's aggregated diff grows with every change: cut (with a marker) to fit one message.
        diff = cut_string(diff, self._runtime.payload_budget)
        params = m.TurnDiffUpdatedParams(thread_id=self.thread_id, turn_id=self.turn_id, diff=diff)
        await self._runtime.broadcast(self._loaded, lambda peer: peer.turn_diff_updated(params))

    async def request_approval(self, kind: ApprovalKind, item: JsonDict, reason: str | None) -> Decision:
        return await decide(self._loaded.approval_policy, self._runtime.grants, self.thread_id, lambda: self._ask(kind, item, reason))

    async def _ask(self, kind: ApprovalKind, item: JsonDict, reason: str | None) -> Decision:
        """Ask the connection that started the turn; settle with `serverRequest/resolved` however it ends."""
        active = self._active
        active.approvals_asked += 1
        request_id = f"{self.turn_id}-approval-{active.approvals_asked}"
        peer = active.owner
        active.pending_approvals[request_id] = peer
        try:
            answer = await self._send_request(peer, kind, item, reason, request_id)
        except ConnectionClosed:
            # Nobody is left to approve: treat it as `cancel`, which interrupts the turn.
            active.pending_approvals.pop(request_id, None)
            return "cancel"
        except ProtocolError as error:
            log.warning("approval %s failed (%s): declined", request_id, error)
            answer = "decline"
        finally:
            if active.pending_approvals.pop(request_id, None) is not None:
                await self._runtime._send_to(peer, _resolved(self.thread_id, request_id))
        return answer

    async def _send_request(self, peer: ServerPeer, kind: ApprovalKind, item: JsonDict, reason: str | None, request_id: str) -> Decision:
        if kind == "commandExecution":
            command = m.CommandExecutionRequestApprovalParams(
                thread_id=self.thread_id, turn_id=self.turn_id, item_id=item["id"], command=item["command"], cwd=item["cwd"], reason=reason
            )
            result = await peer.item_command_execution_request_approval(command, request_id=request_id)
        else:
            change = wire(m.FileChangeRequestApprovalParams, {**self._ids(), "itemId": item["id"], "changes": item["changes"], "reason": reason})
            result = await peer.item_file_change_request_approval(change, request_id=request_id)
        decision: Decision = result.decision.value
        return decision
