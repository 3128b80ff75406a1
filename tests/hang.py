"""The suite's hang detectors: the only limits on time in the tests, and none of them measures speed.

A test waits for what it needs (a message, a process's first line, a process's exit) and never for
a fixed time. These limits only stop a test that would otherwise wait forever, so they are set
far above what the slowest machine needs: a busy 2-core machine running other work is much slower
than a developer's laptop, and a test must pass on both (see the README: running the suite under
load). A test that hits one has hung; the message says so.

- `HANG_LIMIT` bounds ONE wait: a reply, a line, a process starting up to its first message or
  `listening` line, a process exiting after it was told to stop, a short command such as a
  server that refuses its arguments.
- `RUN_HANG_LIMIT` bounds a whole run of something that does much work of its own (a test
  scenario with its server processes, a demo session, a compiler): it includes process start and
  everything after, so it is larger still.
"""

from __future__ import annotations

HANG_LIMIT = 120.0
RUN_HANG_LIMIT = 600.0
