"""The agent core's small interface, independent of the wire models.

The server runs one `Agent.run_turn(context)` per turn, as an asyncio task. Everything the agent
produces goes through the `TurnContext` the server implements: items (plain camelCase dicts shaped
like the v2 `ThreadItem` variants), streamed deltas, approval requests and the turn's diff. The
agent never sees JSON-RPC, sessions or the store.

How a turn ends is decided by how `run_turn` returns (see `turn_outcome`):
- returns normally                        -> turn `completed`
- the task is cancelled (turn/interrupt)  -> turn `interrupted`
- raises `TurnCancelled` (approval answered `cancel`) -> turn `interrupted`
- raises `AgentFailedError`               -> turn `failed`, error {code: agentFailed, message}
- raises anything else                    -> turn `failed`, error {code: internal} (details logged, not sent)

Contract for agents: every item passed to `start_item` is later passed to `complete_item` with the
same id and its final state, also when the turn is interrupted (complete, then re-raise).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal, Protocol

JsonDict = dict[str, Any]
ApprovalKind = Literal["commandExecution", "fileChange"]
Decision = Literal["accept", "acceptForSession", "decline", "cancel"]

DEFAULT_COMMAND_TIMEOUT = 60.0
"""Seconds before a `run:` command's process group is killed (`--command-timeout`)."""

AGENT_MESSAGE_DELTA = "item/agentMessage/delta"
"""Payload: {"delta": str}."""
COMMAND_OUTPUT_DELTA = "item/commandExecution/outputDelta"
"""Payload: {"delta": str, "stream": "stdout" | "stderr"}."""
REASONING_SUMMARY_DELTA = "item/reasoning/summaryTextDelta"
"""Payload: {"delta": str, "summaryIndex": int}."""


class TurnContext(Protocol):
    """What the server offers an agent for one turn. The server adds threadId/turnId to every notification."""

    @property
    def thread_id(self) -> str: ...

    @property
    def turn_id(self) -> str: ...

    @property
    def cwd(self) -> str:
        """The thread's working directory (inside `workspace_root`)."""

    @property
    def workspace_root(self) -> str:
        """The directory file changes must stay inside."""

    @property
    def input(self) -> list[JsonDict]:
        """The turn's `UserInput` dicts ({"type": "text", "text": ...}, image, mention)."""

    async def start_item(self, item: JsonDict) -> None:
        """`item/started`: the item in its initial state."""

    async def delta(self, item_id: str, method: str, payload: JsonDict) -> None:
        """A streamed delta: `method` is one of the *_DELTA constants, `payload` its own members."""

    async def complete_item(self, item: JsonDict) -> None:
        """`item/completed`: the item in its final state (the server also stores it)."""

    async def request_approval(self, kind: ApprovalKind, item: JsonDict, reason: str | None) -> Decision:
        """Ask the client, applying the thread's approval policy and session grants first.

        Returns at once with `accept` under policy `never` or after an earlier `acceptForSession`.
        Cancelled (asyncio) when the turn is interrupted while waiting.
        """

    async def diff_updated(self, diff: str) -> None:
        """`turn/diff/updated`: the aggregated unified diff of the turn's file changes so far."""


class Agent(Protocol):
    async def run_turn(self, turn: TurnContext) -> None:
        """Do the turn's work. Cancellation of the task means the turn was interrupted."""


class AgentFailedError(Exception):
    """The agent could not do the turn: the turn fails with {code: agentFailed, message}."""

    code = "agentFailed"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class TurnCancelled(Exception):
    """The client answered an approval with `cancel`: the turn ends as `interrupted`."""


def turn_outcome(error: BaseException | None) -> tuple[str, JsonDict | None]:
    """Map how `run_turn` ended to the turn's final (status, error), per the module docstring."""
    if error is None:
        return "completed", None
    if isinstance(error, asyncio.CancelledError | TurnCancelled):
        return "interrupted", None
    if isinstance(error, AgentFailedError):
        return "failed", {"code": AgentFailedError.code, "message": error.message}
    # Never put internals on the wire: the server logs the exception itself.
    return "failed", {"code": "internal", "message": "the agent stopped because of an internal error"}
