"""Approval policy and session grants (the helper the server's TurnContext uses)."""

from __future__ import annotations

import asyncio

from threadloom_server.agent import Decision, SessionGrants, decide


class Client:
    def __init__(self, *answers: Decision) -> None:
        self.answers = list(answers)
        self.asked = 0

    async def ask(self) -> Decision:
        self.asked += 1
        return self.answers.pop(0)


def test_policy_never_accepts_without_asking() -> None:
    client = Client()
    assert asyncio.run(decide("never", SessionGrants(), "t", client.ask)) == "accept"
    assert client.asked == 0


def test_policy_always_asks_every_time() -> None:
    client = Client("accept", "decline", "cancel")
    grants = SessionGrants()
    answers = [asyncio.run(decide("always", grants, "t", client.ask)) for _ in range(3)]
    assert answers == ["accept", "decline", "cancel"]
    assert client.asked == 3


def test_accept_for_session_stops_asking_for_that_thread_only() -> None:
    client = Client("acceptForSession", "decline")
    grants = SessionGrants()
    assert asyncio.run(decide("always", grants, "t1", client.ask)) == "acceptForSession"
    assert asyncio.run(decide("always", grants, "t1", client.ask)) == "accept"
    assert client.asked == 1
    assert asyncio.run(decide("always", grants, "t2", client.ask)) == "decline"
    assert client.asked == 2
    grants.revoke("t1")
    assert not grants.granted("t1")
