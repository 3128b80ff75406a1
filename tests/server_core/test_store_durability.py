"""The store on disk: WAL, migrations, refusing newer or broken files, crash recovery, big histories."""

from __future__ import annotations

import hashlib
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.hang import HANG_LIMIT
from threadloom_server.store import (
    MIGRATIONS,
    Migration,
    MigrationError,
    StoreOpenError,
    StoreVersionError,
    ThreadStore,
    latest_version,
)

from .wire import assert_strict_item, assert_wire

UPGRADE = Migration(2, "thread colour", ("ALTER TABLE threads ADD COLUMN colour TEXT", "CREATE INDEX threads_by_colour ON threads (colour)"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_names(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def seeded_store(path: Path, **options: Any) -> None:
    with ThreadStore(path, **options) as store:
        store.create_thread(cwd="/w", thread_id="keep")
        store.append_turn("keep", turn_id="u")
        store.save_item("keep", "u", {"type": "agentMessage", "id": "i", "text": "still here"})
        store.update_turn("keep", "u", status="completed")


# ----------------------------------------------------------------- file, WAL, durability setting


def test_file_store_uses_wal_and_normal_sync(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "threads.sqlite3"
    with ThreadStore(path) as store:
        assert store.journal_mode == "wal"
        assert store._connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert store.schema_version == latest_version()
        assert store.migrated_from == 0
    assert path.is_file()
    # The store's own directory is private: it holds command output and file contents.
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_full_sync_can_be_chosen_and_bad_values_refused(tmp_path: Path) -> None:
    with ThreadStore(tmp_path / "s.sqlite3", synchronous="FULL") as store:
        assert store._connection.execute("PRAGMA synchronous").fetchone()[0] == 2
    with pytest.raises(ValueError, match="synchronous"):
        ThreadStore(tmp_path / "t.sqlite3", synchronous="OFF")  # type: ignore[arg-type]


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite3"
    seeded_store(path)
    with ThreadStore(path) as store:
        assert store.migrated_from == latest_version()
        assert store.recovered_turns == []
        assert store.read_history("keep")[0]["items"] == [{"type": "agentMessage", "id": "i", "text": "still here"}]


def test_in_memory_stores_are_separate() -> None:
    with ThreadStore.in_memory() as first, ThreadStore.in_memory() as second:
        first.create_thread(cwd="/w", thread_id="t")
        assert second.list_threads()["data"] == []
        assert first.is_memory


# ----------------------------------------------------------------- migrations


def test_fresh_store_records_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite3"
    ThreadStore(path).close()
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(step.version, step.name) for step in MIGRATIONS]


def test_upgrade_applies_only_the_new_steps_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite3"
    seeded_store(path)
    with ThreadStore(path, migrations=(*MIGRATIONS, UPGRADE)) as store:
        assert store.migrated_from == 1
        assert store.schema_version == 2
        assert store.get_thread("keep")["id"] == "keep"
        columns = {row[1] for row in store._connection.execute("PRAGMA table_info(threads)")}
        assert "colour" in columns


def test_failed_migration_rolls_back_to_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite3"
    seeded_store(path)
    broken = Migration(2, "broken", ("CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL"))
    with pytest.raises(MigrationError) as raised:
        ThreadStore(path, migrations=(*MIGRATIONS, broken))
    assert raised.value.path == str(path)
    assert "migration 2 (broken)" in str(raised.value)
    assert "half_done" not in table_names(path)
    with ThreadStore(path) as store:
        assert store.schema_version == 1
        assert store.get_thread("keep")["id"] == "keep"


def test_newer_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite3"
    seeded_store(path, migrations=(*MIGRATIONS, UPGRADE))
    before = digest(path)
    with pytest.raises(StoreVersionError) as raised:
        ThreadStore(path)
    error = raised.value
    assert (error.path, error.database_version, error.code_version) == (str(path), 2, 1)
    assert "newer than this Threadloom supports" in str(error)
    assert str(path) in str(error)
    assert digest(path) == before


def test_migration_steps_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    gap = Migration(3, "skips two", ("SELECT 1",))
    with pytest.raises(ValueError, match="migration versions"):
        ThreadStore(tmp_path / "s.sqlite3", migrations=(*MIGRATIONS, gap))


# ----------------------------------------------------------------- broken files


def test_a_file_that_is_not_sqlite_is_a_clear_error_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite3"
    path.write_bytes(b"these are my precious notes, not a database\n" * 100)
    before = digest(path)
    with pytest.raises(StoreOpenError) as raised:
        ThreadStore(path)
    assert raised.value.path == str(path)
    assert str(path) in str(raised.value)
    assert "not a database" in str(raised.value)
    assert digest(path) == before


def test_a_foreign_sqlite_database_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
        connection.execute("INSERT INTO invoices VALUES (1)")
    connection.close()
    before = digest(path)
    with pytest.raises(StoreOpenError, match="not a Threadloom store"):
        ThreadStore(path)
    assert digest(path) == before
    assert table_names(path) == {"invoices"}


def test_a_corrupted_store_is_detected_at_open(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite3"
    with ThreadStore(path) as store:
        store.create_thread(cwd="/w", thread_id="t")
        store.append_turn("t", turn_id="u")
        store.save_items("t", "u", [{"type": "agentMessage", "id": f"i{n}", "text": "x" * 500} for n in range(400)])
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    assert len(data) > 10 * page_size
    # Scribble over several pages in the middle of the file (the header page stays intact).
    data[3 * page_size : 8 * page_size] = os.urandom(5 * page_size)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreOpenError) as raised:
        ThreadStore(path)
    assert raised.value.path == str(path)


def test_a_directory_or_an_impossible_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError, match="directory"):
        ThreadStore(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StoreOpenError, match="cannot create its directory"):
        ThreadStore(blocker / "sub" / "threads.sqlite3")


# ----------------------------------------------------------------- crash recovery

WRITER = textwrap.dedent(
    """
    import sys
    from threadloom_server.store import ThreadStore

    store = ThreadStore(sys.argv[1])
    store.create_thread(cwd="/w", thread_id="t")
    store.append_turn("t", turn_id="finished")
    store.save_item("t", "finished", {"type": "userMessage", "id": "q", "content": [{"type": "text", "text": "go"}]})
    store.update_turn("t", "finished", status="completed")
    store.append_turn("t", turn_id="crashing")
    store.save_item("t", "crashing", {"type": "commandExecution", "id": "cmd", "command": "make", "cwd": "/w",
                                      "status": "inProgress", "aggregatedOutput": None, "exitCode": None})
    number = 0
    while True:
        store.save_item("t", "crashing", {"type": "agentMessage", "id": f"m{number}", "text": "chunk " * 50})
        print(number, flush=True)
        number += 1
    """
)


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stdout lines as they come ("" once it closes), read by a thread so that a
    silent process is a hang the reader reports (`HANG_LIMIT`), not a test blocked forever."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_recovery_after_sigkill_mid_turn(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite3"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    lines = lines_of(writer)
    acknowledged = -1
    try:
        # Kill it while it keeps writing: each printed number is an item whose save had returned.
        while acknowledged < 300:
            try:
                line = lines.get(timeout=HANG_LIMIT)
            except queue.Empty:
                raise AssertionError(f"the writer printed nothing for {HANG_LIMIT:.0f}s: it hangs") from None
            assert line, f"writer stopped early with exit code {writer.poll()}"
            acknowledged = int(line)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL

    with ThreadStore(path) as store:
        assert store.recovered_turns == [("t", "crashing")]
        finished, crashed = store.read_history("t")
        assert (finished["status"], crashed["status"]) == ("completed", "interrupted")
        assert_wire("Turn", crashed)
        ids = [item["id"] for item in crashed["items"]]
        assert ids[0] == "cmd"
        # The item stored before it completed is closed as failed, never left running.
        assert crashed["items"][0]["status"] == "failed"
        # Every acknowledged item is there, in order, with nothing missing in between.
        stored_numbers = [int(item_id[1:]) for item_id in ids[1:]]
        assert stored_numbers == list(range(len(stored_numbers)))
        assert len(stored_numbers) >= acknowledged + 1

        # The thread continues.
        store.append_turn("t", turn_id="next")
        store.save_item("t", "next", {"type": "agentMessage", "id": "after", "text": "back"})
        store.update_turn("t", "next", status="completed")
    with ThreadStore(path) as store:
        assert store.recovered_turns == []
        assert [turn["status"] for turn in store.read_history("t")] == ["completed", "interrupted", "completed"]


# ----------------------------------------------------------------- a big history


def mixed_item(turn: int, number: int) -> dict[str, Any]:
    item_id = f"i{turn:03d}-{number:03d}"
    kind = number % 6
    if kind == 0:
        return {"type": "userMessage", "id": item_id, "content": [{"type": "text", "text": f"question {turn}.{number}"}]}
    if kind == 1:
        return {"type": "agentMessage", "id": item_id, "text": "answer " * 20}
    if kind == 2:
        return {
            "type": "commandExecution",
            "id": item_id,
            "command": "pytest -q",
            "cwd": "/w",
            "status": "completed",
            "aggregatedOutput": "ok\n" * 10,
            "exitCode": 0,
            "durationMs": 12,
        }
    if kind == 3:
        change = {"path": "src/app.py", "kind": "update", "diff": "--- a/src/app.py\n+++ b/src/app.py\n@@ -1 +1 @@\n-old\n+new\n"}
        return {"type": "fileChange", "id": item_id, "changes": [change], "status": "completed"}
    if kind == 4:
        return {"type": "reasoning", "id": item_id, "summary": ["thinking about it"]}
    return {"type": "plan", "id": item_id, "steps": [{"step": "one", "status": "completed"}, {"step": "two", "status": "pending"}]}


def test_ten_thousand_item_history_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite3"
    written: list[list[dict[str, Any]]] = []
    with ThreadStore(path) as store:
        store.create_thread(cwd="/w", thread_id="big")
        for turn in range(100):
            store.append_turn("big", turn_id=f"u{turn:03d}")
            items = [mixed_item(turn, number) for number in range(100)]
            store.save_items("big", f"u{turn:03d}", items)
            store.update_turn("big", f"u{turn:03d}", status="completed")
            written.append(items)
    with ThreadStore(path) as store:
        thread = store.get_thread("big", include_turns=True)
    assert [turn["items"] for turn in thread["turns"]] == written
    assert sum(len(turn["items"]) for turn in thread["turns"]) == 10_000
    assert_wire("Thread", {**thread, "turns": thread["turns"][:2]})
    for item in thread["turns"][0]["items"][:6]:
        assert_strict_item(item)
