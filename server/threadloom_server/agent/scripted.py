"""The default agent: deterministic, driven by a tiny script language (see server/AGENT.md).

Each instruction produces items through the TurnContext in a fixed order: item started, its deltas,
approval when it acts on the machine, item completed. Item ids are derived from the turn id
(`<turnId>-item-<n>`, n from 1), so a replayed script produces the same events.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from threadloom_server.agent.commands import DEFAULT_MAX_OUTPUT_BYTES, CommandRun
from threadloom_server.agent.files import FileChangeError, PlannedChange, TurnDiff, apply_change, os_problem, plan_delete, plan_write
from threadloom_server.agent.interface import (
    AGENT_MESSAGE_DELTA,
    COMMAND_OUTPUT_DELTA,
    DEFAULT_COMMAND_TIMEOUT,
    REASONING_SUMMARY_DELTA,
    AgentFailedError,
    JsonDict,
    TurnCancelled,
    TurnContext,
)
from threadloom_server.agent.processes import ProcessRegistry
from threadloom_server.agent.script import Delete, Fail, Instruction, Plan, Run, Say, Sleep, Think, Write, parse_script, script_text

DEFAULT_MAX_SHOWN_BYTES = 1024 * 1024
MAX_CHUNK_CHARS = 16 * 1024
YIELD_EVERY = 64
WORD = re.compile(r"\s*\S+\s*|\s+")
T = TypeVar("T")


def text_chunks(text: str) -> list[str]:
    """The deltas of a streamed text: one per word, with its surrounding spaces; they join back to `text`.

    A "word" longer than MAX_CHUNK_CHARS is cut, so no delta can approach the message size limit.
    """
    chunks: list[str] = []
    for word in WORD.findall(text):
        chunks.extend(word[start : start + MAX_CHUNK_CHARS] for start in range(0, len(word), MAX_CHUNK_CHARS))
    return chunks


def inside(root: str, directory: str) -> bool:
    """Whether `directory`, with links resolved now, is the root or lies below it."""
    resolved, base = Path(directory).resolve(), Path(root).resolve()
    return resolved == base or resolved.is_relative_to(base)


@dataclass(frozen=True)
class ScriptedAgent:
    """Deterministic agent for tests and demos.

    `command_timeout`: seconds before a `run:` command's process group is killed.
    `delta_delay`: pause between streamed deltas (0 in tests; a little makes demos look alive).
    """

    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    delta_delay: float = 0.0
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
    max_shown_bytes: int = DEFAULT_MAX_SHOWN_BYTES
    """Largest command or diff an approval shows; bigger ones are refused (never shown cut)."""
    processes: ProcessRegistry | None = None
    """Where running commands are recorded, so a later server can kill what a crash left behind."""

    async def run_turn(self, turn: TurnContext) -> None:
        script = parse_script(script_text(turn.input))
        run = _TurnRun(self, turn)
        for instruction in script:
            await run.execute(instruction)


@dataclass
class _TurnRun:
    agent: ScriptedAgent
    turn: TurnContext
    diff: TurnDiff = field(default_factory=TurnDiff)
    _count: int = 0

    def new_item_id(self) -> str:
        self._count += 1
        return f"{self.turn.turn_id}-item-{self._count}"

    async def execute(self, instruction: Instruction) -> None:
        match instruction:
            case Say(text):
                await self.say(text)
            case Think(text):
                await self.think(text)
            case Plan(steps):
                await self.plan(steps)
            case Run(command):
                await self.run(command)
            case Write(path, content):
                await self.change_file(path, "update", lambda: plan_write(self.turn.workspace_root, self.turn.cwd, path, content))
            case Delete(path):
                await self.change_file(path, "delete", lambda: plan_delete(self.turn.workspace_root, self.turn.cwd, path))
            case Sleep(seconds):
                await asyncio.sleep(seconds)
            case Fail(message):
                raise AgentFailedError(message)

    async def _guard(self, work: Awaitable[T], final: Callable[[], JsonDict]) -> T:
        """Run `work`; if the turn is interrupted meanwhile, complete the item with `final()` first."""
        try:
            return await work
        except asyncio.CancelledError:
            await self.turn.complete_item(final())
            raise

    async def _stream(self, item_id: str, method: str, text: str, extra: JsonDict, on_chunk: Callable[[str], None]) -> None:
        for index, chunk in enumerate(text_chunks(text)):
            if self.agent.delta_delay:
                await asyncio.sleep(self.agent.delta_delay)
            elif index % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # a long text must not starve other sessions and /healthz
            on_chunk(chunk)
            await self.turn.delta(item_id, method, {"delta": chunk, **extra})

    async def say(self, text: str) -> None:
        item: JsonDict = {"type": "agentMessage", "id": self.new_item_id(), "text": ""}
        await self.turn.start_item(dict(item))

        def grow(chunk: str) -> None:
            item["text"] += chunk

        await self._guard(self._stream(item["id"], AGENT_MESSAGE_DELTA, text, {}, grow), lambda: dict(item))
        await self.turn.complete_item(dict(item))

    async def think(self, text: str) -> None:
        item_id = self.new_item_id()
        written: list[str] = []
        await self.turn.start_item({"type": "reasoning", "id": item_id, "summary": []})

        def final() -> JsonDict:
            return {"type": "reasoning", "id": item_id, "summary": ["".join(written)] if written else []}

        await self._guard(self._stream(item_id, REASONING_SUMMARY_DELTA, text, {"summaryIndex": 0}, written.append), final)
        await self.turn.complete_item(final())

    async def plan(self, steps: tuple[str, ...]) -> None:
        item = {"type": "plan", "id": self.new_item_id(), "steps": [{"step": step, "status": "pending"} for step in steps]}
        await self.turn.start_item(item)
        await self.turn.complete_item(item)

    async def run(self, command: str) -> None:
        item: JsonDict = {
            "type": "commandExecution",
            "id": self.new_item_id(),
            "command": command,
            "cwd": self.turn.cwd,
            "status": "inProgress",
            "aggregatedOutput": None,
            "exitCode": None,
            "durationMs": None,
        }
        await self.turn.start_item(dict(item))
        refusal = self._command_refusal(command)
        if refusal is not None:
            await self.turn.complete_item({**item, "status": "failed", "aggregatedOutput": refusal + "\n", "durationMs": 0})
            return
        approval = self.turn.request_approval("commandExecution", dict(item), f"The script asks to run `{command}`.")
        decision = await self._guard(approval, lambda: {**item, "status": "declined"})
        if decision in ("decline", "cancel"):
            await self.turn.complete_item({**item, "status": "declined"})
            if decision == "cancel":
                raise TurnCancelled(f"approval of `{command}` was cancelled")
            return
        if not inside(self.turn.workspace_root, self.turn.cwd):  # the cwd may have become a link meanwhile
            moved = f"refused: {self.turn.cwd} now lies outside the workspace root\n"
            await self.turn.complete_item({**item, "status": "failed", "aggregatedOutput": moved, "durationMs": 0})
            return

        async def stream(stream_name: str, text: str) -> None:
            await self.turn.delta(item["id"], COMMAND_OUTPUT_DELTA, {"delta": text, "stream": stream_name})

        execution = CommandRun(command, self.turn.cwd, stream, max_output_bytes=self.agent.max_output_bytes, registry=self.agent.processes)
        interrupted = {**item, "status": "failed"}
        result = await self._guard(
            execution.execute(self.agent.command_timeout),
            lambda: {**interrupted, "aggregatedOutput": execution.output, "durationMs": execution.elapsed_ms},
        )
        await self.turn.complete_item(
            {
                **item,
                "status": "completed" if result.exit_code == 0 else "failed",
                "aggregatedOutput": result.output,
                "exitCode": result.exit_code,
                "durationMs": result.duration_ms,
            }
        )

    def _command_refusal(self, command: str) -> str | None:
        """Why the command must not even be offered for approval (checked again right before it runs)."""
        problem = os_problem(command)
        if problem is not None:
            return f"refused: the command cannot be run exactly as shown: {problem}"
        if len(command.encode()) > self.agent.max_shown_bytes:
            return f"refused: the command is longer than {self.agent.max_shown_bytes} bytes, too long to show for approval"
        if not inside(self.turn.workspace_root, self.turn.cwd):
            return f"refused: the thread's cwd {self.turn.cwd} is outside the workspace root {self.turn.workspace_root}"
        return None

    async def change_file(self, path: str, kind: str, plan: Callable[[], PlannedChange]) -> None:
        item_id = self.new_item_id()
        try:
            change = plan()
            if len(change.diff.encode()) > self.agent.max_shown_bytes:
                raise FileChangeError(f"refused: the change to {path} is larger than {self.agent.max_shown_bytes} bytes, too large to show for approval")
        except FileChangeError as error:
            await self._refuse(item_id, path, kind, error)
            return
        item: JsonDict = {"type": "fileChange", "id": item_id, "changes": [change.wire()], "status": "inProgress"}
        await self.turn.start_item(dict(item))
        approval = self.turn.request_approval("fileChange", dict(item), f"The script asks to {'delete' if change.kind == 'delete' else 'write'} {change.path}.")
        decision = await self._guard(approval, lambda: {**item, "status": "declined"})
        if decision in ("decline", "cancel"):
            await self.turn.complete_item({**item, "status": "declined"})
            if decision == "cancel":
                raise TurnCancelled(f"approval of the change to {change.path} was cancelled")
            return
        self.diff.remember(change)
        try:
            apply_change(change)
        except FileChangeError as error:
            await self.turn.complete_item({**item, "status": "failed"})
            await self.say(str(error))
            return
        await self.turn.complete_item({**item, "status": "completed"})
        await self.turn.diff_updated(self.diff.render())

    async def _refuse(self, item_id: str, path: str, kind: str, error: FileChangeError) -> None:
        """A change refused before approval (nothing was read or written): a failed item with an empty diff, then a message saying why."""
        item = {"type": "fileChange", "id": item_id, "changes": [{"path": path, "kind": kind, "diff": ""}], "status": "failed"}
        await self.turn.start_item({**item, "status": "inProgress"})
        await self.turn.complete_item(item)
        await self.say(str(error))
