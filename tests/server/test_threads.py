"""Thread methods over real pipes: start, read, list (pagination, filters), archive, name, fork, loaded list."""

from __future__ import annotations

from pathlib import Path

from .support import Message, is_method, run, stdio_server


def test_thread_start_cwd_policy_name_and_thread_started_after_the_response(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    outside = tmp_path.parent

    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            at = len(client.received)
            result = await client.call("thread/start", {"cwd": "sub", "approvalPolicy": "never", "name": "first"})
            started = await client.until(is_method("thread/started"))
            assert client.received.index(started) == at + 1, "the response comes before thread/started"
            thread = result["thread"]
            assert started["params"]["thread"] == thread
            assert thread["cwd"] == str((tmp_path / "sub").resolve()) and thread["approvalPolicy"] == "never" and thread["name"] == "first"
            assert thread["status"] == "idle" and thread["archived"] is False and thread["forkedFromId"] is None and "turns" not in thread
            default = await client.start_thread()
            assert default["cwd"] == str(tmp_path.resolve()) and default["approvalPolicy"] == "always" and default["name"] is None
            for bad in (str(outside), "../", "missing-dir"):
                refused = await client.request("thread/start", {"cwd": bad})
                assert refused["error"]["code"] == -32602 and refused["error"]["data"]["path"] == "/cwd", refused
                assert bad in refused["error"]["data"]["reason"]

    run(scenario())


def test_read_name_archive_unarchive_and_not_found(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            thread = await client.start_thread()
            await client.run_turn(thread["id"], "hi there")
            plain = (await client.call("thread/read", {"threadId": thread["id"]}))["thread"]
            assert "turns" not in plain and plain["preview"] == "hi there"
            full = (await client.call("thread/read", {"threadId": thread["id"], "includeTurns": True}))["thread"]
            assert [item["type"] for item in full["turns"][0]["items"]] == ["userMessage", "agentMessage"]
            assert await client.call("thread/name/set", {"threadId": thread["id"], "name": "Renamed"}) == {}
            assert (await client.call("thread/read", {"threadId": thread["id"]}))["thread"]["name"] == "Renamed"
            await client.call("thread/name/set", {"threadId": thread["id"], "name": None})
            assert (await client.call("thread/read", {"threadId": thread["id"]}))["thread"]["name"] is None
            other = await client.start_thread()
            assert await client.call("thread/archive", {"threadId": thread["id"]}) == {}
            assert await client.call("thread/archive", {"threadId": thread["id"]}) == {}, "archiving twice is a no-op"
            listed = await client.call("thread/list")
            assert [t["id"] for t in listed["data"]] == [other["id"]]
            archived = await client.call("thread/list", {"archiveFilter": "archived"})
            assert [t["id"] for t in archived["data"]] == [thread["id"]] and archived["data"][0]["archived"] is True
            deprecated = await client.call("thread/list", {"archived": True})
            assert [t["id"] for t in deprecated["data"]] == [thread["id"]]
            assert len((await client.call("thread/list", {"archiveFilter": "all"}))["data"]) == 2
            await client.call("thread/unarchive", {"threadId": thread["id"]})
            assert {t["id"] for t in (await client.call("thread/list"))["data"]} == {thread["id"], other["id"]}
            calls: list[tuple[str, Message]] = [
                ("thread/read", {}),
                ("thread/resume", {}),
                ("thread/fork", {}),
                ("thread/archive", {}),
                ("thread/unarchive", {}),
                ("thread/name/set", {"name": "x"}),
                ("turn/start", {"input": [{"type": "text", "text": "x"}]}),
                ("turn/interrupt", {"turnId": "t"}),
                ("turn/steer", {"expectedTurnId": "t", "input": [{"type": "text", "text": "x"}]}),
            ]
            for method, extra in calls:
                missing = await client.request(method, {"threadId": "no-such-thread", **extra})
                assert missing["error"]["code"] == -32010 and missing["error"]["data"] == {"threadId": "no-such-thread"}, (method, missing)

    run(scenario())


def test_list_pagination_cursor_and_cwd_filter(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()

    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            created = [(await client.start_thread(cwd="a" if n % 2 else "."))["id"] for n in range(7)]
            seen: list[str] = []
            cursor = None
            pages = 0
            while True:
                page = await client.call("thread/list", {"limit": 3, "cursor": cursor})
                pages += 1
                seen += [thread["id"] for thread in page["data"]]
                cursor = page["nextCursor"]
                if cursor is None:
                    break
            assert pages == 3 and sorted(seen) == sorted(created) and len(seen) == len(set(seen))
            in_a = await client.call("thread/list", {"cwd": str((tmp_path / "a").resolve())})
            assert sorted(t["id"] for t in in_a["data"]) == sorted(created[1::2])
            bad = await client.request("thread/list", {"cursor": "not-a-cursor"})
            assert bad["error"]["code"] == -32602 and bad["error"]["data"]["path"] == "/cursor"
            too_big = await client.request("thread/list", {"limit": 1000})
            assert too_big["error"]["code"] == -32602 and too_big["error"]["data"]["path"] == "/limit"

    run(scenario())


def test_fork_copies_history_with_forked_from_id(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            source = await client.start_thread(approvalPolicy="never")
            await client.run_turn(source["id"], "run: echo forked\nwrite: f.txt\ncontent\nend:")
            result = await client.call("thread/fork", {"threadId": source["id"]})
            fork = result["thread"]
            started = await client.until(is_method("thread/started"))
            assert started["params"]["thread"]["id"] == fork["id"] and "turns" not in started["params"]["thread"]
            assert fork["forkedFromId"] == source["id"] and fork["id"] != source["id"]
            assert [item["type"] for item in fork["turns"][0]["items"]] == ["userMessage", "commandExecution", "fileChange"]
            assert fork["turns"][0]["items"][1]["aggregatedOutput"] == "forked\n"
            # The fork is its own thread: a turn on it leaves the source's history alone.
            await client.run_turn(fork["id"], "only in the fork")
            source_history = (await client.call("thread/read", {"threadId": source["id"], "includeTurns": True}))["thread"]["turns"]
            assert len(source_history) == 1

    run(scenario())


def test_loaded_list_is_experimental(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with stdio_server(tmp_path) as client:
            await client.initialize()
            refused = await client.request("thread/loaded/list")
            assert refused["error"]["code"] == -32020 and refused["error"]["data"] == {"feature": "thread/loaded/list"}
        async with stdio_server(tmp_path) as client:
            await client.initialize(experimental=True)
            assert await client.call("thread/loaded/list") == {"data": []}
            thread = await client.start_thread()
            assert await client.call("thread/loaded/list") == {"data": [thread["id"]]}

    run(scenario())
