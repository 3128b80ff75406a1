"""Record the Codex corpus: realistic old-client sessions against a pinned `codex app-server`.

    python -m tests.codex_live.record_corpus [--release 0.130.0]... [--only NAME]... [--out DIR] [--list] [--check]

Each session runs against a fresh server (`threadloom_conformance.codex_session`: its own
CODEX_HOME, workspace and scripted model) behind `threadloom record --protocol <that release's
export>`, driven by the stdio client of these tests. What is volatile on Codex is declared once in
conformance/codex/matchers.json, so the per-transcript rules `record` infers are dropped from the
headers. Review the diff of conformance/codex/transcripts/ before committing a re-recording.

The client lets the server finish speaking before each message it sends (`QuietSession`: no
message for `QUIET_SECONDS`). A notification Codex sends on its own schedule (after `initialize`,
after a turn) then lands before the client's next message in every recording, never after it by
chance: the recording is deterministic under the scripted model, and each server message sits
after the client messages it depends on and before the ones it does not, which is what playing a
recording back (`threadloom_conformance.playback`) relies on to predict a replay.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.codex_live.client import Message, StdioSession
from tests.codex_live.test_codex_offline import turn
from threadloom_conformance.releases import codex_export

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "conformance" / "codex"
SCENARIO = CORPUS / "corpus-scenario.json"
RECORDED_RELEASES = ("0.130.0", "0.169.0", "0.171.0")
CLIENT_INFO = {"clientInfo": {"name": "threadloom-old-client", "title": "Threadloom", "version": "1.0.0"}}
INFERRED = ("matchers", "volatiles", "ordering")  # declared once in matchers.json instead
QUIET_SECONDS = 0.5  # silence after which the server has said all it had to say (the scripted model answers in ms)


class QuietSession(StdioSession):
    """A client that sends each message only once the server has been quiet for QUIET_SECONDS.
    What arrived meanwhile and no wait asked for is done with: a later `wait_for` matches only
    messages that arrive after the client spoke again (never a stale one of an earlier turn)."""

    def send(self, message: Message) -> None:
        self.wait_until_quiet()
        super().send(message)

    def wait_until_quiet(self) -> None:
        while True:
            try:
                arrived = self._inbox.get(timeout=QUIET_SECONDS)
            except queue.Empty:
                break
            if arrived is None:
                self._inbox.put(None)  # the server is gone: the next wait reports it
                break
        self._seen.clear()


Session = Callable[[StdioSession], None]


def open_session(session: StdioSession) -> None:
    session.request("initialize", CLIENT_INFO)
    session.notify("initialized")


def start_thread(session: StdioSession) -> str:
    thread_id: str = session.request("thread/start", {})["result"]["thread"]["id"]
    # an old client waits for the notification it reacts to before going on
    session.wait_for(lambda m: m.get("method") == "thread/started", "thread/started")
    return thread_id


def text_turn(session: StdioSession) -> None:
    open_session(session)
    thread_id = start_thread(session)
    turn(session, thread_id, "hello there")


def thread_lifecycle(session: StdioSession) -> None:
    open_session(session)
    thread_id = start_thread(session)
    turn(session, thread_id, "hello there")
    session.request("thread/read", {"threadId": thread_id, "includeTurns": True})
    fork_id = session.request("thread/fork", {"threadId": thread_id})["result"]["thread"]["id"]
    session.wait_for(lambda m: m.get("method") == "thread/started", "thread/started of the fork")
    session.request("thread/archive", {"threadId": fork_id})
    session.wait_for(lambda m: m.get("method") == "thread/archived", "thread/archived")
    session.request("thread/resume", {"threadId": thread_id})
    session.wait_for(lambda m: m.get("method") == "thread/tokenUsage/updated", "the resumed thread's token usage")
    turn(session, thread_id, "hello again")


def command_approvals(session: StdioSession) -> None:
    open_session(session)
    thread_id = start_thread(session)
    turn(session, thread_id, "please run the greeting", decision="accept")
    turn(session, thread_id, "run the greeting again", decision="decline")


def interrupt(session: StdioSession) -> None:
    """The user stops a turn while it waits for approval: what the server sends before the approval
    request is sequenced by the model's finished response, so nothing races the interrupt (a model
    stream stalled mid-response does: a rate-limit update may or may not come first)."""
    open_session(session)
    thread_id = start_thread(session)
    started = session.request("turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": "please run the greeting"}]})
    session.wait_for(lambda m: m.get("method") == "item/commandExecution/requestApproval" and "id" in m, "the approval request")
    session.request("turn/interrupt", {"threadId": thread_id, "turnId": started["result"]["turn"]["id"]})
    session.wait_for(lambda m: m.get("method") == "turn/completed", "the interrupted turn's end")
    session.wait_for(lambda m: m.get("method") == "serverRequest/resolved", "the withdrawn approval request")


def errors(session: StdioSession) -> None:
    open_session(session)
    unknown = "00000000-0000-7000-8000-000000000000"
    session.request("thread/read", {"threadId": unknown})
    session.request("turn/start", {"threadId": unknown, "input": [{"type": "text", "text": "hello"}]})
    session.request("thread/start", {"approvalPolicy": "sometimes"})
    session.request("turn/start", {"input": "not a list"})
    session.request("thread/nonexistent", {})


SESSIONS: dict[str, tuple[str, Session]] = {
    "text-turn": ("start a thread and run one text turn", text_turn),
    "thread-lifecycle": ("start, read, fork, archive the fork, resume the original, a turn on each side", thread_lifecycle),
    "command-approvals": ("a command the client accepts, then one it declines", command_approvals),
    "interrupt": ("the client interrupts a turn instead of answering its approval request", interrupt),
    "errors": ("an unknown thread, invalid params, an unknown method", errors),
}


def server_command(release: str, out: Path, scenario: str) -> list[str]:
    threadloom = str(Path(sys.executable).parent / "threadloom")
    codex = [sys.executable, "-m", "threadloom_conformance.codex_session", "--release", release, "--scenario", str(SCENARIO)]
    return [threadloom, "record", "--protocol", str(codex_export(release)), "--out", str(out), "--scenario", scenario, "--", *codex]


def record(name: str, release: str, folder: Path) -> Path:
    scenario, drive = SESSIONS[name]
    out = folder / f"{name}.jsonl"
    session = QuietSession(server_command(release, out, scenario))
    try:
        drive(session)
    finally:
        status = session.close()
    if status != 0:
        raise SystemExit(f"{name}: the recording exited {status}:\n{session.stderr_tail()}")
    drop_inferred_rules(out)
    return out


def drop_inferred_rules(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = {k: v for k, v in json.loads(lines[0]).items() if k not in INFERRED}
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n", encoding="utf-8")


def check_deterministic(releases: list[str], names: list[str], scratch: Path) -> int:
    """Record again and replay each committed session against the playback of the new recording:
    green means recording is deterministic (same messages up to volatile values, same places)."""
    from threadloom_conformance.codex_corpus import playback_command
    from threadloom_conformance.replay import ReplayOptions, replay_sync
    from threadloom_conformance.transcript import load

    failed = 0
    for release in releases:
        (scratch / release).mkdir()
        for name in names:
            fresh = record(name, release, scratch / release)
            options = ReplayOptions(server=playback_command(fresh), protocol_dir=codex_export(release))
            (result,) = replay_sync([load(CORPUS / "transcripts" / release / f"{name}.jsonl")], options)
            failed += not result.passed
            print(f"{'same' if result.passed else 'DIFFERENT'}: {release}/{name}")
            for f in result.failures:
                print(f"  line {f.line} [{f.check}] {f.path}: {f.message}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.codex_live.record_corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", action="append", help=f"a Codex release to record against (repeatable) [default: {', '.join(RECORDED_RELEASES)}]")
    parser.add_argument("--only", action="append", choices=sorted(SESSIONS), help="record only this session (repeatable)")
    parser.add_argument("--out", type=Path, default=CORPUS / "transcripts", help="writes OUT/<release>/<session>.jsonl [default: %(default)s]")
    parser.add_argument("--list", action="store_true", help="list the sessions and exit")
    parser.add_argument("--check", action="store_true", help="record into a temporary folder and replay the committed sessions against their playback")
    args = parser.parse_args(argv)
    if args.list:
        for name, (scenario, _) in SESSIONS.items():
            print(f"{name}: {scenario}")
        return 0
    if args.check:
        with tempfile.TemporaryDirectory(prefix="record-corpus-check-") as tmp:
            return check_deterministic(args.release or list(RECORDED_RELEASES), args.only or list(SESSIONS), Path(tmp))
    for release in args.release or RECORDED_RELEASES:
        folder = args.out / release
        folder.mkdir(parents=True, exist_ok=True)
        for name in args.only or SESSIONS:
            print(record(name, release, folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
