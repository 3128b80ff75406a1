"""Record and replay for a second protocol (`echo-agent`, tests/conformance/fixtures/): its own name,
a `hello` handshake, no `"jsonrpc"` member, `emittedAtMs` on notifications, volatile values declared
once in a corpus `matchers.json`, and a break version 2 declares that a transcript expects."""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conformance.helpers import THREADLOOM, line_of, read_lines, write_lines
from threadloom.cli import main
from threadloom_conformance.replay import ReplayOptions, Result, replay_sync
from threadloom_conformance.transcript import load

HERE = Path(__file__).resolve().parent
ECHO_PROTOCOL = HERE / "fixtures" / "echo-agent"
ECHO = [sys.executable, str(HERE / "fakes" / "echo_server.py")]
HANG_LIMIT = 60.0  # only stops a hung test
# What is volatile on an echo server, declared once for the corpus (not per transcript).
CORPUS_RULES = {"matchers": {"hello:$.result.userAgent": "type", "echo:$.result.at": {"match": "datetime", "format": "unixMillis"}}}


async def echo_client(argv: list[str], texts: tuple[str, ...]) -> None:
    """A version-1 client: hello, then one echo per text; framed without `jsonrpc`, as the protocol says."""
    process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None

    async def ask(request_id: int, method: str, params: dict[str, Any]) -> None:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps({"id": request_id, "method": method, "params": params}).encode() + b"\n")
        await process.stdin.drain()
        while json.loads(await asyncio.wait_for(process.stdout.readline(), HANG_LIMIT)).get("id") != request_id:
            pass

    await ask(1, "hello", {"client": "echo-cli", "versions": [1]})
    for number, text in enumerate(texts, start=2):
        await ask(number, "echo", {"text": text})
    process.stdin.close()
    await asyncio.wait_for(process.wait(), HANG_LIMIT)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus folder: matchers.json, and v1/echo.jsonl recorded through `threadloom record --protocol`."""
    root = tmp_path_factory.mktemp("echo-corpus")
    (root / "matchers.json").write_text(json.dumps(CORPUS_RULES))
    out = root / "v1" / "echo.jsonl"
    argv = [*THREADLOOM, "record", "--protocol", str(ECHO_PROTOCOL), "--scenario", "two echoes and an empty one", "--out", str(out), "--", *ECHO]
    asyncio.run(echo_client(argv, ("hello brave world", "again", "")))
    return out


def replay(path: Path, *flags: str, timeout: float = 30, **options: Any) -> Result:
    settings = ReplayOptions(server=shlex.join([*ECHO, *flags]), protocol_dir=ECHO_PROTOCOL, timeout=timeout, settle=0.2, **options)
    return replay_sync([load(path)], settings)[0]


def cli(*args: str, server: tuple[str, ...] = ()) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["replay", "--protocol", str(ECHO_PROTOCOL), "--server", shlex.join([*ECHO, *server]), *args])
    return result.exit_code, result.stdout, result.stderr


def test_record_writes_the_header_of_the_protocol_it_is_told(corpus: Path) -> None:
    header = read_lines(corpus)[0]
    assert (header["protocol"], header["protocolVersion"], header["handshakeMethod"]) == ("echo-agent", 1, "hello")
    assert header["initialize"] == {"client": "echo-cli", "versions": [1]}
    assert "protocolRelease" not in header  # the release of a Threadloom-format version is its number
    messages = [line["msg"] for line in read_lines(corpus)[1:]]
    assert not any("jsonrpc" in m for m in messages) and all("emittedAtMs" in m for m in messages if m.get("method") == "echo/chunk")


def test_the_transcript_replays_green_against_the_same_server(corpus: Path) -> None:
    result = replay(corpus)
    assert result.failures == []
    assert result.received == sum(1 for line in read_lines(corpus)[1:] if line["dir"] == "s2c")


def test_volatile_values_come_from_the_corpus_file(corpus: Path, tmp_path: Path) -> None:
    alone = tmp_path / "alone.jsonl"  # no matchers.json above it
    shutil.copy(corpus, alone)
    failed = {(f.check, f.path) for f in replay(alone).failures}
    assert failed == {("match", "$.result.userAgent"), ("match", "$.result.at")}


def test_an_altered_expectation_fails_precisely(corpus: Path) -> None:
    lines = read_lines(corpus)
    number = line_of(lines, lambda r: r["msg"].get("params", {}).get("chunk") == "brave")
    lines[number - 1]["msg"]["params"]["chunk"] = "bold"
    result = replay(write_lines(corpus.parent / "altered.jsonl.txt", lines))
    assert [(f.check, f.line, f.path, f.expected, f.actual) for f in result.failures] == [("match", number, "$.params.chunk", "bold", "brave")]


def test_a_diverged_answer_ends_the_transcript_at_once(corpus: Path) -> None:
    """The recorded empty echo failed; a transcript expecting a result stops at the live error, with
    no timeout after it (the timeout is long: waiting it out would show as a `timeout` failure)."""
    lines = read_lines(corpus)
    number = line_of(lines, lambda r: "error" in r["msg"])
    lines[number - 1]["msg"] = {"id": lines[number - 1]["msg"]["id"], "result": {"id": "echo_x", "text": "", "at": 1}}
    result = replay(write_lines(corpus.parent / "diverged.jsonl.txt", lines), timeout=600)
    assert [(f.check, f.line, f.path, f.message) for f in result.failures] == [("match", number, "$", "expected result, got error instead")]


def test_a_server_that_never_answers_fails_at_the_handshake(corpus: Path) -> None:
    result = replay(corpus, "--silent", timeout=3, startup_timeout=3)
    hello_answer = line_of(read_lines(corpus), lambda r: r["dir"] == "s2c")
    assert [(f.check, f.line) for f in result.failures] == [("timeout", hello_answer)]
    assert "sent nothing within 3s of starting" in result.failures[0].message


def with_mark(corpus: Path, name: str, mark: dict[str, Any]) -> Path:
    lines = read_lines(corpus)
    lines[0]["expectedBreaks"] = [mark]
    return write_lines(corpus.parent / name, lines)


MARK = {"at": "2", "rule": "property-removed", "pointer": "/$defs/EchoResult/properties/at"}


def test_a_declared_break_fails_the_old_transcript_without_a_mark(corpus: Path) -> None:
    failures = replay(corpus, "--version", "2", server_version="2").failures
    assert {(f.check, f.path) for f in failures} == {("schema", "$.result.at"), ("match", "$.result.at")}


def test_an_expected_break_passes_with_a_note(corpus: Path) -> None:
    marked = with_mark(corpus, "marked.jsonl.txt", {**MARK, "findings": [{"path": "$.result.at"}]})
    result = replay(marked, "--version", "2", server_version="2")
    assert result.passed and {f.path for f in result.expected} == {"$.result.at"}
    declared = "`property-removed` at /$defs/EchoResult/properties/at (the echo time moved to the chunks' emittedAtMs)"
    assert result.notes == [f"expected break from 2 on: {declared}: 4 expected failure(s)"]
    code, out, _ = cli("--server-version", "2", "--format", "json", str(marked), server=("--version", "2"))
    report = json.loads(out)["transcripts"][0]
    assert code == 0 and report["passed"] and report["notes"] == result.notes
    assert {f["path"] for f in report["expectedFailures"]} == {"$.result.at"}


def test_an_expected_break_that_disappears_fails_again(corpus: Path) -> None:
    marked = with_mark(corpus, "gone.jsonl.txt", MARK)
    result = replay(marked, "--version", "1", server_version="2")
    assert [(f.check, f.line) for f in result.failures] == [("expected-break", 1)]
    assert "the break is gone" in result.failures[0].message


def test_a_mark_applies_only_from_its_version_on(corpus: Path) -> None:
    marked = with_mark(corpus, "early.jsonl.txt", MARK)
    assert replay(marked, server_version="1").failures == []


def test_a_mark_naming_an_undeclared_break_exits_2(corpus: Path) -> None:
    marked = with_mark(corpus, "undeclared.jsonl.txt", {**MARK, "rule": "type-changed"})
    code, _, err = cli(str(marked))
    assert code == 2 and "names `type-changed` at /$defs/EchoResult/properties/at, which version 2 does not declare in x-protocol.breaks" in err


def test_github_annotations(corpus: Path) -> None:
    code, out, _ = cli("--format", "github", str(corpus), server=("--version", "2"))
    answer = line_of(read_lines(corpus), lambda r: "at" in r["msg"].get("result", {}))
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith(f"::error file={corpus},line={answer},title=replay [schema] $.result.at::response to `echo`: 'at' is a required property%0A")
    assert "%0A    expected: " in lines[0] and lines[-1] == "1 transcript(s): 0 passed, 1 failed"


def test_progress_on_request_and_quiet_otherwise(corpus: Path) -> None:
    code, _, err = cli("--progress", str(corpus))
    assert code == 0 and f"[1/1] PASS {corpus}" in err
    code, _, err = cli(str(corpus))  # not a terminal: quiet
    assert code == 0 and "[1/1]" not in err
