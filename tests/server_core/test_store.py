"""The SQLite thread store: CRUD, wire shapes, list pagination and filters, items, fork."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from threadloom_server.store import (
    DuplicateIdError,
    InvalidCursorError,
    ItemConflictError,
    StoreIOError,
    ThreadNotFoundError,
    ThreadStore,
    TurnNotFoundError,
    default_store_path,
    shorten_preview,
)
from threadloom_server.store.sqlite_store import encode_cursor

from .wire import assert_strict_item, assert_wire


class FakeClock:
    """Milliseconds that only move when a test says so: equal timestamps on purpose."""

    def __init__(self, start: int = 1_700_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now


def counter_ids(prefix: str = "id") -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers):05d}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> Iterator[ThreadStore]:
    with ThreadStore.in_memory(clock=clock) as opened:
        yield opened


def user_message(item_id: str, text: str) -> dict[str, Any]:
    return {"type": "userMessage", "id": item_id, "content": [{"type": "text", "text": text}]}


def agent_message(item_id: str, text: str) -> dict[str, Any]:
    return {"type": "agentMessage", "id": item_id, "text": text}


def command(item_id: str, status: str = "completed") -> dict[str, Any]:
    return {
        "type": "commandExecution",
        "id": item_id,
        "command": "echo hi",
        "cwd": "/w",
        "status": status,
        "aggregatedOutput": "hi\n" if status != "inProgress" else None,
        "exitCode": 0 if status == "completed" else None,
        "durationMs": 3,
    }


# ----------------------------------------------------------------- threads


def test_created_thread_is_a_wire_thread(store: ThreadStore, clock: FakeClock) -> None:
    thread = store.create_thread(cwd="/work/project", approval_policy="never", name="first", thread_id="t1")
    assert_wire("Thread", thread)
    assert thread == {
        "id": "t1",
        "createdAt": clock.now,
        "updatedAt": clock.now,
        "cwd": "/work/project",
        "approvalPolicy": "never",
        "preview": "",
        "archived": False,
        "status": "idle",
        "name": "first",
        "forkedFromId": None,
    }
    assert store.get_thread("t1") == thread


def test_generated_thread_ids_are_unique(store: ThreadStore) -> None:
    ids = {store.create_thread(cwd="/w")["id"] for _ in range(20)}
    assert len(ids) == 20


def test_unknown_thread_is_a_typed_error(store: ThreadStore) -> None:
    with pytest.raises(ThreadNotFoundError) as raised:
        store.get_thread("nope")
    assert raised.value.thread_id == "nope"
    for operation in (store.archive_thread, store.unarchive_thread, store.fork_thread, store.read_history, store.append_turn):
        with pytest.raises(ThreadNotFoundError):
            operation("nope")
    with pytest.raises(ThreadNotFoundError):
        store.set_thread_name("nope", "x")


def test_set_name_renames_and_clears(store: ThreadStore, clock: FakeClock) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    clock.now += 5
    renamed = store.set_thread_name("t", "Refactor")
    assert renamed["name"] == "Refactor"
    assert renamed["updatedAt"] == clock.now
    assert store.set_thread_name("t", None)["name"] is None


def test_archive_and_unarchive(store: ThreadStore, clock: FakeClock) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    clock.now += 10
    archived = store.archive_thread("t")
    assert archived["archived"] is True
    assert archived["updatedAt"] == clock.now
    clock.now += 10
    # Archiving an archived thread is a no-op: not even its updatedAt moves.
    assert store.archive_thread("t") == archived
    assert store.unarchive_thread("t")["archived"] is False


def test_default_store_path_follows_xdg() -> None:
    assert default_store_path({"XDG_DATA_HOME": "/data", "HOME": "/home/u"}) == Path("/data/threadloom/threads.sqlite3")
    assert default_store_path({"HOME": "/home/u"}) == Path("/home/u/.local/share/threadloom/threads.sqlite3")
    # A relative XDG_DATA_HOME is invalid per the spec and ignored.
    assert default_store_path({"XDG_DATA_HOME": "rel", "HOME": "/home/u"}) == Path("/home/u/.local/share/threadloom/threads.sqlite3")


def test_open_without_path_uses_the_per_user_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with ThreadStore.open() as opened:
        assert opened.path == str(tmp_path / "threadloom" / "threads.sqlite3")
        opened.create_thread(cwd="/w")
    assert (tmp_path / "threadloom" / "threads.sqlite3").is_file()


# ----------------------------------------------------------------- list


def test_list_is_newest_first_with_wire_result(store: ThreadStore, clock: FakeClock) -> None:
    for name in ("old", "middle", "new"):
        store.create_thread(cwd="/w", thread_id=name)
        clock.now += 1
    page = store.list_threads()
    assert_wire("ThreadListResult", page)
    assert [thread["id"] for thread in page["data"]] == ["new", "middle", "old"]
    assert page["nextCursor"] is None
    assert all("turns" not in thread for thread in page["data"])


def test_activity_moves_a_thread_to_the_top(store: ThreadStore, clock: FakeClock) -> None:
    store.create_thread(cwd="/w", thread_id="a")
    clock.now += 1
    store.create_thread(cwd="/w", thread_id="b")
    clock.now += 1
    store.append_turn("a")
    assert [thread["id"] for thread in store.list_threads()["data"]] == ["a", "b"]


def collect_pages(store: ThreadStore, limit: int, **filters: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = store.list_threads(limit=limit, cursor=cursor, **filters)
        pages.append([thread["id"] for thread in page["data"]])
        cursor = page["nextCursor"]
        if cursor is None:
            return pages


def test_pagination_with_equal_timestamps_visits_every_thread_once(store: ThreadStore) -> None:
    # Every thread has the same updatedAt: only the id breaks ties, and the cursor must carry it.
    ids = [f"t{number:02d}" for number in range(23)]
    for thread_id in ids:
        store.create_thread(cwd="/w", thread_id=thread_id)
    pages = collect_pages(store, limit=5)
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert list(itertools.chain(*pages)) == sorted(ids, reverse=True)


def test_exact_multiple_of_limit_has_no_empty_last_page(store: ThreadStore) -> None:
    for number in range(6):
        store.create_thread(cwd="/w", thread_id=f"t{number}")
    assert [len(page) for page in collect_pages(store, limit=3)] == [3, 3]


def test_cursor_is_stable_when_threads_are_added_between_pages(store: ThreadStore, clock: FakeClock) -> None:
    for number in range(6):
        store.create_thread(cwd="/w", thread_id=f"t{number}")
    first = store.list_threads(limit=3)
    clock.now += 100
    store.create_thread(cwd="/w", thread_id="newcomer")
    second = store.list_threads(limit=3, cursor=first["nextCursor"])
    seen = [thread["id"] for thread in first["data"] + second["data"]]
    assert seen == ["t5", "t4", "t3", "t2", "t1", "t0"]
    assert second["nextCursor"] is None


def test_cursor_is_opaque_and_validated(store: ThreadStore) -> None:
    store.create_thread(cwd="/w", thread_id="a")
    store.create_thread(cwd="/w", thread_id="b")
    cursor = store.list_threads(limit=1)["nextCursor"]
    assert cursor is not None and "b" not in cursor
    for bad in ("not-a-cursor", "%%%", encode_cursor(1, "x").replace("d", "Q", 1) + "!!", "djI6MTox"):
        with pytest.raises(InvalidCursorError):
            store.list_threads(cursor=bad)


def test_list_rejects_bad_limit_and_filter(store: ThreadStore) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.list_threads(limit=0)
    with pytest.raises(ValueError, match="archive filter"):
        store.list_threads(archive_filter="hidden")  # type: ignore[arg-type]


def test_archive_and_cwd_filters(store: ThreadStore, clock: FakeClock) -> None:
    for thread_id, cwd in (("a1", "/a"), ("a2", "/a"), ("b1", "/b"), ("b2", "/b")):
        store.create_thread(cwd=cwd, thread_id=thread_id)
        clock.now += 1
    store.archive_thread("a1")
    store.archive_thread("b2")

    def ids(**filters: Any) -> list[str]:
        return [thread["id"] for thread in store.list_threads(**filters)["data"]]

    assert ids() == ["b1", "a2"]
    assert ids(archive_filter="archived") == ["b2", "a1"]
    assert set(ids(archive_filter="all")) == {"a1", "a2", "b1", "b2"}
    assert ids(cwd="/a") == ["a2"]
    # Archiving counts as activity: a1 was archived last, so it is the newest of /a.
    assert ids(cwd="/a", archive_filter="all") == ["a1", "a2"]
    assert ids(cwd="/b", archive_filter="archived") == ["b2"]
    assert ids(cwd="/nowhere", archive_filter="all") == []


def test_filters_and_pagination_combine(store: ThreadStore) -> None:
    for number in range(10):
        store.create_thread(cwd="/a" if number % 2 else "/b", thread_id=f"t{number}")
    pages = collect_pages(store, limit=2, cwd="/a", archive_filter="all")
    assert list(itertools.chain(*pages)) == ["t9", "t7", "t5", "t3", "t1"]


# ----------------------------------------------------------------- turns and items


def test_turn_lifecycle(store: ThreadStore, clock: FakeClock) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    turn = store.append_turn("t", turn_id="u1")
    assert_wire("Turn", turn)
    assert turn == {"id": "u1", "status": "inProgress", "items": [], "error": None, "startedAt": clock.now, "durationMs": None}
    store.save_item("t", "u1", agent_message("i1", "hello"))
    clock.now += 250
    done = store.update_turn("t", "u1", status="completed")
    assert_wire("Turn", done)
    assert done["status"] == "completed"
    assert done["durationMs"] == 250
    assert done["items"] == [agent_message("i1", "hello")]
    assert store.get_turn("t", "u1") == done


def test_failed_turn_keeps_its_error_and_given_duration(store: ThreadStore) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    store.append_turn("t", turn_id="u")
    error = {"code": "agentFailed", "message": "boom"}
    failed = store.update_turn("t", "u", status="failed", error=error, duration_ms=42)
    assert failed["error"] == error
    assert failed["durationMs"] == 42
    assert store.read_history("t")[0]["error"] == error


def test_turn_errors(store: ThreadStore) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    with pytest.raises(TurnNotFoundError) as raised:
        store.update_turn("t", "missing", status="completed")
    assert (raised.value.thread_id, raised.value.turn_id) == ("t", "missing")
    with pytest.raises(TurnNotFoundError):
        store.save_item("t", "missing", agent_message("i", "x"))
    store.append_turn("t", turn_id="u")
    with pytest.raises(ValueError, match="turn status"):
        store.update_turn("t", "u", status="done")


def test_items_keep_order_across_turns(store: ThreadStore) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    store.append_turn("t", turn_id="u1")
    store.save_items("t", "u1", [user_message("a", "first"), agent_message("b", "reply"), command("c")])
    store.update_turn("t", "u1", status="completed")
    store.append_turn("t", turn_id="u2")
    store.save_item("t", "u2", user_message("d", "second"))
    history = store.read_history("t")
    assert [turn["id"] for turn in history] == ["u1", "u2"]
    assert [[item["id"] for item in turn["items"]] for turn in history] == [["a", "b", "c"], ["d"]]
    for turn in history:
        for item in turn["items"]:
            assert_strict_item(item)


def test_saving_an_item_again_replaces_it_in_place(store: ThreadStore) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    store.append_turn("t", turn_id="u")
    store.save_item("t", "u", command("cmd", status="inProgress"))
    store.save_item("t", "u", agent_message("later", "after"))
    store.save_item("t", "u", command("cmd", status="completed"))
    store.save_item("t", "u", command("cmd", status="completed"))
    items = store.get_turn("t", "u")["items"]
    assert [item["id"] for item in items] == ["cmd", "later"]
    assert items[0]["status"] == "completed"


def test_an_item_id_cannot_move_to_another_turn(store: ThreadStore) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    store.append_turn("t", turn_id="u1")
    store.append_turn("t", turn_id="u2")
    store.save_item("t", "u1", agent_message("i", "one"))
    with pytest.raises(ItemConflictError):
        store.save_item("t", "u2", agent_message("i", "two"))
    # The failed save was rolled back entirely.
    assert store.get_turn("t", "u1")["items"] == [agent_message("i", "one")]
    assert store.get_turn("t", "u2")["items"] == []


def test_same_item_id_in_two_threads_is_fine(store: ThreadStore) -> None:
    for thread_id in ("t1", "t2"):
        store.create_thread(cwd="/w", thread_id=thread_id)
        store.append_turn(thread_id, turn_id="u")
        store.save_item(thread_id, "u", agent_message("same", thread_id))
    assert store.get_turn("t2", "u")["items"][0]["text"] == "t2"


@pytest.mark.parametrize("bad", [{"type": "agentMessage"}, {"id": "x"}, {"id": "", "type": "plan"}, {"id": 3, "type": "plan"}])
def test_items_without_id_or_type_are_rejected(store: ThreadStore, bad: dict[str, Any]) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    store.append_turn("t", turn_id="u")
    with pytest.raises(ValueError, match="needs a non-empty string"):
        store.save_item("t", "u", bad)


def test_preview_is_the_first_user_message_shortened(store: ThreadStore) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    store.append_turn("t", turn_id="u")
    store.save_item("t", "u", agent_message("a", "agent text is not a preview"))
    assert store.get_thread("t")["preview"] == ""
    long_text = "Please   refactor\nthe parser " + "and more " * 30
    store.save_item("t", "u", user_message("m1", long_text))
    store.save_item("t", "u", user_message("m2", "a later message"))
    preview = store.get_thread("t")["preview"]
    assert preview == shorten_preview(long_text)
    assert preview.startswith("Please refactor the parser and more")
    assert len(preview) == 80 and preview.endswith("\u2026")
    assert shorten_preview("  short\ttext ") == "short text"


# ----------------------------------------------------------------- fork


def test_fork_copies_history_with_fresh_ids(clock: FakeClock) -> None:
    with ThreadStore.in_memory(clock=clock, id_factory=counter_ids("fresh")) as store:
        store.create_thread(cwd="/w", approval_policy="never", name="origin", thread_id="src")
        store.append_turn("src", turn_id="u1")
        store.save_items("src", "u1", [user_message("m", "hello"), command("c")])
        store.update_turn("src", "u1", status="failed", error={"code": "toolFailed", "message": "x"}, duration_ms=7)
        store.append_turn("src", turn_id="u2")
        store.save_item("src", "u2", agent_message("partial", "half"))
        clock.now += 1000

        fork = store.fork_thread("src")

        assert_wire("Thread", fork)
        assert fork["forkedFromId"] == "src"
        assert fork["id"] != "src"
        assert (fork["cwd"], fork["approvalPolicy"], fork["preview"], fork["name"]) == ("/w", "never", "hello", "origin")
        assert fork["createdAt"] == clock.now
        source = store.read_history("src")
        copied = fork["turns"]
        assert [turn["status"] for turn in copied] == ["failed", "interrupted"]
        assert copied[0]["error"] == {"code": "toolFailed", "message": "x"}
        assert copied[0]["durationMs"] == 7
        all_ids = {turn["id"] for turn in copied} | {item["id"] for turn in copied for item in turn["items"]}
        source_ids = {turn["id"] for turn in source} | {item["id"] for turn in source for item in turn["items"]}
        assert not all_ids & source_ids
        assert len(all_ids) == 5

        def without_ids(turns: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
            return [[{k: v for k, v in item.items() if k != "id"} for item in turn["items"]] for turn in turns]

        assert without_ids(copied) == without_ids(source)
        # The source is untouched, its running turn still running.
        assert [turn["status"] for turn in source] == ["failed", "inProgress"]
        assert store.get_thread(fork["id"], include_turns=True) == fork


def test_fork_continues_independently(store: ThreadStore) -> None:
    store.create_thread(cwd="/w", thread_id="src")
    store.append_turn("src", turn_id="u1")
    store.save_item("src", "u1", user_message("m", "hi"))
    fork = store.fork_thread("src", new_thread_id="copy")
    assert fork["id"] == "copy"
    store.append_turn("copy", turn_id="u2")
    store.save_item("copy", "u2", user_message("m2", "only in the copy"))
    assert len(store.read_history("copy")) == 2
    assert len(store.read_history("src")) == 1


def test_concurrent_writers_from_threads_lose_nothing(store: ThreadStore) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    turn_ids = [f"u{number}" for number in range(8)]
    for turn_id in turn_ids:
        store.append_turn("t", turn_id=turn_id)

    def write(turn_id: str) -> None:
        for number in range(50):
            store.save_item("t", turn_id, agent_message(f"{turn_id}-{number}", "x"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, turn_ids))
    history = store.read_history("t")
    assert [[item["id"] for item in turn["items"]] for turn in history] == [[f"{turn_id}-{n}" for n in range(50)] for turn_id in turn_ids]


def test_taken_ids_are_typed_errors(store: ThreadStore) -> None:
    store.create_thread(cwd="/w", thread_id="t")
    store.append_turn("t", turn_id="u")
    with pytest.raises(DuplicateIdError) as raised:
        store.create_thread(cwd="/elsewhere", thread_id="t")
    assert (raised.value.kind, raised.value.id) == ("thread", "t")
    with pytest.raises(DuplicateIdError, match="turn"):
        store.append_turn("t", turn_id="u")
    with pytest.raises(DuplicateIdError):
        store.fork_thread("t", new_thread_id="t")
    assert store.get_thread("t")["cwd"] == "/w"
    assert len(store.read_history("t")) == 1


def test_a_full_disk_is_a_typed_error_and_the_store_keeps_working(tmp_path: Path) -> None:
    with ThreadStore(tmp_path / "threads.sqlite3") as store:
        store.create_thread(cwd="/w", thread_id="t")
        store.append_turn("t", turn_id="u")
        pages = store._connection.execute("PRAGMA page_count").fetchone()[0]
        # Simulate a full disk: the file may not grow any more.
        store._connection.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreIOError) as raised:
            store.save_items("t", "u", [agent_message(f"i{n}", "x" * 4000) for n in range(50)])
        assert raised.value.path == str(tmp_path / "threads.sqlite3")
        assert "full" in raised.value.detail
        # Nothing of the failed batch was kept, and the store still serves.
        assert store.get_turn("t", "u")["items"] == []
        store._connection.execute("PRAGMA max_page_count = 1073741823")
        store.save_item("t", "u", agent_message("after", "ok"))
        assert [item["id"] for item in store.get_turn("t", "u")["items"]] == ["after"]
