"""End-to-end demo: `python -m threadloom_server.demo`.

Spawns `threadloom serve --store :memory:` in a temporary workspace, runs one turn with plain
text, a `run: echo hello` command (approval answered accept) and a `write:` file change (approval
answered accept), and prints a readable transcript. Exits 1 if anything differs from what the
scripted agent promises (see server/AGENT.md), so CI can run it.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from threadloom_protocol.v2 import models as m
from threadloom_protocol.v2.client import Client, spawn_server
from threadloom_runtime.errors import ConnectionClosed, ProtocolError

SCRIPT = "Hello from the Threadloom demo!\nrun: echo hello\nwrite: hello.txt\nHello, file.\nend:\nAll done."
EXPECTED_ITEMS = ["userMessage", "agentMessage", "commandExecution", "fileChange", "agentMessage"]


class DemoFailed(Exception):
    pass


def server_command(workspace: Path) -> list[str]:
    """`threadloom serve`, from the same environment as this Python."""
    script = Path(sys.executable).parent / "threadloom"
    launcher = [str(script)] if script.exists() else [sys.executable, "-c", "from threadloom.cli import main; main()"]
    return [*launcher, "serve", "--store", ":memory:", "--workspace", str(workspace)]


def say(direction: str, text: str) -> None:
    print(f"{direction} {text}", flush=True)


@dataclass
class Transcript:
    """Prints the session as it happens and remembers what the checks need."""

    approvals: list[str] = field(default_factory=list)
    resolved: int = 0
    diffs: list[str] = field(default_factory=list)
    completed: asyncio.Event = field(default_factory=asyncio.Event)
    turn: m.Turn | None = None

    def attach(self, client: Client) -> None:
        client.on_turn_started(lambda p: say("<-", f"turn/started {p.turn.id}"))
        client.on_item_started(self.item_started)
        client.on_item_agent_message_delta(lambda p: None)
        client.on_item_command_execution_output_delta(lambda p: say("<-", f"   {p.stream.value}: {p.delta.rstrip()}"))
        client.on_item_completed(self.item_completed)
        client.on_server_request_resolved(self.request_resolved)
        client.on_turn_diff_updated(lambda p: self.diffs.append(p.diff))
        client.on_error(lambda p: say("<-", f"error: {p.error.message}"))
        client.on_turn_completed(self.turn_completed)
        client.handle_item_command_execution_request_approval(self.approve_command)
        client.handle_item_file_change_request_approval(self.approve_change)

    def item_started(self, params: m.ItemStartedParams) -> None:
        item = params.item
        if isinstance(item, m.CommandExecutionItem):
            say("<-", f"item/started commandExecution: $ {item.command}")
        elif isinstance(item, m.FileChangeItem):
            say("<-", f"item/started fileChange: {', '.join(f'{c.kind!s} {c.path}' for c in item.changes)}")

    def item_completed(self, params: m.ItemCompletedParams) -> None:
        item = params.item
        if isinstance(item, m.UserMessageItem):
            text = " / ".join(part.text for part in item.content if isinstance(part, m.TextUserInput))
            say("<-", f"item userMessage: {text!r}")
        elif isinstance(item, m.AgentMessageItem):
            say("<-", f"item agentMessage: {item.text!r}")
        elif isinstance(item, m.CommandExecutionItem):
            say("<-", f"item/completed commandExecution: status {item.status!s}, exit code {item.exit_code}")
        elif isinstance(item, m.FileChangeItem):
            say("<-", f"item/completed fileChange: status {item.status!s}")
            for change in item.changes:
                for line in change.diff.splitlines():
                    print(f"        {line}")

    async def approve_command(self, params: m.CommandExecutionRequestApprovalParams) -> m.ApprovalResult:
        self.approvals.append(params.command)
        say("<-", f"item/commandExecution/requestApproval: run `{params.command}` in {params.cwd}?")
        say("->", "accept")
        return m.ApprovalResult(decision=m.ApprovalDecision.accept)

    async def approve_change(self, params: m.FileChangeRequestApprovalParams) -> m.ApprovalResult:
        self.approvals.append(", ".join(change.path for change in params.changes))
        say("<-", f"item/fileChange/requestApproval: change {self.approvals[-1]}?")
        say("->", "accept")
        return m.ApprovalResult(decision=m.ApprovalDecision.accept)

    def request_resolved(self, params: m.ServerRequestResolvedParams) -> None:
        self.resolved += 1
        say("<-", f"serverRequest/resolved {params.request_id}")

    def turn_completed(self, params: m.TurnCompletedParams) -> None:
        self.turn = params.turn
        say("<-", f"turn/completed: status {params.turn.status!s}, {len(params.turn.items)} items")
        self.completed.set()


async def run_demo(workspace: Path) -> None:
    async with spawn_server(server_command(workspace)) as client:
        transcript = Transcript()
        transcript.attach(client)
        say("->", "initialize")
        info = await client.initialize(m.InitializeParams(client_info=m.ClientInfo(name="threadloom-demo", version="1")))
        await client.initialized()
        say("<-", f"server {info.server_info.name} {info.server_info.version}, protocol version {info.protocol_version}")
        say("->", "thread/start")
        thread = (await client.thread_start(m.ThreadStartParams())).thread
        say("<-", f"thread {thread.id} in {thread.cwd} (approval policy {thread.approval_policy.value})")
        print("\n   turn input:\n" + "\n".join(f"   | {line}" for line in SCRIPT.splitlines()) + "\n")
        say("->", "turn/start")
        started = await client.turn_start(m.TurnStartParams(thread_id=thread.id, input=[m.TextUserInput(type="text", text=SCRIPT)]))
        say("<-", f"turn/start response: turn {started.turn.id} {started.turn.status!s}")
        await asyncio.wait_for(transcript.completed.wait(), 30)
        say("->", "thread/read includeTurns")
        stored = (await client.thread_read(m.ThreadReadParams(thread_id=thread.id, include_turns=True))).thread
        say("<-", f"stored history: {len(stored.turns or [])} turn(s), items {[item.type for item in (stored.turns or [])[0].items]}")
        check(transcript, workspace, stored)


def check(transcript: Transcript, workspace: Path, stored: m.Thread) -> None:
    turn = transcript.turn
    problems = []
    if turn is None or turn.status is not m.TurnStatus.completed:
        problems.append(f"the turn did not complete: {turn.status if turn else 'no turn/completed'}")
    elif [item.type for item in turn.items] != EXPECTED_ITEMS:
        problems.append(f"unexpected items {[item.type for item in turn.items]}")
    else:
        command = turn.items[2]
        if not isinstance(command, m.CommandExecutionItem) or command.exit_code != 0 or command.aggregated_output != "hello\n":
            problems.append(f"the command did not print hello: {command}")
    if transcript.approvals != ["echo hello", "hello.txt"] or transcript.resolved != 2:
        problems.append(f"approvals {transcript.approvals}, resolved {transcript.resolved}")
    target = workspace / "hello.txt"
    if not target.is_file() or target.read_text() != "Hello, file.\n":
        problems.append("hello.txt was not written")
    if len(transcript.diffs) != 1 or "+Hello, file." not in transcript.diffs[0]:
        problems.append("no turn/diff/updated with the change")
    if stored.turns is None or turn is None or stored.turns[0].items != turn.items:
        problems.append("the stored history differs from turn/completed")
    if problems:
        raise DemoFailed("; ".join(problems))


def main() -> int:
    workspace = Path(tempfile.mkdtemp(prefix="threadloom-demo-"))
    try:
        asyncio.run(run_demo(workspace))
    except (DemoFailed, TimeoutError, OSError, ProtocolError, ConnectionClosed) as error:
        print(f"\ndemo FAILED: {error or type(error).__name__}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    print("\ndemo OK: text, an approved command and an approved file change, all stored.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
