"""Durable persistence of threads, turns and items in SQLite (standard library only).

Everything this store returns is a plain dict in the v2 wire shape (camelCase): `Thread`, `Turn` and
the `ThreadItem` variants, so the server can put them on the wire without conversion. Items are kept
as the JSON text of their wire form, next to the few columns the queries need.

Durability: the database runs in WAL mode with `synchronous=NORMAL`. Every write is one transaction;
once a method returns, the change survives the process being killed (the WAL is in the OS page
cache). Only a power loss or an OS crash may drop the last few commits -- never corrupt the file.
That trade is what SQLite recommends for WAL and keeps an item append well under a millisecond; pass
`synchronous="FULL"` to fsync every commit when the machine itself is not trusted.

One store file is meant for one server process at a time: crash recovery at open marks every turn
still `inProgress` as `interrupted`, which is only right when no other process is running turns.
"""

from __future__ import annotations

import base64
import binascii
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import orjson

from threadloom_server.store.errors import (
    DuplicateIdError,
    InvalidCursorError,
    ItemConflictError,
    StoreIOError,
    StoreOpenError,
    ThreadNotFoundError,
    TurnNotFoundError,
)
from threadloom_server.store.migrations import MIGRATIONS, Migration, check_compatible, current_version, migrate

JsonDict = dict[str, Any]
ArchiveFilter = Literal["active", "archived", "all"]
Synchronous = Literal["NORMAL", "FULL"]

MEMORY = ":memory:"
TURN_STATUSES = frozenset({"inProgress", "completed", "interrupted", "failed"})
FINAL_TURN_STATUSES = TURN_STATUSES - {"inProgress"}
ARCHIVE_FILTERS = frozenset({"active", "archived", "all"})
PREVIEW_LENGTH = 80
BUSY_TIMEOUT_MS = 5000

THREAD_COLUMNS = "id, created_at, updated_at, cwd, approval_policy, preview, archived, name, forked_from_id"
TURN_COLUMNS = "id, status, error, started_at, duration_ms"


