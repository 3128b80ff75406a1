"""The real `codex app-server`, offline against the scripted model: full turns, approvals
accepted and declined, a file change, an interrupt and a model failure; every message of the
session validates against that release's own exported schema (read by Threadloom's Codex
adapter), by direction and method."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.codex_live.client import Message, StdioSession
from threadloom.loader import load_protocols
from threadloom.validate import validate_files
from threadloom_conformance.releases import codex_binary, codex_export

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "conformance" / "codex" / "scenario.json"
RELEASES = ("0.169.0", "0.171.0")


def run_session(release: str, workspace: Path) -> tuple[StdioSession, dict[str, Any], int]:
    """One driven session against the real codex app-server of `release`, offline: the session
    (closed, with every message in `captured`), what `drive` observed, and Codex's exit status."""
    command = [sys.executable, "-m", "threadloom_conformance.codex_session", "--codex", str(codex_binary(release))]
    session = StdioSession([*command, "--scenario", str(SCENARIO), "--workspace", str(workspace)])
    try:
        outcome = drive(session)
    finally:
        status = session.close()
    return session, outcome, status


@pytest.fixture(params=RELEASES, scope="module")
def session_messages(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    release: str = request.param
    workspace = tmp_path_factory.mktemp(f"codex-{release}")
    session, outcome, status = run_session(release, workspace)
    capture = workspace.parent / f"capture-{release}.jsonl"
    session.write_capture(capture)
    outcome["exit"] = status
    outcome["workspace"] = workspace
    yield release, capture, outcome


def drive(session: StdioSession) -> dict[str, Any]:
    """One realistic client session; returns what the assertions look at."""
    initialized = session.request("initialize", {"clientInfo": {"name": "threadloom-tests", "title": "Threadloom", "version": "1.0.0"}})
    session.notify("initialized")
    thread = session.request("thread/start", {})["result"]["thread"]
    outcome: dict[str, Any] = {"initialize": initialized["result"], "thread": thread}
    outcome["accepted"] = turn(session, thread["id"], "please run the greeting", decision="accept")
    outcome["declined"] = turn(session, thread["id"], "run the greeting again", decision="decline")
    outcome["file"] = turn(session, thread["id"], "write the notes please")
    outcome["interrupted"] = turn(session, thread["id"], "think slowly about it", interrupt=True)
    outcome["failed"] = turn(session, thread["id"], "fail now")
    outcome["read"] = session.request("thread/read", {"threadId": thread["id"], "includeTurns": True})
    outcome["unknown"] = session.request("thread/nonexistent", {})
    return outcome


def turn(session: StdioSession, thread_id: str, text: str, decision: str | None = None, interrupt: bool = False) -> dict[str, Any]:
    started = session.request("turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": text}]})
    turn_id = started["result"]["turn"]["id"]
    approval: Message | None = None
    if decision is not None:
        approval = session.wait_for(lambda m: m.get("method") == "item/commandExecution/requestApproval" and "id" in m, "an approval request")
        session.answer(approval, {"decision": decision})
    if interrupt:
        session.wait_for(lambda m: m.get("method") == "item/completed" and m["params"]["item"]["type"] == "userMessage", "the user message item")
        session.request("turn/interrupt", {"threadId": thread_id, "turnId": turn_id})
    items: list[dict[str, Any]] = []
    while True:
        message = session.wait_for(lambda m: m.get("method") in ("item/completed", "turn/completed"), f"the end of turn {turn_id}")
        if message["method"] == "turn/completed":
            return {"turn": message["params"]["turn"], "items": items, "approval": approval}
        items.append(message["params"]["item"])


def items_of(outcome: dict[str, Any], key: str, kind: str) -> list[dict[str, Any]]:
    return [item for item in outcome[key]["items"] if item["type"] == kind]


def test_every_message_of_the_session_validates_against_the_release_schema(session_messages: tuple[str, Path, dict[str, Any]]) -> None:
    release, capture, _ = session_messages
    (protocol,) = load_protocols(codex_export(release))
    result = validate_files(protocol, [capture])
    assert result.checked > 60
    # the one message that breaks the protocol is the client's own deliberate unknown method
    assert [(f.pointer, f.message) for f in result.findings] == [("/method", "unknown method `thread/nonexistent`")]


def test_an_accepted_command_runs_and_a_declined_one_does_not(session_messages: tuple[str, Path, dict[str, Any]]) -> None:
    _, _, outcome = session_messages
    (ran,) = items_of(outcome, "accepted", "commandExecution")
    assert ran["status"] == "completed" and ran["aggregatedOutput"] == "hello\n" and ran["exitCode"] == 0
    assert outcome["accepted"]["approval"]["params"]["reason"] == "Print a greeting"
    assert [i["text"] for i in items_of(outcome, "accepted", "agentMessage")] == ["The command printed hello."]
    assert [i["summary"] for i in items_of(outcome, "accepted", "reasoning")] == [["The user wants the greeting printed."]]
    (declined,) = items_of(outcome, "declined", "commandExecution")
    assert declined["status"] == "declined" and declined["aggregatedOutput"] is None


def test_a_file_change_is_applied_in_the_workspace(session_messages: tuple[str, Path, dict[str, Any]]) -> None:
    _, _, outcome = session_messages
    (change,) = items_of(outcome, "file", "fileChange")
    assert change["status"] == "completed" and change["changes"][0]["path"].endswith("notes.txt")
    assert (outcome["workspace"] / "notes.txt").read_text() == "remember the milk\n"


def test_an_interrupt_and_a_model_failure_end_their_turns(session_messages: tuple[str, Path, dict[str, Any]]) -> None:
    _, _, outcome = session_messages
    assert outcome["interrupted"]["turn"]["status"] == "interrupted"
    assert outcome["failed"]["turn"]["status"] == "failed"
    assert "scripted model failure" in outcome["failed"]["turn"]["error"]["message"]


def test_history_and_bad_input_behave_as_codex_documents(session_messages: tuple[str, Path, dict[str, Any]]) -> None:
    _, _, outcome = session_messages
    turns = outcome["read"]["result"]["thread"]["turns"]
    assert [t["status"] for t in turns] == ["completed", "completed", "completed", "interrupted", "failed"]
    assert outcome["unknown"]["error"]["code"] == -32600  # Codex answers an unknown method with -32600
    assert outcome["exit"] == 0
