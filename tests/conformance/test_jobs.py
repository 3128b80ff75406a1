from __future__ import annotations

import os

import pytest

from threadloom_conformance.jobs import default_jobs, usable_cores


def test_servers_at_once_are_the_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THREADLOOM_JOBS", raising=False)
    assert default_jobs() == usable_cores() == len(os.sched_getaffinity(0))


def test_the_environment_overrides_and_nonsense_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADLOOM_JOBS", "3")
    assert default_jobs() == 3
    monkeypatch.setenv("THREADLOOM_JOBS", "zero")
    assert default_jobs() == usable_cores()