def default_store_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/threadloom/threads.sqlite3`, else `~/.local/share/threadloom/threads.sqlite3`."""
    env = os.environ if environ is None else environ
    data_home = env.get("XDG_DATA_HOME", "").strip()
    # The XDG spec says a relative value is invalid and must be ignored.
    base = Path(data_home) if data_home and Path(data_home).is_absolute() else Path(env.get("HOME") or Path.home()) / ".local" / "share"
    return base / "threadloom" / "threads.sqlite3"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_id() -> str:
    return str(uuid.uuid4())


def shorten_preview(text: str, length: int = PREVIEW_LENGTH) -> str:
    """One line of at most `length` characters, ending in an ellipsis when cut."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[: length - 1].rstrip() + "\u2026"


def preview_of(item: Mapping[str, Any]) -> str:
    """The text of a userMessage item (text inputs joined), or "" for anything else."""
    if item.get("type") != "userMessage":
        return ""
    content = item.get("content")
    if not isinstance(content, list):
        return ""
    texts = [part["text"] for part in content if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)]
    return shorten_preview(" ".join(texts))


def encode_cursor(updated_at: int, thread_id: str) -> str:
    raw = f"v1:{updated_at}:{thread_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, updated_at, thread_id = raw.split(":", 2)
        if tag != "v1" or not thread_id:
            raise ValueError(tag)
        return int(updated_at), thread_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursorError(cursor) from error


class ThreadStore:
    """Threads, turns and items in one SQLite file (or in memory).

    Thread-safe: one connection guarded by a lock, so the asyncio server may call it directly (every
    call is a short transaction) or through `asyncio.to_thread`.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: Synchronous = "NORMAL",
        check_integrity: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
        clock: Callable[[], int] = now_ms,
        id_factory: Callable[[], str] = new_id,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, got {synchronous!r}")
        self.path = str(path) if str(path) == MEMORY else str(Path(path).expanduser())
        self._clock = clock
        self._new_id = id_factory
        self._lock = threading.RLock()
        self._connection = _connect(self.path)
        try:
            # Read-only checks first: a file we refuse must come out byte for byte unchanged.
            self._connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            check_compatible(self._connection, self.path, migrations)
            if check_integrity and not self.is_memory:
                _check_integrity(self._connection, self.path)
            self.journal_mode = _configure(self._connection, self.path, synchronous)
            self.migrated_from = migrate(self._connection, self.path, migrations)
            self.recovered_turns = self._recover_interrupted_turns()
        except sqlite3.DatabaseError as error:
            self._connection.close()
            raise StoreOpenError(self.path, str(error)) from error
        except BaseException:
            self._connection.close()
            raise

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def open(cls, path: Path | str | None = None, **options: Any) -> ThreadStore:
        """Open `path`, or the per-user default store when None."""
        return cls(default_store_path() if path is None else path, **options)

    @classmethod
    def in_memory(cls, **options: Any) -> ThreadStore:
        return cls(MEMORY, **options)

    @property
    def is_memory(self) -> bool:
        return self.path == MEMORY

    @property
    def schema_version(self) -> int:
        with self._lock:
            return current_version(self._connection)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def __enter__(self) -> ThreadStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ----------------------------------------------------------------- threads

    def create_thread(
        self,
        *,
        cwd: str,
        approval_policy: str = "always",
        name: str | None = None,
        forked_from_id: str | None = None,
        thread_id: str | None = None,
    ) -> JsonDict:
        """Create an empty thread and return it (wire `Thread`, without `turns`)."""
        thread_id = thread_id or self._new_id()
        now = self._clock()
        with self._write() as db, self._unique("thread", thread_id):
            db.execute(
                "INSERT INTO threads (id, created_at, updated_at, cwd, approval_policy, name, forked_from_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (thread_id, now, now, cwd, approval_policy, name, forked_from_id),
            )
            return self._thread_row(db, thread_id)

    def get_thread(self, thread_id: str, *, include_turns: bool = False) -> JsonDict:
        """The wire `Thread`; with `include_turns`, its full history in `turns` (what resume needs)."""
        with self._read() as db:
            thread = self._thread_row(db, thread_id)
            if include_turns:
                thread["turns"] = self._history(db, thread_id)
            return thread

    def read_history(self, thread_id: str) -> list[JsonDict]:
        """The thread's turns, oldest first, each with its items in order."""
        return list(self.get_thread(thread_id, include_turns=True)["turns"])

    def list_threads(
        self,
        *,
        limit: int = 25,
        cursor: str | None = None,
        archive_filter: ArchiveFilter = "active",
        cwd: str | None = None,
    ) -> JsonDict:
        """One page of threads newest first (by `updatedAt`, ties by id): wire `ThreadListResult`.

        The cursor names the last thread of the page by (updatedAt, id), so pages neither repeat nor
        skip threads that did not change in between, even when many share a timestamp.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if archive_filter not in ARCHIVE_FILTERS:
            raise ValueError(f"archive filter must be one of {sorted(ARCHIVE_FILTERS)}, got {archive_filter!r}")
        clauses: list[str] = []
        args: list[Any] = []
        if archive_filter != "all":
            clauses.append("archived = ?")
            args.append(1 if archive_filter == "archived" else 0)
        if cwd is not None:
            clauses.append("cwd = ?")
            args.append(cwd)
        if cursor:
            updated_at, last_id = decode_cursor(cursor)
            clauses.append("(updated_at < ? OR (updated_at = ? AND id < ?))")
            args += [updated_at, updated_at, last_id]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {THREAD_COLUMNS} FROM threads {where} ORDER BY updated_at DESC, id DESC LIMIT ?"
        with self._read() as db:
            rows = db.execute(sql, [*args, limit + 1]).fetchall()
        page = [_thread_from_row(row) for row in rows[:limit]]
        next_cursor = encode_cursor(page[-1]["updatedAt"], page[-1]["id"]) if len(rows) > limit else None
        return {"data": page, "nextCursor": next_cursor}

    def archive_thread(self, thread_id: str) -> JsonDict:
        """Hide the thread from the default list. Archiving an archived thread changes nothing."""
        return self._set_archived(thread_id, True)

    def unarchive_thread(self, thread_id: str) -> JsonDict:
        return self._set_archived(thread_id, False)

    def set_thread_name(self, thread_id: str, name: str | None) -> JsonDict:
        with self._write() as db:
            self._require_thread(db, thread_id)
            db.execute("UPDATE threads SET name = ?, updated_at = ? WHERE id = ?", (name, self._clock(), thread_id))
            return self._thread_row(db, thread_id)

    def fork_thread(self, thread_id: str, *, new_thread_id: str | None = None) -> JsonDict:
        """Copy the thread's history into a new thread with `forkedFromId`; every turn and item gets a fresh id.

        A turn still running in the source is copied as `interrupted`: nothing will ever finish it in
        the copy. Returns the new thread with its history in `turns` (wire `ThreadForkResult.thread`).
        """
        new_thread_id = new_thread_id or self._new_id()
        now = self._clock()
        with self._write() as db:
            source = self._thread_row(db, thread_id)
            history = self._history(db, thread_id)
            with self._unique("thread", new_thread_id):
                db.execute(
                    "INSERT INTO threads (id, created_at, updated_at, cwd, approval_policy, preview, name, forked_from_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (new_thread_id, now, now, source["cwd"], source["approvalPolicy"], source["preview"], source["name"], thread_id),
                )
            for turn in history:
                self._copy_turn(db, new_thread_id, turn)
            thread = self._thread_row(db, new_thread_id)
            thread["turns"] = self._history(db, new_thread_id)
            return thread

    # ----------------------------------------------------------------- turns

    def append_turn(self, thread_id: str, *, turn_id: str | None = None, started_at: int | None = None) -> JsonDict:
        """Record a new `inProgress` turn at the end of the thread; returns the wire `Turn` (no items)."""
        turn_id = turn_id or self._new_id()
        started_at = self._clock() if started_at is None else started_at
        with self._write() as db:
            self._require_thread(db, thread_id)
            with self._unique("turn", turn_id):
                db.execute(
                    "INSERT INTO turns (thread_id, id, status, started_at) VALUES (?, ?, 'inProgress', ?)",
                    (thread_id, turn_id, started_at),
                )
            self._touch(db, thread_id)
            return self._turn(db, thread_id, turn_id)

    def update_turn(
        self,
        thread_id: str,
        turn_id: str,
        *,
        status: str,
        error: Mapping[str, Any] | None = None,
        duration_ms: int | None = None,
    ) -> JsonDict:
        """Set the turn's status (and `error` for failed turns); returns the wire `Turn` with its items.

        For a final status without `duration_ms`, the duration is measured from `startedAt`.
        """
        if status not in TURN_STATUSES:
            raise ValueError(f"turn status must be one of {sorted(TURN_STATUSES)}, got {status!r}")
        with self._write() as db:
            turn = self._turn(db, thread_id, turn_id)
            if duration_ms is None and status in FINAL_TURN_STATUSES:
                duration_ms = max(0, self._clock() - turn["startedAt"])
            db.execute(
                "UPDATE turns SET status = ?, error = ?, duration_ms = ? WHERE thread_id = ? AND id = ?",
                (status, _dump(error) if error is not None else None, duration_ms, thread_id, turn_id),
            )
            self._touch(db, thread_id)
            return self._turn(db, thread_id, turn_id, with_items=True)

    def get_turn(self, thread_id: str, turn_id: str) -> JsonDict:
        with self._read() as db:
            return self._turn(db, thread_id, turn_id, with_items=True)

    # ----------------------------------------------------------------- items

    def save_item(self, thread_id: str, turn_id: str, item: Mapping[str, Any]) -> None:
        """Append the item to the turn, or replace the stored item with the same id (idempotent).

        Call it when an item completes. Calling it earlier (at `item/started`) is allowed and keeps
        the item's position; the completed version then replaces it in place.
        """
        self.save_items(thread_id, turn_id, [item])

    def save_items(self, thread_id: str, turn_id: str, items: Iterable[Mapping[str, Any]]) -> None:
        """`save_item` for many items in one transaction."""
        rows = [_item_row(item) for item in items]
        with self._write() as db:
            self._turn(db, thread_id, turn_id)
            for item_id, item_type, body, preview in rows:
                cursor = db.execute(
                    "INSERT INTO items (thread_id, turn_id, id, type, body) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (thread_id, id) DO UPDATE SET type = excluded.type, body = excluded.body WHERE items.turn_id = excluded.turn_id",
                    (thread_id, turn_id, item_id, item_type, body),
                )
                if cursor.rowcount == 0:
                    raise ItemConflictError(thread_id, item_id)
                if preview:
                    db.execute("UPDATE threads SET preview = ? WHERE id = ? AND preview = ''", (preview, thread_id))
            self._touch(db, thread_id)

    # ----------------------------------------------------------------- internals

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back entirely if it raises."""
        with self._lock, self._database_errors():
            db = self._connection
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (disk full) can leave the transaction open: close it either way.
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction, so that several queries see one snapshot."""
        with self._lock, self._database_errors():
            self._connection.execute("BEGIN")
            try:
                yield self._connection
            finally:
                self._connection.execute("COMMIT")

    @contextmanager
    def _database_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise StoreIOError(self.path, str(error)) from error

    @contextmanager
    def _unique(self, kind: str, given_id: str) -> Iterator[None]:
        """Turn a primary-key clash into a typed error (the only constraint callers can trip)."""
        try:
            yield
        except sqlite3.IntegrityError as error:
            raise DuplicateIdError(kind, given_id) from error

    def _touch(self, db: sqlite3.Connection, thread_id: str) -> None:
        db.execute("UPDATE threads SET updated_at = MAX(updated_at, ?) WHERE id = ?", (self._clock(), thread_id))

    def _set_archived(self, thread_id: str, archived: bool) -> JsonDict:
        with self._write() as db:
            self._require_thread(db, thread_id)
            db.execute(
                "UPDATE threads SET archived = ?, updated_at = MAX(updated_at, ?) WHERE id = ? AND archived != ?",
                (int(archived), self._clock(), thread_id, int(archived)),
            )
            return self._thread_row(db, thread_id)

    def _require_thread(self, db: sqlite3.Connection, thread_id: str) -> None:
        if db.execute("SELECT 1 FROM threads WHERE id = ?", (thread_id,)).fetchone() is None:
            raise ThreadNotFoundError(thread_id)

    def _thread_row(self, db: sqlite3.Connection, thread_id: str) -> JsonDict:
        row = db.execute(f"SELECT {THREAD_COLUMNS} FROM threads WHERE id = ?", (thread_id,)).fetchone()
        if row is None:
            raise ThreadNotFoundError(thread_id)
        return _thread_from_row(row)

    def _turn(self, db: sqlite3.Connection, thread_id: str, turn_id: str, *, with_items: bool = False) -> JsonDict:
        row = db.execute(f"SELECT {TURN_COLUMNS} FROM turns WHERE thread_id = ? AND id = ?", (thread_id, turn_id)).fetchone()
        if row is None:
            self._require_thread(db, thread_id)
            raise TurnNotFoundError(thread_id, turn_id)
        turn = _turn_from_row(row)
        if with_items:
            bodies = db.execute("SELECT body FROM items WHERE thread_id = ? AND turn_id = ? ORDER BY seq", (thread_id, turn_id))
            turn["items"] = [orjson.loads(body) for (body,) in bodies]
        return turn

    def _history(self, db: sqlite3.Connection, thread_id: str) -> list[JsonDict]:
        # Two ordered scans instead of one query per turn: resume of 10k items stays one pass.
        turns = [_turn_from_row(row) for row in db.execute(f"SELECT {TURN_COLUMNS} FROM turns WHERE thread_id = ? ORDER BY seq", (thread_id,))]
        by_id = {turn["id"]: turn["items"] for turn in turns}
        for turn_id, body in db.execute("SELECT turn_id, body FROM items WHERE thread_id = ? ORDER BY seq", (thread_id,)):
            by_id[turn_id].append(orjson.loads(body))
        return turns

    def _copy_turn(self, db: sqlite3.Connection, thread_id: str, turn: JsonDict) -> None:
        status = "interrupted" if turn["status"] == "inProgress" else turn["status"]
        turn_id = self._new_id()
        db.execute(
            "INSERT INTO turns (thread_id, id, status, error, started_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
            (thread_id, turn_id, status, _dump(turn["error"]) if turn["error"] is not None else None, turn["startedAt"], turn["durationMs"]),
        )
        db.executemany(
            "INSERT INTO items (thread_id, turn_id, id, type, body) VALUES (?, ?, ?, ?, ?)",
            [(thread_id, turn_id, fresh["id"], fresh["type"], _dump(fresh)) for fresh in ({**item, "id": self._new_id()} for item in turn["items"])],
        )

    def _recover_interrupted_turns(self) -> list[tuple[str, str]]:
        """Turns left `inProgress` by a crash become `interrupted`, keeping every stored item.

        An item stored before it completed (status still `inProgress`) is closed as `failed`: the
        command or file change may have had effects, so dropping it would hide them.
        """
        with self._write() as db:
            stale = db.execute("SELECT thread_id, id FROM turns WHERE status = 'inProgress'").fetchall()
            for thread_id, turn_id in stale:
                # The duration runs to the last thing the turn stored (the thread's updatedAt), never null.
                db.execute(
                    "UPDATE turns SET status = 'interrupted', duration_ms = max(0, "
                    "(SELECT updated_at FROM threads WHERE id = ?) - started_at) WHERE thread_id = ? AND id = ?",
                    (thread_id, thread_id, turn_id),
                )
                unfinished = db.execute(
                    "SELECT id, body FROM items WHERE thread_id = ? AND turn_id = ? AND json_extract(body, '$.status') = 'inProgress'",
                    (thread_id, turn_id),
                ).fetchall()
                for item_id, body in unfinished:
                    closed = _dump({**orjson.loads(body), "status": "failed"})
                    db.execute("UPDATE items SET body = ? WHERE thread_id = ? AND id = ?", (closed, thread_id, item_id))
        return [(str(thread_id), str(turn_id)) for thread_id, turn_id in stale]


# --------------------------------------------------------------------- helpers


def _connect(path: str) -> sqlite3.Connection:
    if path != MEMORY:
        target = Path(path)
        if target.is_dir():
            raise StoreOpenError(path, "it is a directory, not a file")
        try:
            # Private by default: the store holds command output and file contents.
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise StoreOpenError(path, f"cannot create its directory: {error.strerror or error}") from error
    try:
        # Autocommit mode: every transaction in this module is explicit (BEGIN ... COMMIT).
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise StoreOpenError(path, str(error)) from error


def _configure(connection: sqlite3.Connection, path: str, synchronous: Synchronous) -> str:
    connection.execute("PRAGMA foreign_keys = ON")
    mode = str(connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
    if path != MEMORY and mode != "wal":
        raise StoreOpenError(path, f"cannot switch the database to WAL mode (journal mode is {mode!r})")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    return mode


def _check_integrity(connection: sqlite3.Connection, path: str) -> None:
    problems = [str(row[0]) for row in connection.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise StoreOpenError(path, "the database is corrupt: " + "; ".join(problems))


def _dump(value: Any) -> str:
    return orjson.dumps(value).decode()


def _item_row(item: Mapping[str, Any]) -> tuple[str, str, str, str]:
    item_id, item_type = item.get("id"), item.get("type")
    if not isinstance(item_id, str) or not item_id or not isinstance(item_type, str) or not item_type:
        raise ValueError(f"an item needs a non-empty string `id` and `type`, got id={item_id!r} type={item_type!r}")
    return item_id, item_type, _dump(dict(item)), preview_of(item)


def _thread_from_row(row: Sequence[Any]) -> JsonDict:
    thread_id, created_at, updated_at, cwd, approval_policy, preview, archived, name, forked_from_id = row
    return {
        "id": thread_id,
        "createdAt": created_at,
        "updatedAt": updated_at,
        "cwd": cwd,
        "approvalPolicy": approval_policy,
        "preview": preview,
        "archived": bool(archived),
        # The store knows nothing of running turns: the server overrides this for loaded threads.
        "status": "idle",
        "name": name,
        "forkedFromId": forked_from_id,
    }


def _turn_from_row(row: Sequence[Any]) -> JsonDict:
    turn_id, status, error, started_at, duration_ms = row
    return {
        "id": turn_id,
        "status": status,
        "items": [],
        "error": orjson.loads(error) if error is not None else None,
        "startedAt": started_at,
        "durationMs": duration_ms,
    }
