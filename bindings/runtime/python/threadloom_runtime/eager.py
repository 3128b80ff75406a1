"""Start a coroutine now and make it a task only if it suspends (Python 3.12's eager tasks, for 3.11).

Most requests (a read answered from memory) complete without ever waiting: a task for them costs a
task object, a trip through the event loop before the handler starts and another for its done
callbacks. `start_eagerly` runs the coroutine's first step at once, in a copy of the current
context as a task would; a coroutine that finishes there never becomes a task. One that suspends is
carried on by a task from the point where it stopped, so from then on cancellation and exceptions
behave exactly as in any task (cancelling it throws CancelledError in at the coroutine's `await`).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any


def start_eagerly(coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run `coroutine` up to its first suspension; None if it finished, else the task carrying it on.

    An exception raised by the first step propagates to the caller (there is no task to hold it).
    """
    context = contextvars.copy_context()
    try:
        awaiting = context.run(coroutine.send, None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_Resumed(coroutine, awaiting), context=context)


_NOTHING = object()


class _Resumed(Coroutine[Any, Any, None]):
    """A coroutine that has already run its first step, seen by a task as if it were starting.

    The task's first `send` gets what the coroutine yielded when it suspended (a future keeps its
    "blocking" mark, so the task waits on it as on any awaited future); every later `send`/`throw`
    goes straight to the coroutine.
    """

    def __init__(self, coroutine: Coroutine[Any, Any, None], awaiting: Any) -> None:
        self._coroutine = coroutine
        self._awaiting = awaiting

    def send(self, value: Any) -> Any:
        awaiting = self._awaiting
        if awaiting is not _NOTHING:
            self._awaiting = _NOTHING
            return awaiting
        return self._coroutine.send(value)

    def throw(self, *error: Any) -> Any:
        self._awaiting = _NOTHING  # cancelled before the task's first step: the coroutine gets it at its await
        return self._coroutine.throw(*error)

    def close(self) -> None:
        self._coroutine.close()

    def __await__(self) -> Generator[Any, Any, None]:
        raise TypeError("a resumed coroutine is run by its task, not awaited")
