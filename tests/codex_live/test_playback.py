"""The playback server (threadloom_conformance.playback): the recorded server side, replayed.

A recording replayed against its own playback is green; against the playback of a recording that
differs, replay reports the difference where a live server would (same line, check and path);
the pairing of client messages with recorded ones does not depend on live ids."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from threadloom_conformance.codex_corpus import CORPUS, RECORDED, playback_command, transcripts
from threadloom_conformance.playback import REFUSAL, Playback, main
from threadloom_conformance.releases import codex_export
from threadloom_conformance.replay import ReplayOptions, replay_runs, replay_sync
from threadloom_conformance.transcript import Record, load

TEXT_TURN = CORPUS / "transcripts" / RECORDED[0] / "text-turn.jsonl"


def replay_against_playback(transcript: Path, recording: Path) -> list[tuple[int | None, str, str | None]]:
    # a playback answers at once: 5 s of silence is a message it will never send, even on a busy machine
    options = ReplayOptions(server=playback_command(recording), protocol_dir=codex_export(RECORDED[0]), timeout=5, grace=0.5)
    (result,) = replay_sync([load(transcript)], options)
    return [(f.line, f.check, f.path) for f in result.failures]


def test_every_recording_replays_green_against_its_own_playback() -> None:
    runs = [(t, ReplayOptions(server=playback_command(t.path), protocol_dir=codex_export(release))) for release in RECORDED for t in transcripts(release)]
    for (transcript, _), result in zip(runs, asyncio.run(replay_runs(runs)), strict=True):
        assert result.passed, f"{transcript.path}: {result.failures}"


def altered_copy(tmp_path: Path, change: Any) -> Path:
    """A changed copy of text-turn.jsonl: the newer recording the playback plays."""
    lines = TEXT_TURN.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines[1:]]
    change(records)
    copy = tmp_path / TEXT_TURN.name
    copy.write_text("\n".join([lines[0], *(json.dumps(r) for r in records)]) + "\n", encoding="utf-8")
    return copy


def line_of(records: list[dict[str, Any]], method: str) -> int:
    """The transcript line (header = 1) of the first record of `method`."""
    return next(index for index, r in enumerate(records, start=2) if r["msg"].get("method") == method)


def test_a_value_the_newer_recording_changed_is_a_match_finding_at_its_line(tmp_path: Path) -> None:
    def rename_model(records: list[dict[str, Any]]) -> None:
        for record in records:
            if isinstance(record["msg"].get("result"), dict) and "model" in record["msg"]["result"]:
                record["msg"]["result"]["model"] = "another-model"

    newer = altered_copy(tmp_path, rename_model)
    records = [json.loads(line) for line in TEXT_TURN.read_text(encoding="utf-8").splitlines()[1:]]
    start = next(i for i, r in enumerate(records, start=2) if "model" in (r["msg"].get("result") or {}))
    assert replay_against_playback(TEXT_TURN, newer) == [(start, "match", "$.result.model")]


def test_a_notification_the_newer_recording_lacks_is_a_timeout_at_its_line(tmp_path: Path) -> None:
    records = [json.loads(line) for line in TEXT_TURN.read_text(encoding="utf-8").splitlines()[1:]]
    gone = line_of(records, "turn/completed")
    newer = altered_copy(tmp_path, lambda rs: rs.pop(gone - 2))
    findings = replay_against_playback(TEXT_TURN, newer)
    assert findings == [(gone, "timeout", None)]


def request(method: str, id: Any) -> Record:
    return Record(line=0, dir="c2s", t=0, msg={"id": id, "method": method})


def test_pairing_uses_methods_and_recorded_ids_and_answers_with_live_ids() -> None:
    records = [
        Record(2, "c2s", 0, {"id": 1, "method": "initialize"}),
        Record(3, "s2c", 0, {"id": 1, "result": {"ok": True}}),
        Record(4, "s2c", 0, {"id": 0, "method": "approve", "params": {}}),
        Record(5, "c2s", 0, {"id": 0, "result": {"decision": "accept"}}),
        Record(6, "s2c", 0, {"method": "done"}),
    ]
    sent: list[dict[str, Any]] = []
    playback = Playback(records)
    playback.start(sent.append)
    assert sent == []  # nothing is recorded before the client speaks
    playback.receive({"id": 10_001, "method": "initialize"}, sent.append)
    assert sent == [{"id": 10_001, "result": {"ok": True}}, {"id": 0, "method": "approve", "params": {}}]
    playback.receive({"id": 7, "method": "unknown/method"}, sent.append)
    assert sent[-1] == {"id": 7, "error": REFUSAL}  # not in the recording: refused, the session goes on
    playback.receive({"id": 0, "result": {"decision": "decline"}}, sent.append)
    assert sent[-1] == {"method": "done"}  # the reply to the recorded request, whatever it decided


def test_a_missing_or_broken_transcript_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text("not json\n", encoding="utf-8")
    assert main([str(broken)]) == 2
    assert f"error: {broken}:1:" in capsys.readouterr().err
    assert main([]) == 2 and "usage:" in capsys.readouterr().err
    assert main(["--help"]) == 0 and capsys.readouterr().out.startswith("usage: python -m threadloom_conformance.playback")


def test_each_session_sends_the_same_client_messages_on_every_release() -> None:
    """Playback pairs the older client's messages with the newer recording's by method and order:
    the recordings must be of the same client session."""
    for name in (t.path.name for t in transcripts(RECORDED[0])):
        sent = {release: [(r.kind, r.method) for r in load(CORPUS / "transcripts" / release / name).records if r.dir == "c2s"] for release in RECORDED}
        assert len({tuple(s) for s in sent.values()}) == 1, f"{name}: {sent}"
