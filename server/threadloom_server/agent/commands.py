"""Running a shell command for a commandExecution item: streamed output, timeout, process-group kill.

The command runs in its own session (so its own process group): on timeout or interrupt the whole
group gets SIGKILL, which also stops the children a shell line starts (`sleep 100 | cat`, `cmd &`).
stdin is /dev/null: a command must never read the server's own stdin (the stdio transport).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from threadloom_server.agent.processes import ProcessRegistry, die_with_parent

OutputSink = Callable[[str, str], Awaitable[None]]
"""Called with (stream, text) for every chunk, stream being "stdout" or "stderr"."""

READ_SIZE = 64 * 1024
DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CommandResult:
    exit_code: int | None
    """None when the command was killed (timeout) or could not start."""
    output: str
    duration_ms: int
    timed_out: bool = False
    spawn_error: str | None = None


class CommandRun:
    """One command execution. `output` holds what arrived so far, also after an interrupt."""

    def __init__(
        self,
        command: str,
        cwd: str,
        on_output: OutputSink,
        *,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
        registry: ProcessRegistry | None = None,
    ) -> None:
        self.command = command
        self._registry = registry
        self.cwd = cwd
        self._on_output = on_output
        self._max_output_bytes = max_output_bytes
        self._kept_bytes = 0
        self._truncated = False
        self._chunks: list[str] = []
        self._started = time.monotonic()

    @property
    def output(self) -> str:
        return "".join(self._chunks)

    @property
    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)

    async def execute(self, timeout: float) -> CommandResult:
        self._started = time.monotonic()
        try:
            process = await asyncio.create_subprocess_shell(
                self.command,
                cwd=self.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            message = f"cannot start the command in {self.cwd}: {reason}\n"
            await self._emit("stderr", message, note=True)
            return CommandResult(None, self.output, self.elapsed_ms, spawn_error=message.strip())
        if self._registry is not None:
            self._registry.add(process.pid)
        try:
            return await self._supervise(process, timeout)
        finally:
            if self._registry is not None:
                self._registry.remove(process.pid)

    async def _supervise(self, process: asyncio.subprocess.Process, timeout: float) -> CommandResult:
        try:
            async with asyncio.timeout(timeout):
                assert process.stdout is not None and process.stderr is not None
                await asyncio.gather(self._pump(process.stdout, "stdout"), self._pump(process.stderr, "stderr"))
                exit_code = await process.wait()
        except TimeoutError:
            await _kill_group(process)
            separator = "\n" if self._chunks and not self._chunks[-1].endswith("\n") else ""
            await self._emit("stderr", f"{separator}[threadloom: command timed out after {timeout:g}s and was killed]\n", note=True)
            return CommandResult(None, self.output, self.elapsed_ms, timed_out=True)
        except BaseException:
            # Interrupted (task cancelled): never leave the command running behind the turn.
            await _kill_group(process)
            raise
        return CommandResult(exit_code, self.output, self.elapsed_ms)

    async def _pump(self, stream: asyncio.StreamReader, name: str) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while chunk := await stream.read(READ_SIZE):
            await self._emit(name, decoder.decode(chunk))
        await self._emit(name, decoder.decode(b"", final=True))

    async def _emit(self, stream: str, text: str, *, note: bool = False) -> None:
        """Record and stream a chunk; `note` marks Threadloom's own messages, which bypass the cap."""
        if not text or (self._truncated and not note):
            return
        size = len(text.encode())
        if not note and self._kept_bytes + size > self._max_output_bytes:
            # Keep draining the pipe (so the command does not block) but stop flooding the client.
            self._truncated = True
            text = f"\n[threadloom: output truncated after {self._max_output_bytes} bytes]\n"
        self._kept_bytes += size
        self._chunks.append(text)
        await self._on_output(stream, text)


async def _kill_group(process: asyncio.subprocess.Process) -> None:
    # The group may already be gone (ProcessLookupError), or only a zombie left (PermissionError on macOS).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()
