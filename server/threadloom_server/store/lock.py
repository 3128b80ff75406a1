"""One server per store file: an exclusive advisory lock held for the server's whole life.

Crash recovery marks every `inProgress` turn interrupted, which is only right when no other process
runs turns on the same file; two servers would also run turns on one thread at once. The lock is a
sidecar file `<store>.lock` (flock, released by the kernel when the process dies, even on SIGKILL)
that names the holder's pid for the refusal message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from threadloom_server.store.errors import StoreOpenError


class StoreLock:
    def __init__(self, store_path: Path) -> None:
        self.path = store_path.with_name(store_path.name + ".lock")
        self._descriptor: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise StoreOpenError naming the process that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(descriptor)
            store = self.path.with_name(self.path.name.removesuffix(".lock"))
            raise StoreOpenError(store, f"it is in use by another threadloom server (pid {holder}); stop it or use another --store") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(self._descriptor)
            self._descriptor = None
