"""A TurnContext test double that records what an agent does and checks the item lifecycle as it goes."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.hang import HANG_LIMIT
from threadloom_server.agent import Agent, ApprovalKind, Decision, ScriptedAgent

from .wire import assert_strict_item

Event = tuple[Any, ...]


@dataclass
class RecordingContext:
    cwd: str
    workspace_root: str
    input: list[dict[str, Any]]
    thread_id: str = "thread-1"
    turn_id: str = "turn-1"
    decisions: list[Decision] = field(default_factory=list)
    """Answers to approvals in order; `accept` once they run out."""
    hold_approvals: bool = False
    """Never answer approvals (a client that does not reply)."""
    events: list[Event] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    _open: set[str] = field(default_factory=set)
    _closed: set[str] = field(default_factory=set)

    def _record(self, event: Event) -> None:
        self.events.append(event)
        self.changed.set()

    def _require_open(self, item_id: str) -> None:
        assert item_id in self._open, f"item {item_id} is not started, or already completed"

    async def start_item(self, item: dict[str, Any]) -> None:
        assert item["id"] not in self._open | self._closed, f"item {item['id']} started twice"
        self._open.add(item["id"])
        self._record(("started", copy.deepcopy(item)))

    async def delta(self, item_id: str, method: str, payload: dict[str, Any]) -> None:
        self._require_open(item_id)
        self._record(("delta", item_id, method, dict(payload)))

    async def complete_item(self, item: dict[str, Any]) -> None:
        self._require_open(item["id"])
        self._open.remove(item["id"])
        self._closed.add(item["id"])
        self._record(("completed", copy.deepcopy(item)))

    async def request_approval(self, kind: ApprovalKind, item: dict[str, Any], reason: str | None) -> Decision:
        self._require_open(item["id"])
        self._record(("approval", kind, copy.deepcopy(item), reason))
        if self.hold_approvals:
            await asyncio.Event().wait()
        return self.decisions.pop(0) if self.decisions else "accept"

    async def diff_updated(self, diff: str) -> None:
        self._record(("diff", diff))

    # ------------------------------------------------------------- reading the record

    @property
    def all_items_closed(self) -> bool:
        return not self._open

    def kinds(self) -> list[str]:
        return [event[0] for event in self.events]

    def completed(self) -> list[dict[str, Any]]:
        return [event[1] for event in self.events if event[0] == "completed"]

    def deltas(self, item_id: str) -> list[tuple[str, dict[str, Any]]]:
        return [(event[2], event[3]) for event in self.events if event[0] == "delta" and event[1] == item_id]

    def approvals(self) -> list[Event]:
        return [event for event in self.events if event[0] == "approval"]

    def diffs(self) -> list[str]:
        return [event[1] for event in self.events if event[0] == "diff"]

    async def wait_for(self, predicate: Any) -> None:
        """Wait until `predicate(self)` holds; `HANG_LIMIT` only stops a hung test, nothing is timed."""
        async with asyncio.timeout(HANG_LIMIT):
            while not predicate(self):
                self.changed.clear()
                await self.changed.wait()


async def run_agent(agent: Agent, context: RecordingContext) -> BaseException | None:
    """Run one turn; return the exception it ended with (None when it completed)."""
    try:
        await agent.run_turn(context)
    except Exception as error:
        return error
    return None


AGENT = ScriptedAgent(command_timeout=20)


def context_for(script: str, workspace: Path, *, cwd: Path | None = None, decisions: list[Decision] | None = None) -> RecordingContext:
    return RecordingContext(
        cwd=str(cwd or workspace),
        workspace_root=str(workspace),
        input=[{"type": "text", "text": script}],
        decisions=list(decisions or []),
    )


def play(script: str, workspace: Path, *, agent: ScriptedAgent = AGENT, **options: Any) -> tuple[RecordingContext, BaseException | None]:
    context = context_for(script, workspace, **options)
    error = asyncio.run(run_agent(agent, context))
    assert context.all_items_closed, "every started item must be completed"
    for item in context.completed():
        assert_strict_item(item)
    return context, error
