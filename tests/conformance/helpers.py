"""Shared helpers: the fake server command, recording transcripts through `threadloom record`, replaying."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from tests.conformance.scripted_client import run_scenario
from threadloom_conformance.replay import ReplayOptions, Result, replay_sync
from threadloom_conformance.transcript import load

ROOT = Path(__file__).resolve().parents[2]
FAKE = [sys.executable, str(Path(__file__).with_name("fakes") / "fake_server.py")]
THREADLOOM = [sys.executable, "-c", "from threadloom.cli import main; main()"]
FAKE_CMD = shlex.join(FAKE)


def mutant(fault: str, *extra: str) -> str:
    return shlex.join([sys.executable, "-m", "threadloom_conformance.mutate", fault, *extra, "--", *FAKE])


def record(out: Path, texts: tuple[str, ...] = ("hello", "run tests"), version: int = 1, scenario: str = "scripted") -> Path:
    """Record a scripted session against the fake server through the `threadloom record` proxy."""
    argv = [*THREADLOOM, "record", "--out", str(out), "--scenario", scenario, "--", *FAKE]
    asyncio.run(run_scenario(argv, texts=texts, version=version))
    return out


def replay(path: Path, server: str = FAKE_CMD, timeout: float = 10, transport: str = "stdio") -> Result:
    options = ReplayOptions(server=server, transport=transport, protocol_dir=ROOT / "protocol", timeout=timeout, settle=0.2)
    return replay_sync([load(path)], options)[0]


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def line_of(lines: list[dict[str, Any]], predicate: Any) -> int:
    """1-based line number of the first record satisfying predicate(record)."""
    return next(number for number, line in enumerate(lines, start=1) if number > 1 and predicate(line))
