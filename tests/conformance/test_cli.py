from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from tests.conformance.helpers import FAKE_CMD, ROOT, mutant
from threadloom.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["replay", "--protocol", str(ROOT / "protocol"), *args])
    return result.exit_code, result.stdout, result.stderr


def test_all_pass_exits_0(v1_transcript: Path) -> None:
    code, out, _ = run("--server", FAKE_CMD, str(v1_transcript))
    assert code == 0 and f"PASS {v1_transcript}" in out


def test_failures_exit_1_and_junit_file(v1_transcript: Path, tmp_path: Path) -> None:
    edited = tmp_path / "edited.jsonl"
    edited.write_text(v1_transcript.read_text().replace('"delta": "Hello"', '"delta": "Howdy"'))
    report = tmp_path / "out" / "junit.xml"
    code, _, err = run("--server", FAKE_CMD, "--format", "junit", "--output", str(report), "--jobs", "2", str(edited), str(v1_transcript))
    assert code == 1 and err.splitlines()[-2:] == [f"wrote {report}", "2 transcript(s): 1 passed, 1 failed"]
    cases = ET.parse(report).getroot().findall("./testsuite/testcase")
    assert [c.find("failure") is not None for c in cases] == [True, False]


SUMMARY = "1 transcript(s): 1 passed, 0 failed"


@pytest.mark.parametrize(("fmt", "on_stdout"), [("text", True), ("github", True), ("json", False), ("junit", False)])
def test_the_summary_is_said_once(v1_transcript: Path, tmp_path: Path, fmt: str, on_stdout: bool) -> None:
    """On stdout when the report there ends with it (text, github), else on stderr: machine formats
    on stdout stay pure; with --output FILE the summary is on stderr whatever the format."""
    code, out, err = run("--server", FAKE_CMD, "--no-progress", "--format", fmt, str(v1_transcript))
    assert code == 0
    assert (out.count(SUMMARY), err.count(SUMMARY)) == ((1, 0) if on_stdout else (0, 1))
    if fmt == "json":
        assert json.loads(out)["summary"]["passed"] == 1
    report = tmp_path / f"report.{fmt}"
    code, out, err = run("--server", FAKE_CMD, "--no-progress", "--format", fmt, "--output", str(report), str(v1_transcript))
    assert code == 0 and out == "" and err.splitlines() == [f"wrote {report}", SUMMARY]
    assert report.read_text(encoding="utf-8").count(SUMMARY) == (1 if on_stdout else 0)


def test_json_format(v1_transcript: Path) -> None:
    code, out, _ = run("--server", mutant("drop-approval"), "--timeout", "5", "--format", "json", str(v1_transcript))
    assert code == 1
    failures = json.loads(out)["transcripts"][0]["failures"]
    assert [f["check"] for f in failures] == ["timeout"]


def test_bad_transcript_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"threadloomTranscript": 1}\n')
    code, _, err = run("--server", FAKE_CMD, str(bad))
    assert code == 2
    assert f"error: {bad}: line 1: invalid header" in err


def test_missing_transcript_and_bad_var_exit_2(tmp_path: Path) -> None:
    assert run("--server", FAKE_CMD, str(tmp_path / "nope.jsonl"))[0] == 2
    (tmp_path / "dir").mkdir()
    code, _, err = run("--server", FAKE_CMD, str(tmp_path / "dir"))
    assert code == 2 and "no transcripts" in err


def test_an_empty_server_command_is_a_usage_error(v1_transcript: Path) -> None:
    code, _, err = run("--server", " ", str(v1_transcript))
    assert code == 2 and "error: --server: empty server command" in err


def test_unknown_schema_version_exits_2(v1_transcript: Path) -> None:
    code, _, err = run("--server", FAKE_CMD, "--schema", "9", str(v1_transcript))
    assert code == 2 and "no version 9 (it holds: 1, 2)" in err


def test_transcript_of_another_protocol_exits_2(v1_transcript: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text(v1_transcript.read_text().replace('"protocol": "threadloom-app-server"', '"protocol": "someone-else"', 1))
    code, _, err = run("--server", FAKE_CMD, str(other))
    assert code == 2 and "a transcript of `someone-else`" in err


def test_record_without_a_protocol_exits_2_before_starting_anything(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["record", "--protocol", str(tmp_path / "nowhere"), "--out", str(tmp_path / "t.jsonl"), "--", "true"])
    assert result.exit_code == 2 and "--protocol" in result.stderr and "nowhere" in result.stderr
    assert not (tmp_path / "t.jsonl").exists()
