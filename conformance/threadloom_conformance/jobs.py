"""How many servers to run at once: the cores this process may use, never a fixed number.

Every replay starts a server process (and a mutant proxy starts two); starting more of them than
there are cores only makes each one slower to answer, which on a shared 2-core machine turned
into timeouts. `THREADLOOM_JOBS` overrides the default (e.g. in CI with known resources).
"""

from __future__ import annotations

import os


def usable_cores() -> int:
    """Cores this process may run on (CPU affinity, e.g. a container's cpuset), else the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_jobs() -> int:
    override = os.environ.get("THREADLOOM_JOBS", "")
    if override.isdigit() and int(override) > 0:
        return int(override)
    return usable_cores()
