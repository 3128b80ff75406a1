"""`threadloom validate`: recorded messages against a protocol, by direction and method."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from threadloom.cli import main
from threadloom.loader import load_protocols
from threadloom.model import Framing
from threadloom.validate import validate_files

ROOT = Path(__file__).parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
ACP = ROOT / "tests" / "formats" / "acp" / "fixtures" / "package-2x"


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["validate", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str | Path) -> tuple[int, dict[str, object]]:
    code, out, _err = run(*args, "--format", "json")
    return code, json.loads(out)


def located(report: dict[str, object]) -> set[tuple[int, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {(f["line"], f["pointer"]) for f in findings}


def test_valid_capture_passes() -> None:
    """Requests, results by id (both sides reuse id 0), `_meta`, an extension method, `$/cancel_request`."""
    code, report = run_json("--protocol", ACP, FIXTURES / "acp-valid.jsonl")
    assert code == 0 and report["ok"] is True
    assert report["checked"] == 10 and report["extensions"] == 2
    assert report["protocol"] == {"name": "acp", "release": "2.9.9", "version": 1, "format": "acp"}


def test_every_finding_is_located_by_line_and_pointer() -> None:
    code, report = run_json("--protocol", ACP, FIXTURES / "acp-invalid.jsonl")
    assert code == 1 and report["ok"] is False
    assert located(report) == {
        (1, "/params/protocolVersion"),  # wrong type
        (2, "/result"),  # result of `initialize` (id 0) lacks protocolVersion
        (3, "/params/prompt/0/text"),  # inside the tagged variant, not "valid under none"
        (3, "/params/prompt/1/type"),  # unknown variant of a closed union
        (4, "/id"),  # a notification sent as a request
        (4, "/jsonrpc"),  # framing
        (5, "/method"),  # unknown method
        (6, ""),  # not JSON
        (7, "/extra"),  # unexpected top-level member
        (7, "/result/stopReason"),  # closed enum
        (8, "/id"),  # answers no request
        (9, "/error"),  # error object without message
        (9, "/error/code"),
    }


def test_text_output_names_file_line_direction_and_method() -> None:
    code, out, err = run("--protocol", ACP, FIXTURES / "acp-invalid.jsonl")
    assert code == 1
    assert f"{FIXTURES / 'acp-invalid.jsonl'}:3: client->server session/prompt: /params/prompt/0/text: 5 is not of type 'string'" in out
    assert "13 finding(s)" in err


def test_transcript_picks_its_version_and_open_unions_accept_unknown_members() -> None:
    """v2's unions and enums end in a catch-all: unknown members pass; a wrong direction does not."""
    code, report = run_json("--protocol", ACP, FIXTURES / "acp-transcript.jsonl")
    assert report["protocol"]["version"] == 2  # type: ignore[index]
    assert code == 1
    assert report["findings"] == [
        {
            "file": str(FIXTURES / "acp-transcript.jsonl"),
            "line": 4,
            "pointer": "/method",
            "message": "`session/update` is sent server->client, not client->server",
            "method": "session/update",
            "direction": "client->server",
        }
    ]


def test_closed_version_rejects_what_the_open_one_accepts() -> None:
    code, report = run_json("--protocol", ACP, "--version", "1", FIXTURES / "acp-transcript.jsonl")
    assert code == 1
    assert {(2, "/params/prompt/0/type"), (6, "/result/stopReason")} <= located(report)


def test_threadloom_protocol_and_transcripts() -> None:
    transcript = ROOT / "conformance" / "transcripts" / "v2" / "plain-turn.jsonl"
    code, report = run_json("--protocol", ROOT / "protocol" / "v2", transcript)
    assert code == 0, report
    assert report["protocol"]["format"] == "threadloom"  # type: ignore[index]


def test_framing_without_jsonrpc_member_and_with_notification_extras(tmp_path: Path) -> None:
    """Codex's framing: no `jsonrpc`, notifications carry `emittedAtMs`."""
    protocol = replace(load_protocols(ROOT / "protocol" / "v2")[0], framing=Framing(jsonrpc_member=False, notification_extras=("emittedAtMs",)))
    capture = tmp_path / "codex-like.jsonl"
    lines = [
        {"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "t", "version": "1"}, "protocolVersions": [2]}},
        {"method": "thread/started", "params": {}, "emittedAtMs": 5},
        {"id": 2, "method": "thread/list", "params": {}, "emittedAtMs": 5},
    ]
    capture.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    findings = validate_files(protocol, [capture]).findings
    framing = [(f.line, f.pointer) for f in findings if "jsonrpc" in f.message or "top-level" in f.message]
    assert framing == [(3, "/emittedAtMs")]  # extras are for notifications only; no `jsonrpc` is fine


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--protocol", ACP, "missing.jsonl"], "missing.jsonl: file not found"),
        (["--protocol", ROOT / "tests" / "validate", FIXTURES / "acp-valid.jsonl"], "no protocol found in this folder"),
        (["--protocol", ACP, "--version", "7", FIXTURES / "acp-valid.jsonl"], "no protocol version 7 here (versions: 1, 2)"),
        (["--protocol", ACP, "--source-format", "codex", FIXTURES / "acp-valid.jsonl"], "the Codex export is incomplete"),
    ],
)
def test_input_errors_exit_2(args: list[str | Path], expected: str) -> None:
    code, _out, err = run(*args)
    assert code == 2
    assert expected in err and "Traceback" not in err


def test_empty_file_and_broken_transcript_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    code, _out, err = run("--protocol", ACP, empty)
    assert code == 2 and f"{empty}: empty file" in err
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"threadloomTranscript": 1, "protocolVersion": 1}\n{"msg": {}}\n', encoding="utf-8")
    code, _out, err = run("--protocol", ACP, broken)
    assert code == 2 and f"{broken}:2: not a transcript record" in err


def test_protocol_root_holds_every_version_and_the_transcript_picks_one() -> None:
    transcript = ROOT / "conformance" / "transcripts" / "v1" / "plain-turn.jsonl"
    code, report = run_json("--protocol", ROOT / "protocol", transcript)
    assert code == 0, report
    assert report["protocol"]["version"] == 1  # type: ignore[index]
