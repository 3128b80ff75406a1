"""Record the frozen transcript corpus: conformance/transcripts/v1/*.jsonl and v2/*.jsonl.

    python -m threadloom_conformance.record_corpus [--out conformance/transcripts] [--only NAME]... [--list]

Every scenario drives a GENERATED Python client (`threadloom_protocol.v1.client` for v1
transcripts, `threadloom_protocol.v2.client` for v2 ones) against a fresh
`threadloom serve --store :memory: --workspace <empty tmp dir>` through `RecordingTransport`,
and writes one transcript (the workspace path is recorded as `${tmpdir}`).

Re-recording is a deliberate act of a maintainer, never something the tests do: the corpus is
frozen so that a NEWER server is checked against what OLDER clients really saw. After recording,
review the diff, replay the corpus a few times over stdio and HTTP, then run
`threadloom generate conformance`.

The scenarios are written so that the replayed server cannot race the client: the client only
acts once the messages it reacts to have arrived (e.g. it interrupts a `sleep:` turn after the
turn's user message item completed, and waits for the last notification of a turn, the v2
`thread/status/changed` idle, before its next request).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from threadloom_conformance.record import Recorder, RecordingTransport
from threadloom_conformance.transcript import save
from threadloom_runtime.errors import ConnectionClosed, ProtocolError
from threadloom_runtime.transport import SubprocessTransport

CORPUS = Path(__file__).resolve().parents[1] / "transcripts"  # conformance/transcripts in this repository
SERVE = [sys.executable, "-c", "from threadloom.cli import main; main()", "serve", "--store", ":memory:"]
CLIENT_INFO = {"name": "threadloom-py", "version": "1.0"}
WAIT_SECONDS = 60.0  # for one awaited notification (hang detection only: a busy machine is slow, not stuck)
SCENARIO_SECONDS = 300.0  # for a whole scenario (a request the server never answers must not hang the recording)
HOLD = "hold"  # an approval the client never answers (the turn is interrupted while it is pending)
Decision = str | asyncio.Future[str]  # a decision, or one the scenario gives later (the turn waits meanwhile)

# Lists whose order depends on ids or equal timestamps (threads created in the same millisecond).
THREAD_LIST = {"thread/list:$.result.data": "arrayContains"}
LOADED_LIST = {"thread/loaded/list:$.result.data": "arrayContains"}
# An error's `data.reason` is prose like `message` (the path next to it stays exact).
ERROR_PROSE = {"$.error.data.reason": "type"}


class ScenarioError(Exception):
    """The server did not behave as the scenario expects: nothing is written."""


# -- one recorded connection ------------------------------------------------------------------


class Session:
    """A generated client on a recording transport, plus the server messages it has seen, in order."""

    def __init__(self, client: Any, version: int) -> None:
        self.client = client
        self.version = version
        self.m: ModuleType = _module(version, "models")
        self.errors: ModuleType = _module(version, "errors")
        self.seen: list[tuple[str, Any]] = []
        self.cursor = 0
        self.arrived = asyncio.Condition()
        self.decisions: list[Decision] = []
        self.held: list[asyncio.Future[None]] = []
        methods = _module(version, "methods").METHODS
        for name, info in methods.items():
            if info.direction == "serverToClient" and not info.is_request:
                client.session.subscribe(name, self._collector(name))
        client.handle_item_command_execution_request_approval(self._approver("item/commandExecution/requestApproval"))
        client.handle_item_file_change_request_approval(self._approver("item/fileChange/requestApproval"))

    def _collector(self, method: str) -> Callable[[Any], Awaitable[None]]:
        async def collect(params: Any) -> None:
            await self._note(method, params)

        return collect

    def _approver(self, method: str) -> Callable[[Any], Awaitable[Any]]:
        async def answer(params: Any) -> Any:
            await self._note(method, params)
            if not self.decisions:
                raise ScenarioError(f"unplanned approval request {method}")
            decision = self.decisions.pop(0)
            if isinstance(decision, asyncio.Future):
                decision = await decision
            if decision == HOLD:
                pending: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self.held.append(pending)
                await pending  # never answered: cancelled when the session closes
            return self.m.ApprovalResult(decision=self.m.ApprovalDecision(decision))

        return answer

    async def _note(self, method: str, params: Any) -> None:
        async with self.arrived:
            self.seen.append((method, params))
            self.arrived.notify_all()

    async def until(self, method: str, where: Callable[[Any], bool] = lambda _: True) -> Any:
        """The next message `method` (after the last one waited for) satisfying `where`."""

        found: list[Any] = []

        def scan() -> bool:
            for index in range(self.cursor, len(self.seen)):
                name, params = self.seen[index]
                if name == method and where(params):
                    self.cursor = index + 1
                    found.append(params)
                    return True
            return False

        async with self.arrived:
            try:
                await asyncio.wait_for(self.arrived.wait_for(scan), WAIT_SECONDS)
            except TimeoutError:
                raise ScenarioError(f"no {method} within {WAIT_SECONDS:g}s; seen: {[name for name, _ in self.seen]}") from None
        return found[0]

    # -- building blocks of the scenarios ------------------------------------------------------

    def text(self, text: str) -> list[Any]:
        return [self.m.TextUserInput(type="text", text=text)]

    async def initialize(self, experimental: bool = False, versions: list[int] | None = None) -> Any:
        params: dict[str, Any] = {"client_info": self.m.ClientInfo(**CLIENT_INFO)}
        if experimental:
            params["capabilities"] = self.m.ClientCapabilities(experimental_api=True)
        if versions is not None:
            params["protocol_versions"] = versions
        result = await self.client.initialize(self.m.InitializeParams(**params))
        await self.client.initialized()
        return result

    async def start_thread(self, **params: Any) -> str:
        thread = (await self.client.thread_start(self.m.ThreadStartParams(**params))).thread
        await self.until("thread/started", lambda p: p.thread.id == thread.id)
        return str(thread.id)

    async def start_turn(self, thread_id: str, text: str, decisions: tuple[Decision, ...] = ()) -> str:
        """Start a turn and wait until it has begun: its user message item completed."""
        self.decisions.extend(decisions)
        turn = (await self.client.turn_start(self.m.TurnStartParams(thread_id=thread_id, input=self.text(text)))).turn
        await self.until("item/completed", lambda p: p.turn_id == turn.id and p.item.type == "userMessage")
        return str(turn.id)

    async def finish_turn(self, turn_id: str) -> Any:
        """Wait for the turn's last notification: `turn/completed` (v1), then `thread/status/changed` idle (v2)."""
        completed = await self.until("turn/completed", lambda p: p.turn.id == turn_id)
        if self.version >= 2:
            await self.until("thread/status/changed", lambda p: p.thread_id == completed.thread_id and p.status == "idle")
        if self.decisions:
            raise ScenarioError(f"approval decisions left unused: {self.decisions}")
        return completed.turn

    async def turn(self, thread_id: str, text: str, *decisions: str, status: str = "completed") -> Any:
        turn = await self.finish_turn(await self.start_turn(thread_id, text, decisions))
        if turn.status != status:
            raise ScenarioError(f"turn ended {turn.status}, expected {status}")
        return turn

    async def interrupt(self, thread_id: str, turn_id: str) -> None:
        await self.client.turn_interrupt(self.m.TurnInterruptParams(thread_id=thread_id, turn_id=turn_id))

    async def fails(self, call: Awaitable[Any], error: str) -> ProtocolError:
        """Await a request that must fail with the generated error class `error`."""
        try:
            await call
        except ProtocolError as raised:
            if type(raised).__name__ != error:
                raise ScenarioError(f"expected {error}, got {type(raised).__name__}: {raised}") from None
            return raised
        raise ScenarioError(f"expected {error}, got a result")

    async def raw(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """A request the typed API cannot express (an unknown method): the generated client's connection."""
        reply: dict[str, Any] = await self.client.session.connection.request(method, params)
        return reply

    async def close(self) -> None:
        for pending in self.held:
            pending.cancel()
        await self.client.close()


def of_turn(turn_id: str) -> Callable[[Any], bool]:
    """Matches the params of a turn's item notifications and approval requests."""
    return lambda params: bool(params.turn_id == turn_id)


def _module(version: int, name: str) -> ModuleType:
    import importlib

    return importlib.import_module(f"threadloom_protocol.v{version}.{name}")


# -- the scenarios ------------------------------------------------------------------------------

Play = Callable[[Session], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    version: int
    description: str
    play: Play
    matchers: dict[str, Any] = field(default_factory=dict)


SCENARIOS: list[Scenario] = []


def scenario(name: str, versions: tuple[int, ...], description: str, matchers: dict[str, Any] | None = None) -> Callable[[Play], Play]:
    def register(play: Play) -> Play:
        for version in versions:
            SCENARIOS.append(Scenario(name, version, f"v{version} client: {description}", play, dict(matchers or {})))
        return play

    return register


BOTH = (1, 2)
V2 = (2,)


@scenario("plain-turn", BOTH, "initialize, initialized, thread/start, one turn with plain text (userMessage + streamed agentMessage), thread/read with turns")
async def plain_turn(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    await s.turn(thread, "Hello there, conformance.\nSecond line of the same message.")
    await s.client.thread_read(s.m.ThreadReadParams(thread_id=thread, include_turns=True))


@scenario("command-accept", BOTH, "a `run:` command approval answered accept: the command runs, its output streams, then an agent message")
async def command_accept(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    await s.turn(thread, "run: echo hello from the command\nThe command ran.", "accept")


@scenario(
    "approval-decline",
    BOTH,
    "a command approval and a file change approval answered decline: both items end declined, nothing runs or is written, the turn goes on",
)
async def approval_decline(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    await s.turn(thread, "run: echo never printed\nwrite: declined.txt\nnot written\nend:\nLeft both alone.", "decline", "decline")


@scenario(
    "approval-cancel",
    V2,
    "a command approval answered cancel, then (next turn) a file change approval answered cancel: each item ends declined, each turn interrupted",
)
async def approval_cancel(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    await s.turn(thread, "run: echo never printed\nNot reached.", "cancel", status="interrupted")
    await s.turn(thread, "write: cancelled.txt\nnot written\nend:\nNot reached.", "cancel", status="interrupted")


@scenario(
    "approval-accept-for-session",
    V2,
    "acceptForSession on a command approval (the thread's later command and file change, this turn and the next, are not asked), "
    "then on a file change approval of a second thread",
)
async def approval_accept_for_session(s: Session) -> None:
    await s.initialize()
    first = await s.start_thread()
    await s.turn(first, "run: echo first\nwrite: a.txt\nalpha\nend:\nrun: echo second", "acceptForSession")
    await s.turn(first, "run: echo third")
    second = await s.start_thread()
    await s.turn(second, "write: b.txt\nbeta\nend:\nrun: echo after", "acceptForSession")


@scenario(
    "command-failed-exit",
    BOTH,
    "an accepted command that exits non-zero: the commandExecution item ends failed with its exit code, the turn completes",
)
async def command_failed_exit(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    await s.turn(thread, "run: echo broken; exit 3\nThe command failed.", "accept")


@scenario(
    "file-change-accept",
    BOTH,
    "`write:` of a new file (add), then of the same file (update), then `delete:`, each approval answered accept; turn diffs follow",
)
async def file_change_accept(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    await s.turn(thread, "write: notes.txt\nfirst line\nend:\nWrote it.", "accept")
    await s.turn(thread, "write: notes.txt\nfirst line\nsecond line\nend:\ndelete: notes.txt\nDone.", "accept", "accept")


@scenario("reasoning-and-plan", V2, "`think:` (a reasoning item with streamed summary deltas) and `plan:` (a plan item) before an agent message")
async def reasoning_and_plan(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    await s.turn(thread, "think: look at the tree first\nplan: read the code; write the fix; run the tests\nPlan made.")


@scenario("interrupt-sleep", BOTH, "turn/interrupt while the agent sleeps: the interrupt is answered, then the turn completes interrupted")
async def interrupt_sleep(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    turn = await s.start_turn(thread, "sleep: 30\nNever said.")
    await s.interrupt(thread, turn)
    await s.finish_turn(turn)


@scenario(
    "interrupt-running-command",
    BOTH,
    "turn/interrupt while an accepted command runs (after its first output): the command is killed, its item fails, the turn is interrupted",
)
async def interrupt_running_command(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    turn = await s.start_turn(thread, "run: echo started; sleep 30\nNever said.", ("accept",))
    await s.until("item/commandExecution/outputDelta", of_turn(turn))
    await s.interrupt(thread, turn)
    await s.finish_turn(turn)


@scenario(
    "interrupt-pending-approval",
    BOTH,
    "turn/interrupt while a command approval is pending (never answered), then in a second turn while a file change approval is pending: "
    "the approval is resolved, the item declined, nothing written, each turn interrupted",
)
async def interrupt_pending_approval(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    for script, request in (
        ("run: echo never printed\nNever said.", "item/commandExecution/requestApproval"),
        ("write: pending.txt\nnot written\nend:\nNever said.", "item/fileChange/requestApproval"),
    ):
        turn = await s.start_turn(thread, script, (HOLD,))
        await s.until(request, of_turn(turn))
        await s.interrupt(thread, turn)
        await s.finish_turn(turn)


@scenario(
    "steer",
    V2,
    "turn/steer while the turn waits for a command approval: the input becomes a userMessage item of the running turn; "
    "after the approval the turn completes; a steer of the finished turn gets TurnNotFound",
)
async def steer(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    later: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    turn = await s.start_turn(thread, "run: echo after the steer\nFinished after the steer.", (later,))
    await s.until("item/commandExecution/requestApproval", of_turn(turn))
    await s.client.turn_steer(s.m.TurnSteerParams(thread_id=thread, expected_turn_id=turn, input=s.text("Also check the docs.")))
    await s.until("item/completed", lambda p: p.turn_id == turn and p.item.type == "userMessage")
    later.set_result("accept")
    await s.finish_turn(turn)
    await s.fails(s.client.turn_steer(s.m.TurnSteerParams(thread_id=thread, expected_turn_id=turn, input=s.text("too late"))), "TurnNotFound")


@scenario("failed-turn", BOTH, "`fail:` after an agent message: an `error` notification and a turn that ends failed with code agentFailed")
async def failed_turn(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    await s.turn(thread, "Working on it.\nfail: the disk is on fire", status="failed")
    await s.turn(thread, "Still here after the failure.")


@scenario(
    "thread-lifecycle",
    (1,),
    "thread/list, thread/read (with and without turns), thread/archive (hidden from the default list, listed with archived), thread/resume with history",
    matchers=THREAD_LIST,
)
async def thread_lifecycle_v1(s: Session) -> None:
    await s.initialize()
    first = await s.start_thread()
    await s.turn(first, "First thread.")
    second = await s.start_thread()
    await s.turn(second, "Second thread.")
    await s.client.thread_list()
    await s.client.thread_read(s.m.ThreadReadParams(thread_id=first))
    await s.client.thread_read(s.m.ThreadReadParams(thread_id=first, include_turns=True))
    await s.client.thread_archive(s.m.ThreadArchiveParams(thread_id=first))
    await s.client.thread_list()
    await s.client.thread_list(s.m.ThreadListParams(archived=True))
    await s.client.thread_resume(s.m.ThreadResumeParams(thread_id=first))
    await s.turn(first, "Resumed and continued.")


@scenario(
    "thread-lifecycle",
    V2,
    "thread/name/set, thread/list (archiveFilter), thread/read, thread/archive, thread/unarchive, thread/resume with history, then a turn",
    matchers=THREAD_LIST,
)
async def thread_lifecycle_v2(s: Session) -> None:
    await s.initialize()
    first = await s.start_thread(name="first")
    await s.turn(first, "First thread.")
    second = await s.start_thread()
    await s.turn(second, "Second thread.")
    await s.client.thread_name_set(s.m.ThreadNameSetParams(thread_id=second, name="renamed second"))
    await s.client.thread_list()
    await s.client.thread_read(s.m.ThreadReadParams(thread_id=second, include_turns=True))
    await s.client.thread_archive(s.m.ThreadArchiveParams(thread_id=first))
    await s.client.thread_list(s.m.ThreadListParams(archive_filter=s.m.ArchiveFilter.archived))
    await s.client.thread_unarchive(s.m.ThreadUnarchiveParams(thread_id=first))
    await s.client.thread_list(s.m.ThreadListParams(archive_filter=s.m.ArchiveFilter.all))
    await s.client.thread_resume(s.m.ThreadResumeParams(thread_id=first))
    await s.turn(first, "Resumed and continued.")


@scenario("fork", V2, "thread/fork of a thread with history: the copy announces thread/started, runs its own turn; the original is unchanged")
async def fork(s: Session) -> None:
    await s.initialize()
    original = await s.start_thread()
    await s.turn(original, "run: echo before the fork\nShared history.", "accept")
    copy = (await s.client.thread_fork(s.m.ThreadForkParams(thread_id=original))).thread
    await s.until("thread/started", lambda p: p.thread.id == copy.id)
    await s.turn(copy.id, "Only in the fork.")
    await s.client.thread_read(s.m.ThreadReadParams(thread_id=original, include_turns=True))


@scenario(
    "loaded-list-experimental",
    V2,
    "capabilities.experimentalApi: the experimental thread/loaded/list lists the threads in memory",
    matchers=LOADED_LIST,
)
async def loaded_list_experimental(s: Session) -> None:
    await s.initialize(experimental=True)
    await s.client.thread_loaded_list()
    thread = await s.start_thread()
    await s.start_thread()
    await s.turn(thread, "Loaded.")
    await s.client.thread_loaded_list()


@scenario("loaded-list-without-opt-in", V2, "thread/loaded/list without capabilities.experimentalApi: ExperimentalApiRequired; other methods still work")
async def loaded_list_without_opt_in(s: Session) -> None:
    await s.initialize()
    await s.fails(s.client.thread_loaded_list(), "ExperimentalApiRequired")
    await s.start_thread()


@scenario("error-thread-not-found", BOTH, "every thread method with an unknown thread id: ThreadNotFound (with data.threadId)")
async def error_thread_not_found(s: Session) -> None:
    await s.initialize()
    missing = "00000000-0000-0000-0000-000000000000"
    m = s.m
    await s.fails(s.client.thread_read(m.ThreadReadParams(thread_id=missing)), "ThreadNotFound")
    await s.fails(s.client.thread_resume(m.ThreadResumeParams(thread_id=missing)), "ThreadNotFound")
    await s.fails(s.client.thread_archive(m.ThreadArchiveParams(thread_id=missing)), "ThreadNotFound")
    await s.fails(s.client.turn_start(m.TurnStartParams(thread_id=missing, input=s.text("hi"))), "ThreadNotFound")
    await s.fails(s.client.turn_interrupt(m.TurnInterruptParams(thread_id=missing, turn_id="no-turn")), "ThreadNotFound")
    if s.version >= 2:
        await s.fails(s.client.thread_fork(m.ThreadForkParams(thread_id=missing)), "ThreadNotFound")
        await s.fails(s.client.thread_unarchive(m.ThreadUnarchiveParams(thread_id=missing)), "ThreadNotFound")
        await s.fails(s.client.thread_name_set(m.ThreadNameSetParams(thread_id=missing, name="x")), "ThreadNotFound")
        steer = m.TurnSteerParams(thread_id=missing, expected_turn_id="no-turn", input=s.text("x"))
        await s.fails(s.client.turn_steer(steer), "ThreadNotFound")


@scenario(
    "error-turns",
    BOTH,
    "turn/interrupt of an unknown turn and of a finished one: TurnNotFound; turn/start while a turn runs: TurnAlreadyActive (data.activeTurnId)",
)
async def error_turns(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    await s.fails(s.interrupt(thread, "no-such-turn"), "TurnNotFound")
    running = await s.start_turn(thread, "sleep: 30\nNever said.")
    await s.fails(s.client.turn_start(s.m.TurnStartParams(thread_id=thread, input=s.text("second"))), "TurnAlreadyActive")
    await s.interrupt(thread, running)
    await s.finish_turn(running)
    await s.fails(s.interrupt(thread, running), "TurnNotFound")


@scenario(
    "error-handshake",
    BOTH,
    "a request before initialize: NotInitialized; then initialize; a second initialize: AlreadyInitialized; the session still works",
)
async def error_handshake(s: Session) -> None:
    await s.fails(s.client.thread_start(), "NotInitialized")
    await s.initialize()
    await s.fails(s.client.initialize(s.m.InitializeParams(client_info=s.m.ClientInfo(**CLIENT_INFO))), "AlreadyInitialized")
    await s.start_thread()


@scenario(
    "error-unsupported-version",
    V2,
    "initialize offering only protocol version 99: UnsupportedProtocolVersion (data lists the supported versions); a thread/start is still NotInitialized",
    matchers={"initialize:$.error.data.supported": "type"},  # what a server supports changes with its release
)
async def error_unsupported_version(s: Session) -> None:
    await s.fails(s.initialize(versions=[99]), "UnsupportedProtocolVersion")
    await s.fails(s.client.thread_start(), "NotInitialized")


@scenario(
    "error-requests",
    BOTH,
    "an unknown method: MethodNotFound; invalid params (a missing required member, an empty input list): InvalidParams with data.path",
)
async def error_requests(s: Session) -> None:
    await s.initialize()
    thread = await s.start_thread()
    try:
        await s.raw("thread/frobnicate", {"threadId": thread})
    except ProtocolError as error:
        if error.code != -32601:
            raise ScenarioError(f"expected -32601, got {error.code}") from None
    else:
        raise ScenarioError("an unknown method got a result")
    # model_construct skips the client-side validation: the server must catch these.
    await s.fails(s.client.thread_read(s.m.ThreadReadParams.model_construct()), "InvalidParams")
    await s.fails(s.client.turn_start(s.m.TurnStartParams.model_construct(thread_id=thread, input=[])), "InvalidParams")
    await s.turn(thread, "Still fine.")


# -- recording ----------------------------------------------------------------------------------


async def record(entry: Scenario, out_dir: Path) -> Path:
    """Run one scenario against a fresh server and empty workspace; write its transcript."""
    workspace = Path(tempfile.mkdtemp(prefix="threadloom-corpus-")).resolve()
    try:
        inner = await SubprocessTransport.spawn([*SERVE, "--workspace", str(workspace)])
        recorder = Recorder(scenario=entry.description, protocol_version=entry.version, variables={"tmpdir": str(workspace)})
        client = _module(entry.version, "client").Client(RecordingTransport(inner, recorder))
        client.start()
        session = Session(client, entry.version)
        try:
            await asyncio.wait_for(entry.play(session), SCENARIO_SECONDS)
        except TimeoutError:
            raise ScenarioError(f"not finished within {SCENARIO_SECONDS:g}s; seen: {[name for name, _ in session.seen]}") from None
        finally:
            await session.close()
        path = out_dir / f"v{entry.version}" / f"{entry.name}.jsonl"
        transcript = recorder.transcript(path)
        if any(r.dir == "s2c" and "reason" in ((r.msg.get("error") or {}).get("data") or {}) for r in transcript.records):
            transcript.header["matchers"].update(ERROR_PROSE)
        transcript.header["matchers"].update(entry.matchers)
        return save(transcript)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m threadloom_conformance.record_corpus", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=CORPUS, help=f"corpus folder (default {CORPUS})")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="record only this scenario (v1/NAME, v2/NAME or NAME); repeatable")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    chosen = [s for s in SCENARIOS if not args.only or s.name in args.only or f"v{s.version}/{s.name}" in args.only]
    if args.list:
        for entry in SCENARIOS:
            print(f"v{entry.version}/{entry.name}: {entry.description}")
        return 0
    if not chosen:
        parser.error(f"no scenario named {', '.join(args.only)} (see --list)")
    failed = 0
    for entry in chosen:
        try:
            path = asyncio.run(record(entry, args.out))
        except (ScenarioError, ProtocolError, ConnectionClosed, OSError) as error:
            failed += 1
            print(f"v{entry.version}/{entry.name}: FAILED: {error}", file=sys.stderr)
            continue
        print(f"v{entry.version}/{entry.name}: wrote {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
