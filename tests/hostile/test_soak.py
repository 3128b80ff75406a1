"""Soak: many sessions streaming large turns at once while others read slowly, reconnect at random
points and post requests. Every event must arrive exactly once, in order, or its loss be reported
(`event: lost`); every request gets exactly one answer; the server's memory stays bounded.

Bounded work (about 20,000 events in all), seeded randomness, no timed assertion.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.server.support import HttpServer, http_server, run

from .support import Session, initialized, text, words

FAST, SLOW, RECONNECTING = "fast", "slow", "reconnecting"
PLAN = [(FAST, 2000)] * 6 + [(SLOW, 1500)] * 3 + [(RECONNECTING, 2000)] * 3
REQUEST_EVERY = 400  # events between two thread/list requests posted mid-stream
RSS_LIMIT_MIB = 400  # generous: a leak of every event (or a count-only buffer) would go far beyond


@dataclass
class Outcome:
    mode: str
    ids: list[int] = field(default_factory=list)
    answers: dict[int, int] = field(default_factory=dict)
    asked: set[int] = field(default_factory=set)
    text: str = ""
    lost: bool = False
    completed: bool = False


async def drive(server: HttpServer, http: httpx.AsyncClient, mode: str, count: int, rng: random.Random) -> Outcome:
    session = await initialized(server, http)
    outcome = Outcome(mode)
    outcome.asked.add(1)  # initialize
    outcome.asked.add(await session.send("thread/start", {"approvalPolicy": "never"}))
    last: int | None = None
    while not outcome.completed or outcome.asked - set(outcome.answers):
        reconnect_after = rng.randint(50, 1500) if mode == RECONNECTING else None
        async with session.stream(last_event_id=last) as events:
            async for event in events:
                if event.kind == "lost":
                    outcome.lost = True
                    return outcome
                assert event.event_id is not None
                outcome.ids.append(event.event_id)
                last = event.event_id
                await observe(session, outcome, event.data, count)
                if len(outcome.ids) % REQUEST_EVERY == 0:
                    outcome.asked.add(await session.send("thread/list", {"limit": 2}))
                if mode == SLOW and len(outcome.ids) % 25 == 0:
                    await asyncio.sleep(0.005)
                if outcome.completed and not outcome.asked - set(outcome.answers):
                    break
                if reconnect_after is not None and len(outcome.ids) % reconnect_after == 0:
                    break  # drop the stream at a random point and come back with Last-Event-ID
    await session.end()
    return outcome


async def observe(session: Session, outcome: Outcome, data: dict[str, object], count: int) -> None:
    request_id = data.get("id")
    if isinstance(request_id, int) and "method" not in data:
        outcome.answers[request_id] = outcome.answers.get(request_id, 0) + 1
    method, params = data.get("method"), data.get("params")
    if method == "thread/started" and isinstance(params, dict):
        outcome.asked.add(await session.send("turn/start", {"threadId": params["thread"]["id"], "input": text(words(count))}))
    elif method == "item/agentMessage/delta" and isinstance(params, dict):
        outcome.text += str(params["delta"])
    elif method == "turn/completed":
        outcome.completed = True


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_soak_many_sessions_slow_readers_reconnects_and_requests(tmp_path: Path) -> None:
    async def scenario() -> None:
        # 1 MiB per session: a slow reader's 230 KB turn hits the 256 KiB unsent limit (the agent waits),
        # and 768 KiB of sent events stay replayable for the reconnecting readers.
        options = ("--sse-buffer-bytes", str(1024 * 1024), "--slow-reader-seconds", "60")
        async with http_server(tmp_path, *options) as server, server.client() as http:
            rng = random.Random(14)
            drivers = [drive(server, http, mode, count, random.Random(rng.random())) for mode, count in PLAN]
            health = asyncio.create_task(keep_asking_health(http))
            outcomes = await asyncio.gather(*drivers)
            health.cancel()
            for (mode, count), outcome in zip(PLAN, outcomes, strict=True):
                if outcome.lost:  # allowed only for a slow reader, and only because it was told
                    assert mode == SLOW, f"a {mode} reader was declared lost"
                    continue
                assert outcome.ids == list(range(1, len(outcome.ids) + 1)), f"{mode}: an event was missed or repeated"
                assert all(outcome.answers.get(request, 0) == 1 for request in outcome.asked), f"{mode}: a request got no or two answers"
                assert outcome.text == words(count), f"{mode}: the streamed reply differs from the input"
            assert server.process.pid is not None
            assert rss_mib(server.process.pid) < RSS_LIMIT_MIB

    run(scenario())


async def keep_asking_health(http: httpx.AsyncClient) -> None:
    while True:
        assert (await http.get("/healthz")).status_code == 200
        await asyncio.sleep(0.05)
