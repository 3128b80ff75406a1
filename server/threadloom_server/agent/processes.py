"""Commands must not outlive the server, not even a SIGKILLed one.

Two defences, both Linux-only (elsewhere the process-group kill on timeout/interrupt remains):
- `die_with_parent` runs in the child before the shell starts: PR_SET_PDEATHSIG makes the kernel
  SIGKILL the shell the moment the server dies;
- `ProcessRegistry` records every running command's process group in a directory next to the store
  (one file per group, holding the leader's start time). The next server on that store kills the
  groups still alive before it recovers their turns: that catches the shell's own children too.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from pathlib import Path

PR_SET_PDEATHSIG = 1
_LINUX = Path("/proc/self/stat").exists()


def die_with_parent() -> None:
    """preexec_fn: SIGKILL this child when the server process dies (Linux)."""
    if _LINUX:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]


class ProcessRegistry:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def add(self, pgid: int) -> None:
        if not _LINUX:
            return
        with contextlib.suppress(OSError):
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / str(pgid)).write_text(start_time(pgid) or "")

    def remove(self, pgid: int) -> None:
        with contextlib.suppress(OSError):
            (self.directory / str(pgid)).unlink()

    def kill_leftovers(self) -> int:
        """SIGKILL the groups an earlier server left running; how many were killed."""
        killed = 0
        with contextlib.suppress(OSError):
            for entry in list(self.directory.iterdir()):
                if entry.name.isdigit() and self._is_ours(int(entry.name), entry.read_text().strip()):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(int(entry.name), signal.SIGKILL)
                        killed += 1
                entry.unlink()
        return killed

    @staticmethod
    def _is_ours(pgid: int, recorded: str) -> bool:
        # A live leader must be the one recorded (pids are reused); a dead leader's group id
        # cannot be reused while any member of the group lives, so a live group is still ours.
        current = start_time(pgid)
        return current is None or current == recorded
