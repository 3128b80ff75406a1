"""What the server opens before it may answer anyone: the workspace, the store's lock and the store.

A bad workspace, a store file another server holds or one that cannot be opened refuses the start
(exit 2) before any answer: `threadloom_server.command` runs these checks before an early
`initialize` answer (threadloom_runtime.early), `threadloom_server.app.serve` otherwise. Importing
this module loads no store: `:memory:` needs nothing before the answer, a file store is opened here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from threadloom_server.agent.processes import ProcessRegistry
    from threadloom_server.store import ThreadStore
    from threadloom_server.store.lock import StoreLock

MEMORY = ":memory:"  # threadloom_server.store.MEMORY, named without importing the store (tests/server checks they agree)


class StartRefused(Exception):
    """The server cannot start; the message says why (printed as `threadloom serve: error: ...`)."""


class Opened(NamedTuple):
    store: ThreadStore
    lock: StoreLock | None
    processes: ProcessRegistry | None
    killed_leftovers: int  # command process groups an earlier server left running, now killed

    def close(self) -> None:
        self.store.close()
        if self.lock is not None:
            self.lock.release()


def check_workspace(workspace: Path) -> None:
    if not workspace.is_dir():
        raise StartRefused(f"workspace {workspace} is not a directory")


def open_for_serving(spec: str | None) -> Opened:
    """Lock and open the store (`spec`: a file path, `:memory:`, or None for the per-user default)."""
    from threadloom_server.store import StoreError, ThreadStore

    lock, processes = _store_companions(spec)
    try:
        if lock is not None:
            lock.acquire()
        killed = processes.kill_leftovers() if processes is not None else 0
        store = ThreadStore.in_memory() if spec == MEMORY else ThreadStore.open(spec)
    except (StoreError, OSError) as error:
        if lock is not None:
            lock.release()
        raise StartRefused(str(error)) from None
    return Opened(store, lock, processes, killed)


def _store_companions(spec: str | None) -> tuple[StoreLock | None, ProcessRegistry | None]:
    """The lock that makes a store file one server's, and where its running commands are recorded."""
    if spec == MEMORY:
        return None, None
    from threadloom_server.agent.processes import ProcessRegistry
    from threadloom_server.store import default_store_path
    from threadloom_server.store.lock import StoreLock

    path = (default_store_path() if spec is None else Path(spec)).expanduser().absolute()
    return StoreLock(path), ProcessRegistry(path.with_name(path.name + ".commands"))
