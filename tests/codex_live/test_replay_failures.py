"""How replay fails against the real `codex app-server` (0.169.0, a corpus transcript recorded on
it): an altered expectation names its line, JSON path, expected and actual value; a server that
stalls a turn fails at the silence timeout; a server killed mid-session is reported with its
exit status and the tail of its stderr. The timeouts only detect hangs: silence, never run time."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from threadloom_conformance.codex_corpus import CORPUS, server_command
from threadloom_conformance.releases import codex_export
from threadloom_conformance.replay import Failure, ReplayOptions, Result, replay_sync
from threadloom_conformance.transcript import load

RELEASE = "0.169.0"
TEXT_TURN = CORPUS / "transcripts" / RELEASE / "text-turn.jsonl"
REPLY = "Hello! How can I help you today?"


def corpus_copy(tmp_path: Path, alter: dict[str, str] | None = None) -> Path:
    """text-turn.jsonl next to a copy of the corpus matchers.json; `alter`: first occurrences to swap."""
    shutil.copy(CORPUS / "matchers.json", tmp_path / "matchers.json")
    text = TEXT_TURN.read_text(encoding="utf-8")
    for old, new in (alter or {}).items():
        text = text.replace(old, new, 1)
    path = tmp_path / "text-turn.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def replay(transcript: Path, server: str, timeout: float | None = None) -> Result:
    options = ReplayOptions(server=server, protocol_dir=codex_export(RELEASE), timeout=timeout)
    (result,) = replay_sync([load(transcript)], options)
    return result


def line_of(transcript: Path, predicate: str) -> int:
    for number, line in enumerate(transcript.read_text(encoding="utf-8").splitlines(), 1):
        if predicate in line:
            return number
    raise AssertionError(f"{predicate!r} not in {transcript}")


def test_an_altered_expectation_fails_at_its_line_and_path_with_both_values(tmp_path: Path) -> None:
    altered = corpus_copy(tmp_path, {f'"text": "{REPLY}"': '"text": "Goodbye."'})
    result = replay(altered, server_command(RELEASE))
    completed = line_of(altered, '"text": "Goodbye."')
    assert result.failures == [Failure("match", completed, "$.params.item.text", "Goodbye.", REPLY, "value differs")]


def test_a_server_that_stalls_a_turn_fails_at_the_silence_timeout(tmp_path: Path) -> None:
    stalling = tmp_path / "stall.json"
    stalling.write_text(json.dumps({"replies": [{"steps": [{"stall": True}]}]}), encoding="utf-8")
    transcript = corpus_copy(tmp_path)
    result = replay(transcript, server_command(RELEASE, stalling), timeout=15)
    (timeout,) = [f for f in result.failures if f.check == "timeout"]
    # the model never answers: the reply's first message is the one that never comes
    assert timeout.line == line_of(transcript, '"type": "agentMessage"')
    assert "silent for 15s" in timeout.message, timeout.message


def test_a_server_killed_mid_session_is_reported_with_its_status_and_stderr(tmp_path: Path) -> None:
    crashing = f"{sys.executable} -m tests.codex_live.crashing_server --after turn/start --status 70 -- {server_command(RELEASE)}"
    transcript = corpus_copy(tmp_path)
    result = replay(transcript, crashing)
    (crash,) = [f for f in result.failures if f.check == "crash"]
    assert "status 70" in crash.message
    assert "crashing_server: killed the server" in crash.message  # the stderr tail is quoted
    assert crash.line is not None and crash.line > line_of(transcript, '"method": "turn/start"')
