"""Helpers for the Python bindings tests: a recording transport, schema validators, a test runner."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson

from tests.hang import HANG_LIMIT
from tests.protocol_schemas import ROOT as ROOT
from tests.protocol_schemas import document as document
from tests.protocol_schemas import run as run
from tests.protocol_schemas import validator as validator
from threadloom_runtime.transport import SubprocessTransport

SERVER_COMMAND = [sys.executable, "-m", "tests.python_bindings.server_app"]
T = TypeVar("T")


def method_table(version: int) -> dict[str, dict[str, Any]]:
    return {entry["method"]: entry for entry in document(version)["x-methods"]}


class RecordingTransport:
    """Wraps a subprocess transport and keeps every message in both directions."""

    def __init__(self, inner: SubprocessTransport) -> None:
        self.inner = inner
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []

    @classmethod
    async def spawn(cls) -> RecordingTransport:
        return cls(await SubprocessTransport.spawn(SERVER_COMMAND, cwd=str(ROOT)))

    async def read(self) -> bytes | None:
        data = await self.inner.read()
        if data is not None:
            self.received.append(orjson.loads(data))
        return data

    async def write(self, data: bytes) -> None:
        with contextlib.suppress(orjson.JSONDecodeError):  # deliberately malformed lines are sent raw
            self.sent.append(orjson.loads(data))
        await self.inner.write(data)

    async def close(self) -> None:
        await self.inner.close()

    def schema_violations(self, version: int) -> list[str]:
        """Every received message checked against the given version's schema (results per method)."""
        methods = {m["id"]: m["method"] for m in self.sent if "method" in m and "id" in m}
        table = method_table(version)
        problems = []
        for message in self.received:
            problems += [f"{message}: {e.message}" for e in validator(version, "ServerMessage").iter_errors(message)]
            method = methods.get(message.get("id"))
            if "result" in message and method:
                result = table[method]["result"].rsplit("/", 1)[-1]
                problems += [f"{method} result: {e.message}" for e in validator(version, result).iter_errors(message["result"])]
        return problems


async def until(condition: Callable[[], bool], poll: Callable[[], Awaitable[None]] | None = None) -> None:
    """Wait until `condition()` holds, polling with `poll` (else a short sleep); `HANG_LIMIT` only
    reports a condition that never comes, nothing is timed."""
    async with asyncio.timeout(HANG_LIMIT):
        while not condition():
            await (poll() if poll else asyncio.sleep(0.01))
