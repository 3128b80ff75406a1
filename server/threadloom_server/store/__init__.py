"""Durable SQLite persistence of threads, turns and items (see `ThreadStore`)."""

from threadloom_server.store.errors import (
    DuplicateIdError,
    InvalidCursorError,
    ItemConflictError,
    MigrationError,
    StoreError,
    StoreIOError,
    StoreOpenError,
    StoreVersionError,
    ThreadNotFoundError,
    TurnNotFoundError,
)
from threadloom_server.store.migrations import MIGRATIONS, Migration, latest_version
from threadloom_server.store.sqlite_store import MEMORY, ArchiveFilter, JsonDict, ThreadStore, default_store_path, preview_of, shorten_preview

__all__ = [
    "MEMORY",
    "MIGRATIONS",
    "ArchiveFilter",
    "DuplicateIdError",
    "InvalidCursorError",
    "ItemConflictError",
    "JsonDict",
    "Migration",
    "MigrationError",
    "StoreError",
    "StoreIOError",
    "StoreOpenError",
    "StoreVersionError",
    "ThreadNotFoundError",
    "ThreadStore",
    "TurnNotFoundError",
    "default_store_path",
    "latest_version",
    "preview_of",
    "shorten_preview",
]
