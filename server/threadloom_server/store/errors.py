"""Typed errors of the thread store.

Every error that concerns the database file names the file, so that a server can print one clear
line at start instead of a traceback. `ThreadNotFoundError` and `TurnNotFoundError` map directly to
the protocol's ThreadNotFound / TurnNotFound errors; `InvalidCursorError` maps to InvalidParams.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base class of every error raised by the store."""


class StoreOpenError(StoreError):
    """The store file cannot be opened or used (not SQLite, corrupt, unreadable, a directory...)."""

    def __init__(self, path: Path | str, detail: str) -> None:
        self.path = str(path)
        self.detail = detail
        super().__init__(f"cannot open thread store {self.path}: {detail}")


class StoreVersionError(StoreOpenError):
    """The database was written by a newer Threadloom: its schema version is beyond what this code knows."""

    def __init__(self, path: Path | str, database_version: int, code_version: int) -> None:
        self.database_version = database_version
        self.code_version = code_version
        super().__init__(
            path,
            f"schema version {database_version} is newer than this Threadloom supports ({code_version}); "
            "upgrade Threadloom or use another store path (the file was left untouched)",
        )


class MigrationError(StoreOpenError):
    """A migration step failed; its transaction was rolled back and the file kept its previous version."""


class ThreadNotFoundError(StoreError, LookupError):
    def __init__(self, thread_id: str) -> None:
        self.thread_id = thread_id
        super().__init__(f"no thread with id {thread_id!r}")


class TurnNotFoundError(StoreError, LookupError):
    def __init__(self, thread_id: str, turn_id: str) -> None:
        self.thread_id = thread_id
        self.turn_id = turn_id
        super().__init__(f"thread {thread_id!r} has no turn {turn_id!r}")


class InvalidCursorError(StoreError, ValueError):
    """A `thread/list` cursor that this store did not produce."""

    def __init__(self, cursor: str) -> None:
        self.cursor = cursor
        super().__init__(f"invalid thread list cursor {cursor!r}")


class ItemConflictError(StoreError, ValueError):
    """An item id that already belongs to another turn of the same thread."""

    def __init__(self, thread_id: str, item_id: str) -> None:
        self.thread_id = thread_id
        self.item_id = item_id
        super().__init__(f"item {item_id!r} of thread {thread_id!r} already belongs to another turn")


class DuplicateIdError(StoreError, ValueError):
    """A thread or turn id that is already taken."""

    def __init__(self, kind: str, given_id: str) -> None:
        self.kind = kind
        self.id = given_id
        super().__init__(f"a {kind} with id {given_id!r} already exists")


class StoreIOError(StoreError):
    """The database failed during an operation (disk full, I/O error, lock held too long...).

    The operation's transaction was rolled back: nothing of it was stored.
    """

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"thread store {path} failed: {detail}")
