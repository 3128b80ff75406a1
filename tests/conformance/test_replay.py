from __future__ import annotations

import asyncio
import json
import shlex
from pathlib import Path

from tests.conformance.helpers import FAKE, FAKE_CMD, ROOT, line_of, mutant, read_lines, replay, write_lines
from threadloom_conformance.replay import ReplayOptions, replay_all, replay_sync
from threadloom_conformance.transcript import load


def fake(*flags: str) -> str:
    return shlex.join([*FAKE, *flags])


def test_recorded_v1_session_replays_green_over_stdio(v1_transcript: Path) -> None:
    result = replay(v1_transcript)
    assert result.failures == []
    assert result.sent == sum(1 for line in read_lines(v1_transcript)[1:] if line["dir"] == "c2s")
    assert result.received == sum(1 for line in read_lines(v1_transcript)[1:] if line["dir"] == "s2c")


def test_recorded_session_replays_green_over_http(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=fake("--http", "--token", "${token}"), transport="http")
    assert result.failures == []


def test_v2_session_with_a_reasoning_item_replays_green(v2_transcript: Path) -> None:
    assert any(line["msg"].get("params", {}).get("item", {}).get("type") == "reasoning" for line in read_lines(v2_transcript)[1:])
    assert replay(v2_transcript).failures == []


def test_schema_override_checks_against_another_version(v2_transcript: Path) -> None:
    options = ReplayOptions(server=FAKE_CMD, schema="1", protocol_dir=ROOT / "protocol", timeout=10, settle=0.2)
    result = replay_sync([load(v2_transcript)], options)[0]
    undeclared = {(f.check, f.path, f.actual) for f in result.failures}
    assert ("undeclared", "$.params.item.type", "reasoning") in undeclared


def test_a_value_that_differs_is_reported_with_line_path_expected_actual(v1_transcript: Path, tmp_path: Path) -> None:
    lines = read_lines(v1_transcript)
    number = line_of(lines, lambda r: r["msg"].get("params", {}).get("delta") == "Hello")
    lines[number - 1]["msg"]["params"]["delta"] = "Howdy"
    result = replay(write_lines(tmp_path / "edited.jsonl", lines))
    assert [(f.check, f.line, f.path, f.expected, f.actual) for f in result.failures] == [("match", number, "$.params.delta", "Howdy", "Hello")]


def test_result_that_breaks_the_old_schema(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=mutant("rename-field", "--rename", "createdAt=created"))
    thread_start = line_of(read_lines(v1_transcript), lambda r: "thread" in r["msg"].get("result", {}))
    schema = [f for f in result.failures if f.check == "schema" and f.line == thread_start]
    assert [(f.path, f.message) for f in schema] == [("$.result.thread.createdAt", "response to `thread/start`: 'createdAt' is a required property")]


def test_a_missing_recorded_message_shows_up_as_unexpected(v1_transcript: Path, tmp_path: Path) -> None:
    lines = read_lines(v1_transcript)
    number = line_of(lines, lambda r: r["msg"].get("method") == "thread/started")
    del lines[number - 1]
    result = replay(write_lines(tmp_path / "short.jsonl", lines))
    # reported after the last line that went well: the thread/start response just before it
    assert [(f.check, f.line, f.actual["method"]) for f in result.failures] == [("unexpected", number - 1, "thread/started")]


def test_method_the_old_version_lacks_is_undeclared(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=fake("--announce", "thread/status/changed"))
    assert [(f.check, f.line, f.path, f.actual) for f in result.failures] == [("undeclared", 3, "$.method", "thread/status/changed")]
    assert "not a method of v1" in result.failures[0].message


def test_opted_out_notification_is_undeclared(v1_transcript: Path, tmp_path: Path) -> None:
    lines = read_lines(v1_transcript)
    lines[0]["initialize"]["capabilities"] = {"optOutNotificationMethods": ["thread/started"]}
    lines[1]["msg"]["params"] = lines[0]["initialize"]
    number = line_of(lines, lambda r: r["msg"].get("method") == "thread/started")
    del lines[number - 1]
    result = replay(write_lines(tmp_path / "optout.jsonl", lines))
    assert [(f.check, f.line, f.actual) for f in result.failures] == [("undeclared", number - 1, "thread/started")]
    assert "opted out" in result.failures[0].message


