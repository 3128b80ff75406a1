"""`start_eagerly`: a coroutine runs at once and becomes a task only if it suspends."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from tests.python_bindings.support import run
from threadloom_runtime.eager import start_eagerly

current = contextvars.ContextVar("current", default="outside")


def test_a_coroutine_that_never_waits_finishes_at_once_without_a_task() -> None:
    async def scenario() -> None:
        steps: list[str] = []

        async def answer() -> None:
            steps.append("answered")

        tasks_before = len(asyncio.all_tasks())
        assert start_eagerly(answer()) is None
        assert steps == ["answered"] and len(asyncio.all_tasks()) == tasks_before

    run(scenario())


def test_a_coroutine_that_suspends_is_carried_on_by_a_task() -> None:
    async def scenario() -> None:
        steps: list[str] = []
        release = asyncio.Event()

        async def answer() -> None:
            steps.append("first step")
            await release.wait()
            await asyncio.sleep(0)  # a bare yield too
            steps.append("after waiting")

        task = start_eagerly(answer())
        assert task is not None and steps == ["first step"]
        await asyncio.sleep(0)
        assert not task.done()
        release.set()
        await task
        assert steps == ["first step", "after waiting"]

    run(scenario())


def test_an_exception_in_the_first_step_reaches_the_caller_and_a_later_one_the_task() -> None:
    async def scenario() -> None:
        async def fails_at_once() -> None:
            raise ValueError("at once")

        with pytest.raises(ValueError, match="at once"):
            start_eagerly(fails_at_once())

        async def fails_later() -> None:
            await asyncio.sleep(0)
            raise ValueError("later")

        task = start_eagerly(fails_later())
        assert task is not None
        with pytest.raises(ValueError, match="later"):
            await task

    run(scenario())


@pytest.mark.parametrize("before_first_task_step", [True, False])
def test_cancelling_the_task_throws_cancelled_error_in_at_the_await(before_first_task_step: bool) -> None:
    async def scenario() -> None:
        seen: list[str] = []

        async def waits_forever() -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                seen.append("cancelled at the await")
                raise

        task = start_eagerly(waits_forever())
        assert task is not None
        if not before_first_task_step:
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled() and seen == ["cancelled at the await"]

    run(scenario())


def test_the_coroutine_runs_in_its_own_copy_of_the_context_before_and_after_suspending() -> None:
    async def scenario() -> None:
        seen: list[str] = []

        async def answer() -> None:
            current.set("inside")
            await asyncio.sleep(0)
            seen.append(current.get())

        current.set("caller")
        task = start_eagerly(answer())
        assert current.get() == "caller"  # the first step's change stayed in its copy
        assert task is not None
        await task
        assert seen == ["inside"]

    run(scenario())
