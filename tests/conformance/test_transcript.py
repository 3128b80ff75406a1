from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.helpers import read_lines, write_lines
from threadloom_conformance.transcript import TranscriptError, load, make_header, save

INIT = {"clientInfo": {"name": "c", "version": "1"}}


def header(**overrides: Any) -> dict[str, Any]:
    return {**make_header("threadloom-app-server", 1, "scenario", INIT), **overrides}


def rec(direction: str, msg: dict[str, Any], t: int = 0) -> dict[str, Any]:
    return {"dir": direction, "t": t, "msg": msg}


INITIALIZE = rec("c2s", {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT})
ANSWER = rec("s2c", {"jsonrpc": "2.0", "id": 1, "result": {"serverInfo": {"name": "s", "version": "1"}}})


def error_of(path: Path) -> TranscriptError:
    with pytest.raises(TranscriptError) as caught:
        load(path)
    return caught.value


def test_valid_transcript_loads_and_round_trips(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "ok.jsonl", [header(), INITIALIZE, ANSWER])
    transcript = load(path)
    assert [r.line for r in transcript.records] == [2, 3]
    assert [r.kind for r in transcript.records] == ["request", "response"]
    assert transcript.request_methods() == {1: "initialize"}
    copy = save(transcript, tmp_path / "copy.jsonl")
    assert read_lines(copy) == read_lines(path)


def test_not_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(header()) + "\n" + json.dumps(INITIALIZE) + "\n{oops\n")
    error = error_of(path)
    assert (error.file, error.line) == (str(path), 3)
    assert "not JSON" in str(error) and str(error).startswith(f"{path}:3:")


def test_header_missing_field(tmp_path: Path) -> None:
    bad = header()
    del bad["scenario"]
    error = error_of(write_lines(tmp_path / "h.jsonl", [bad, INITIALIZE]))
    assert error.line == 1 and "'scenario' is a required property" in error.message


def test_record_with_bad_direction(tmp_path: Path) -> None:
    error = error_of(write_lines(tmp_path / "d.jsonl", [header(), INITIALIZE, rec("sideways", {"jsonrpc": "2.0"})]))
    assert error.line == 3 and "at /dir" in error.message


def test_bad_matcher_and_volatile_path(tmp_path: Path) -> None:
    error = error_of(write_lines(tmp_path / "m.jsonl", [header(matchers={"$.a": {"match": "regex", "regex": "("}}), INITIALIZE]))
    assert error.line == 1 and "bad regex" in error.message
    error = error_of(write_lines(tmp_path / "v.jsonl", [header(volatiles=[{"name": "x", "path": "$.a[?]"}]), INITIALIZE]))
    assert error.line == 1 and "volatile 'x'" in error.message


def test_response_to_an_unknown_request(tmp_path: Path) -> None:
    stray = rec("s2c", {"jsonrpc": "2.0", "id": 9, "result": {}})
    error = error_of(write_lines(tmp_path / "r.jsonl", [header(), INITIALIZE, stray]))
    assert error.line == 3 and "no earlier client request has that id" in error.message


def test_duplicate_request_id(tmp_path: Path) -> None:
    again = rec("c2s", {"jsonrpc": "2.0", "id": 1, "method": "thread/start", "params": {}})
    error = error_of(write_lines(tmp_path / "dup.jsonl", [header(), INITIALIZE, ANSWER, again]))
    assert error.line == 4 and "used twice" in error.message


def test_initialize_must_agree_with_header(tmp_path: Path) -> None:
    other = rec("c2s", {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "other", "version": "1"}}})
    error = error_of(write_lines(tmp_path / "i.jsonl", [header(), other]))
    assert error.line == 2 and "differ from the header" in error.message


def test_empty_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("\n")
    assert "empty transcript" in str(error_of(tmp_path / "empty.jsonl"))
    assert "cannot read" in str(error_of(tmp_path / "absent.jsonl"))