def test_crash_is_a_clear_failure(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=fake("--crash-on", "turn/start"))
    turn_start_response = line_of(read_lines(v1_transcript), lambda r: "turn" in r["msg"].get("result", {}))
    assert [(f.check, f.line) for f in result.failures] == [("crash", turn_start_response)]
    assert "exited (status 3)" in result.failures[0].message
    assert "crashing on turn/start" in result.failures[0].message  # the server's stderr is quoted


def test_hang_is_a_failure_within_the_timeout(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=fake("--hang-on", "turn/start"), timeout=5)
    turn_start_response = line_of(read_lines(v1_transcript), lambda r: "turn" in r["msg"].get("result", {}))
    assert [(f.check, f.line) for f in result.failures] == [("timeout", turn_start_response)]
    assert "silent for 5s" in result.failures[0].message


def test_output_that_is_not_json(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=fake("--garbage"))
    assert [(f.check, f.actual) for f in result.failures] == [("schema", "starting up...")]


def test_server_that_cannot_start(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server="/nonexistent/server --stdio")
    assert [f.check for f in result.failures] == ["transport"]
    assert "cannot start" in result.failures[0].message


def test_transcripts_run_in_parallel_and_keep_their_order(v1_transcript: Path, v2_transcript: Path) -> None:
    options = ReplayOptions(server=FAKE_CMD, protocol_dir=ROOT / "protocol", timeout=10, settle=0.1, jobs=2)
    paths = [v1_transcript, v2_transcript, v1_transcript]
    results = asyncio.run(replay_all([load(p) for p in paths], options))
    assert [r.transcript for r in results] == paths
    assert all(r.passed for r in results)


def test_reordering_inside_a_window_is_allowed(v1_transcript: Path, tmp_path: Path) -> None:
    """Two notifications about different items between two responses may swap; the same item's may not."""
    lines = read_lines(v1_transcript)
    first = line_of(lines, lambda r: r["msg"].get("method") == "item/completed")  # the user message item completed
    second = first + 1  # the agent message item started
    assert lines[second - 1]["msg"]["method"] == "item/started"
    lines[first - 1], lines[second - 1] = lines[second - 1], lines[first - 1]
    assert replay(write_lines(tmp_path / "swapped.jsonl", lines)).failures == []
    started = first - 1  # item/started of the user message: same item as `first`
    assert lines[started - 1]["msg"]["method"] == "item/started"
    lines[started - 1], lines[second - 1] = lines[second - 1], lines[started - 1]
    # now item/completed (user item) precedes its own item/started in the recording
    result = replay(write_lines(tmp_path / "same-item.jsonl", lines))
    assert [f.check for f in result.failures] == ["order"]
    assert "keepOrder" in result.failures[0].message
    assert json.dumps(result.failures[0].actual["params"]["item"]["type"]) == '"userMessage"'


def test_unrecorded_server_request_is_refused_so_the_run_goes_on(v1_transcript: Path, tmp_path: Path) -> None:
    lines = read_lines(v1_transcript)
    request = line_of(lines, lambda r: r["msg"].get("method") == "item/commandExecution/requestApproval")
    assert lines[request]["dir"] == "c2s"  # the client's reply follows the request
    del lines[request - 1 : request + 1]
    result = replay(write_lines(tmp_path / "no-approval.jsonl", lines), timeout=3)
    first = result.failures[0]
    assert (first.check, first.line, first.actual["method"]) == ("unexpected", request - 1, "item/commandExecution/requestApproval")
    # refused with -32601, the fake declines the command and finishes the turn instead of waiting forever
    assert any(f.path == "$.params.turn.items[1].status" and f.actual == "declined" for f in result.failures)


def test_crash_over_http_is_a_clear_failure(v1_transcript: Path) -> None:
    result = replay(v1_transcript, server=fake("--http", "--crash-on", "turn/start"), transport="http", timeout=5)
    assert [f.check for f in result.failures] == ["crash"]
    assert "exited (status 3)" in result.failures[0].message and "crashing on turn/start" in result.failures[0].message
