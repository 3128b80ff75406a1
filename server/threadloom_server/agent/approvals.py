"""Approval policy and session grants, for the server's TurnContext.request_approval.

Policy `never` accepts without asking. After a client answers `acceptForSession`, the thread is not
asked again (any kind of approval) until the server restarts: grants live in memory only, on
purpose, so a restart always asks again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from threadloom_server.agent.interface import Decision


class SessionGrants:
    """Threads whose client answered `acceptForSession`. One instance per server process."""

    def __init__(self) -> None:
        self._threads: set[str] = set()

    def granted(self, thread_id: str) -> bool:
        return thread_id in self._threads

    def grant(self, thread_id: str) -> None:
        self._threads.add(thread_id)

    def revoke(self, thread_id: str) -> None:
        self._threads.discard(thread_id)


async def decide(policy: str, grants: SessionGrants, thread_id: str, ask: Callable[[], Awaitable[Decision]]) -> Decision:
    """The decision for one approval: from the policy or a grant when possible, else from `ask()` (the client)."""
    if policy == "never" or grants.granted(thread_id):
        return "accept"
    decision = await ask()
    if decision == "acceptForSession":
        grants.grant(thread_id)
    return decision
