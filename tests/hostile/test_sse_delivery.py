"""SSE delivery under pressure: exactly once, in order, or an explicit `lost` + 410 (never a silent gap)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.server.support import http_server, run

from .support import Session, SseEvent, initialized, text, words


async def start_thread(session: Session) -> int:
    return await session.send("thread/start", {"approvalPolicy": "never"})


def test_a_huge_turn_reaches_a_fast_reader_whole_through_a_small_buffer(tmp_path: Path) -> None:
    """30,000 deltas through a 64 KiB buffer: the agent waits for the reader instead of losing events."""

    async def scenario() -> None:
        async with http_server(tmp_path, "--sse-buffer-bytes", "65536") as server, server.client() as http:
            session = await initialized(server, http)
            thread_request = await start_thread(session)
            seen: list[SseEvent] = []
            async with session.stream() as events:
                async for event in events:
                    seen.append(event)
                    if event.data.get("id") == thread_request:
                        thread_id = event.data["result"]["thread"]["id"]
                        turn_request = await session.send("turn/start", {"threadId": thread_id, "input": text(words(30_000))})
                    if event.data.get("method") == "turn/completed":
                        break
            ids = [event.event_id for event in seen]
            assert ids == list(range(1, len(ids) + 1)), "every event exactly once, in order"
            assert any(event.data.get("id") == turn_request and "result" in event.data for event in seen), "the turn/start response arrived"
            deltas = [event for event in seen if event.data.get("method") == "item/agentMessage/delta"]
            assert len(deltas) == 30_000 and "".join(event.data["params"]["delta"] for event in deltas) == words(30_000)

    run(scenario())


def test_a_reader_that_falls_behind_is_told_and_recovers_by_resume(tmp_path: Path) -> None:
    async def scenario() -> None:
        options = ("--sse-buffer-bytes", "16384", "--slow-reader-seconds", "0.5")
        async with http_server(tmp_path, *options) as server, server.client() as http:
            slow = await initialized(server, http)
            await start_thread(slow)
            async with slow.stream() as events:  # read up to the thread, then stop reading for good
                async for event in events:
                    if event.data.get("method") == "thread/started":
                        thread_id = event.data["params"]["thread"]["id"]
                        break
            await slow.send("turn/start", {"threadId": thread_id, "input": text(words(20_000))})
            # Nobody reads: once 16 KiB wait longer than 0.5 s the session ends (POSTs then get 404).
            # The reader then gets what was kept, then `lost`; never a gap.
            while (await slow.post({"jsonrpc": "2.0", "id": "probe", "result": {}})).status_code == 202:
                await asyncio.sleep(0.1)  # bounded by the test's limit; no assertion on timing
            kinds: list[str] = []
            last_id = 0
            async with slow.stream(last_event_id=None) as events:
                async for event in events:
                    kinds.append(event.kind)
                    if event.kind == "message":
                        assert event.event_id == last_id + 1, "no silent gap"
                        last_id = event.event_id
                    else:
                        assert "thread/resume" in event.data["recover"]
                        break
            assert kinds[-1] == "lost"
            gone = await http.get("/events", params={"session": slow.session_id}, headers={"Last-Event-ID": str(last_id)})
            assert gone.status_code == 410 and "thread/resume" in gone.json()["recover"]
            # The turn went on without that reader; a new session resumes the thread and sees it whole.
            # It waits for the turn's end with thread/read (no subscription, so no stream of deltas
            # that a busy machine could keep it from reading within the 0.5 s the server allows).
            fresh = await initialized(server, http)
            async with fresh.stream() as events:
                running = True
                while running:
                    request = await fresh.send("thread/read", {"threadId": thread_id, "includeTurns": True})
                    async for event in events:
                        if event.data.get("id") == request:
                            running = event.data["result"]["thread"]["turns"][-1]["status"] == "inProgress"
                            break
                    if running:
                        await asyncio.sleep(0.05)  # polling the thread's state; nothing is timed
                request = await fresh.send("thread/resume", {"threadId": thread_id})
                async for event in events:
                    if event.data.get("id") == request:
                        thread = event.data["result"]["thread"]
                        break
            reply = thread["turns"][-1]["items"][-1]
            assert reply["type"] == "agentMessage" and reply["text"] == words(20_000)

    run(scenario())


def test_an_immediate_reconnect_with_last_event_id_keeps_the_new_stream(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path) as server, server.client() as http:
            session = await initialized(server, http)
            last = 0
            for trial in range(10):
                request = await session.send("thread/list", {})
                async with session.stream(last_event_id=last or None) as events:
                    async for event in events:
                        last = event.event_id or last
                        if event.data.get("id") == request:
                            break
                # Reconnect at once (the old stream is still being torn down) and ask again.
                request = await session.send("thread/loaded/list", {}) if trial % 2 else await session.send("thread/list", {})
                async with session.stream(last_event_id=last) as events:
                    async for event in events:
                        assert event.event_id == last + 1
                        last = event.event_id
                        if event.data.get("id") == request:
                            break

    run(scenario())


def test_last_event_id_values_get_clear_400_answers(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path) as server, server.client() as http:
            session = await initialized(server, http)
            async with session.stream() as events:
                async for _ in events:
                    break  # the initialize response: event 1
            cases = {
                "arabic-indic digits": {"params": {"session": session.session_id, "lastEventId": "\u0661\u0662"}},
                "5000 digits": {"params": {"session": session.session_id}, "headers": {"Last-Event-ID": "9" * 5000}},
                "negative": {"params": {"session": session.session_id}, "headers": {"Last-Event-ID": "-1"}},
                "beyond the newest": {"params": {"session": session.session_id}, "headers": {"Last-Event-ID": "999"}},
            }
            for name, request in cases.items():
                response = await http.get("/events", **request)  # type: ignore[arg-type]
                assert response.status_code == 400, (name, response.status_code, response.text)
                assert "Last-Event-ID" in response.json()["error"], name
            raw = await http.get("/events", params={"session": session.session_id}, headers={b"Last-Event-ID": "\u0663".encode()})
            assert raw.status_code == 400

    run(scenario())


def test_events_evicted_from_the_replay_buffer_answer_410_not_a_gap(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with http_server(tmp_path, "--sse-buffer-bytes", "4096") as server, server.client() as http:
            session = await initialized(server, http)
            await start_thread(session)
            async with session.stream() as events:
                async for event in events:
                    if event.data.get("method") == "thread/started":
                        thread_id = event.data["params"]["thread"]["id"]
                        break
            request = await session.send("turn/start", {"threadId": thread_id, "input": text(words(3_000))})
            async with session.stream(last_event_id=2) as events:
                async for event in events:
                    if event.data.get("method") == "turn/completed":
                        break
            assert request
            response = await http.get("/events", params={"session": session.session_id}, headers={"Last-Event-ID": "1"})
            assert response.status_code == 410 and "no longer buffered" in response.json()["error"]

    run(scenario())
