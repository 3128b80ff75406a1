"""Versioned schema migrations of the thread store.

The `schema_migrations` table records every applied step (version, name, time). Steps are numbered
1..N without gaps and applied in order, each in its own transaction together with its bookkeeping
row, so a failed step leaves the file exactly at the previous version. A database whose highest
recorded version is beyond the code's is refused (`StoreVersionError`) and never modified.

To change the schema: append a `Migration` with the next version; never edit a released step.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from threadloom_server.store.errors import MigrationError, StoreOpenError, StoreVersionError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "threads, turns and items",
        (
            """CREATE TABLE threads (
                id TEXT PRIMARY KEY,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                cwd TEXT NOT NULL,
                approval_policy TEXT NOT NULL,
                preview TEXT NOT NULL DEFAULT '',
                archived INTEGER NOT NULL DEFAULT 0,
                name TEXT,
                forked_from_id TEXT
            )""",
            # Keyset pagination of thread/list: newest first, ties broken by id.
            "CREATE INDEX threads_by_recency ON threads (updated_at DESC, id DESC)",
            "CREATE INDEX threads_by_cwd ON threads (cwd, updated_at DESC, id DESC)",
            """CREATE TABLE turns (
                seq INTEGER PRIMARY KEY,
                thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
                id TEXT NOT NULL,
                status TEXT NOT NULL,
                error TEXT,
                started_at INTEGER NOT NULL,
                duration_ms INTEGER,
                UNIQUE (thread_id, id)
            )""",
            # Crash recovery looks only at unfinished turns: keep that lookup cheap on big stores.
            "CREATE INDEX turns_in_progress ON turns (thread_id) WHERE status = 'inProgress'",
            """CREATE TABLE items (
                seq INTEGER PRIMARY KEY,
                thread_id TEXT NOT NULL,
                turn_id TEXT NOT NULL,
                id TEXT NOT NULL,
                type TEXT NOT NULL,
                body TEXT NOT NULL,
                UNIQUE (thread_id, id),
                FOREIGN KEY (thread_id, turn_id) REFERENCES turns (thread_id, id) ON DELETE CASCADE
            )""",
            "CREATE INDEX items_in_order ON items (thread_id, seq)",
        ),
    ),
)

BOOKKEEPING = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
)"""


def latest_version(migrations: Sequence[Migration] = MIGRATIONS) -> int:
    return migrations[-1].version if migrations else 0


def check_sequence(migrations: Sequence[Migration]) -> None:
    """Versions must be 1..N in order: a gap or a duplicate is a programming error."""
    expected = list(range(1, len(migrations) + 1))
    actual = [step.version for step in migrations]
    if actual != expected:
        raise ValueError(f"migration versions must be {expected}, got {actual}")


def current_version(connection: sqlite3.Connection) -> int:
    row = connection.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def check_compatible(connection: sqlite3.Connection, path: Path | str, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Read-only check before anything touches the file; returns its schema version (0 when new).

    Refuses a SQLite file that belongs to someone else and a store written by a newer Threadloom.
    """
    check_sequence(migrations)
    names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    if not names:
        return 0
    if "schema_migrations" not in names:
        shown = ", ".join(sorted(names)[:5])
        raise StoreOpenError(path, f"this SQLite file is not a Threadloom store (it has tables {shown} and no schema_migrations)")
    version = current_version(connection)
    if version > latest_version(migrations):
        raise StoreVersionError(path, version, latest_version(migrations))
    return version


def migrate(connection: sqlite3.Connection, path: Path | str, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database up to the last step of `migrations`; return the version it was at before.

    The connection must be in autocommit mode (isolation_level=None): transactions are explicit.
    """
    start = check_compatible(connection, path, migrations)
    connection.execute(BOOKKEEPING)
    for step in migrations[start:]:
        _apply(connection, path, step)
    return start


def _apply(connection: sqlite3.Connection, path: Path | str, step: Migration) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the write lock.
        if current_version(connection) >= step.version:
            connection.execute("COMMIT")
            return
        for statement in step.statements:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (step.version, step.name, int(time.time() * 1000)),
        )
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        connection.execute("ROLLBACK")
        raise MigrationError(path, f"migration {step.version} ({step.name}) failed and was rolled back: {error}") from error
