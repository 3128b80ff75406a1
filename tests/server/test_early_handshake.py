"""The early `initialize` answer (threadloom_runtime.early) is the normal path's answer, byte for byte.

In process: for a matrix of first lines and every `initialize` request of the shared corpus, the
early answer (when there is one) equals what the full server writes for the same line, and the
matrix says which lines are answered early. Over real pipes: a `threadloom-server` whose loading is
held back by a gate answers `initialize` before the gate opens, and its whole output (the early
answer, then the requests after it) is the same as a run on plain files, which never answers early.
"""

from __future__ import annotations

import asyncio
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.hang import HANG_LIMIT
from threadloom_server.app import AppServer
from threadloom_server.command import _early_handshake
from threadloom_server.options import DEFAULT_MAX_MESSAGE_BYTES
from threadloom_server.store import ThreadStore

from .support import ROOT, run
from .test_in_process import transport_pair

SCRIPT = str(Path(sys.executable).with_name("threadloom-server"))
CLIENT = {"name": "early-test", "version": "1"}


def line(params: Any, *, request_id: Any = 1, method: str = "initialize", **envelope: Any) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params, **envelope})


# first line -> answered early?
MATRIX: dict[str, tuple[bytes, bool]] = {
    "v2 offered": (line({"clientInfo": CLIENT, "protocolVersions": [2]}), True),
    "v2 and v1 offered": (line({"clientInfo": CLIENT, "protocolVersions": [2, 1]}), True),
    "unknown newer version first": (line({"clientInfo": CLIENT, "protocolVersions": [9, 2]}), True),
    "experimental opt-in": (line({"clientInfo": CLIENT, "protocolVersions": [2], "capabilities": {"experimentalApi": True}}), True),
    "opt-outs": (line({"clientInfo": CLIENT, "protocolVersions": [2], "capabilities": {"optOutNotificationMethods": ["item/started"]}}), True),
    "extra members kept": (line({"clientInfo": {**CLIENT, "title": "T", "x": 1}, "protocolVersions": [2], "later": {"a": [1.5]}}), True),
    "string id": (line({"clientInfo": CLIENT, "protocolVersions": [2]}, request_id="a-\u00e9-\u2603"), True),
    "unicode client name": (line({"clientInfo": {"name": "\u00e9\u6f22\U0001f600", "version": "1"}, "protocolVersions": [2]}), True),
    "v1 client (no offer)": (line({"clientInfo": CLIENT}), False),
    "v1 offered first": (line({"clientInfo": CLIENT, "protocolVersions": [1, 2]}), False),
    "unsupported version": (line({"clientInfo": CLIENT, "protocolVersions": [7]}), False),
    "invalid params: no clientInfo": (line({"protocolVersions": [2]}), False),
    "invalid params: empty name": (line({"clientInfo": {"name": "", "version": "1"}, "protocolVersions": [2]}), False),
    "invalid params: version true": (line({"clientInfo": CLIENT, "protocolVersions": [True]}), False),
    "invalid params: version 2.0": (
        b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"},"protocolVersions":[2.0]}}',
        False,
    ),
    "invalid params: null capabilities": (line({"clientInfo": CLIENT, "protocolVersions": [2], "capabilities": None}), False),
    "duplicate opt-outs": (line({"clientInfo": CLIENT, "protocolVersions": [2], "capabilities": {"optOutNotificationMethods": ["a", "a"]}}), False),
    "params not an object": (line([1]), False),
    "no params": (orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize"}), False),
    "no id (a notification)": (orjson.dumps({"jsonrpc": "2.0", "method": "initialize", "params": {"clientInfo": CLIENT}}), False),
    "boolean id": (line({"clientInfo": CLIENT, "protocolVersions": [2]}, request_id=True), False),
    "float id": (b'{"jsonrpc":"2.0","id":1.0,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"},"protocolVersions":[2]}}', False),
    "wrong jsonrpc": (line({"clientInfo": CLIENT, "protocolVersions": [2]}, jsonrpc="1.0"), False),
    "another method first": (line({}, method="thread/loaded/list"), False),
    "garbage": (b"\x00\xffnot json at all", False),
    "NaN inside": (b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"},"protocolVersions":[2],"x":NaN}}', False),
    "huge integer inside": (
        b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"},"protocolVersions":[2],"x":99999999999999999999}}',
        False,
    ),
    "a batch": (b"[" + line({"clientInfo": CLIENT, "protocolVersions": [2]}) + b"]", False),
}


def full_answer(first: bytes, tmp_path: Path) -> list[bytes]:
    """Every message the full server writes for `first` alone (in process, no early path)."""

    async def scenario() -> list[bytes]:
        app = AppServer(ThreadStore.in_memory(), tmp_path, _NoAgent())
        server_end, client_end = transport_pair()
        serving = asyncio.create_task(app.serve_connection(server_end))
        await client_end.write(first)
        await client_end.write(None)  # type: ignore[arg-type]  # EOF
        written = []
        while (message := await asyncio.wait_for(client_end.read(), HANG_LIMIT)) is not None:
            written.append(message)
        await serving
        return written

    return run(scenario())


class _NoAgent:
    async def run_turn(self, turn: Any) -> None:
        raise AssertionError("no turn runs here")


EARLY = _early_handshake({"max_message_bytes": DEFAULT_MAX_MESSAGE_BYTES})


@pytest.mark.parametrize("case", MATRIX)
def test_the_early_answer_is_the_full_servers_answer(case: str, tmp_path: Path) -> None:
    first, answered_early = MATRIX[case]
    early = EARLY.answer(first)
    assert (early is not None) is answered_early
    if early is not None:
        assert full_answer(first, tmp_path) == [early[1]]
        assert early[0] == orjson.loads(first)["id"]


CORPUS_REQUESTS = sorted((ROOT / "bindings" / "corpus" / "v2").glob("InitializeRequest-*.json"))


@pytest.mark.parametrize("path", CORPUS_REQUESTS, ids=lambda p: p.stem)
def test_corpus_requests_answered_early_get_the_full_servers_bytes(path: Path, tmp_path: Path) -> None:
    sample = orjson.loads(path.read_bytes())["sample"]
    first = orjson.dumps(sample)
    early = EARLY.answer(first)
    if early is not None:
        assert full_answer(first, tmp_path) == [early[1]]


def test_some_corpus_requests_are_answered_early() -> None:
    """The test above would prove nothing if the corpus never reached the early path."""
    answered = [path for path in CORPUS_REQUESTS if EARLY.answer(orjson.dumps(orjson.loads(path.read_bytes())["sample"])) is not None]
    assert answered


# -- over real pipes -------------------------------------------------------------------------------

# `threadloom-server`, except that loading the full server waits for the gate file: an answer that
# arrives while the gate is shut can only come from the early path.
GATED_SERVER = """
import os, sys, time
import threadloom_server.command as command
gate, load = sys.argv.pop(1), command._load_server
def gated(*args):
    while not os.path.exists(gate):
        time.sleep(0.005)
    return load(*args)
command._load_server = gated
sys.argv[0] = "threadloom-server"
command.main()
"""
INITIALIZED = b'{"jsonrpc":"2.0","method":"initialized","params":{}}'
LIST = line({}, request_id=2, method="thread/loaded/list")
THREADS = line({}, request_id=3, method="thread/list")
UNKNOWN = line({}, request_id=4, method="no/such/method")
AFTER = (INITIALIZED, LIST, THREADS, UNKNOWN)


def server_args(workspace: Path) -> list[str]:
    return ["--store", ":memory:", "--workspace", str(workspace)]


def reference_output(lines: Sequence[bytes], workspace: Path) -> bytes:
    """The server's output for `lines` on plain files: stdio that is not a pipe is never answered early."""
    source, sink = workspace / "in.jsonl", workspace / "out.jsonl"
    source.write_bytes(b"".join(item + b"\n" for item in lines))
    with source.open("rb") as stdin, sink.open("wb") as stdout:
        done = subprocess.run([SCRIPT, *server_args(workspace)], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, timeout=HANG_LIMIT)
    assert done.returncode == 0 and done.stderr == b""
    return sink.read_bytes()


def same_messages(output: bytes, expected: bytes) -> bool:
    """The same messages, byte for byte. Answers may come in any order (requests run concurrently:
    on files, a request refused at once is answered before `initialize`, whose handler is a task)."""
    return sorted(output.splitlines()) == sorted(expected.splitlines())


class Gated:
    def __init__(self, workspace: Path) -> None:
        self.gate = workspace / "gate"
        command = [sys.executable, "-c", GATED_SERVER, str(self.gate), *server_args(workspace)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout

    def write(self, data: bytes) -> None:
        self.stdin.write(data)
        self.stdin.flush()

    def first_line(self) -> bytes:
        ready, _, _ = select.select([self.stdout], [], [], HANG_LIMIT)
        assert ready, "no answer while loading was held back: the early path did not answer"
        return self.stdout.readline()

    def open_gate_and_finish(self) -> tuple[bytes, bytes]:
        self.gate.touch()
        out, err = self.process.communicate(timeout=HANG_LIMIT)
        assert self.process.returncode == 0
        return out, err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def writes(case: str, first: bytes) -> list[bytes]:
    """How the client writes its first lines: all at once, or the first line in pieces."""
    rest = b"".join(item + b"\n" for item in AFTER)
    if case == "two lines in one write":
        return [first + b"\n" + AFTER[0] + b"\n", b"".join(item + b"\n" for item in AFTER[1:])]
    if case == "split across writes":
        return [first[:7], first[7:30], first[30:] + b"\n", rest]
    return [first + b"\n", rest]


@pytest.mark.parametrize("case", ["one line per write", "two lines in one write", "split across writes"])
def test_over_pipes_the_answer_comes_before_loading_and_the_rest_follows_unchanged(case: str, tmp_path: Path) -> None:
    first = MATRIX["experimental opt-in"][0]
    expected = reference_output([first, *AFTER], tmp_path)
    server = Gated(tmp_path)
    try:
        chunks = writes(case, first)
        for chunk in chunks[:-1]:
            server.write(chunk)
            time.sleep(0.05)  # lets the server read a piece on its own (no assertion depends on it)
        answer = server.first_line()  # the gate is shut: only the early path can answer
        assert answer == expected.splitlines(keepends=True)[0]
        server.write(chunks[-1])
        out, err = server.open_gate_and_finish()
    finally:
        server.kill()
    assert same_messages(answer + out, expected)
    assert err == b""  # no "the early answer ... differs" error
    ids = [orjson.loads(message).get("id") for message in (answer + out).splitlines()]
    assert ids[0] == 1 and sorted(ids[1:]) == [2, 3, 4]  # one answer per request, the early one first: no gap, no duplicate


@pytest.mark.parametrize("case", [name for name, (_, early) in MATRIX.items() if not early] + ["v2 offered", "opt-outs", "string id"])
def test_over_pipes_every_first_line_gets_the_same_output_as_on_files(case: str, tmp_path: Path) -> None:
    first = MATRIX[case][0]
    expected = reference_output([first, *AFTER], tmp_path)
    server = Gated(tmp_path)
    try:
        server.write(first + b"\n" + b"".join(item + b"\n" for item in AFTER))
        out, err = server.open_gate_and_finish()
    finally:
        server.kill()
    assert same_messages(out, expected)
    assert b"differs" not in err


def test_http_mode_writes_nothing_but_its_listening_line(tmp_path: Path) -> None:
    first = MATRIX["v2 offered"][0]
    command = [SCRIPT, *server_args(tmp_path), "--http", "127.0.0.1:0"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(first + b"\n")
        process.stdin.flush()
        announced = orjson.loads(process.stdout.readline())
        assert announced["event"] == "listening"
        process.terminate()
        rest, _ = process.communicate(timeout=HANG_LIMIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert rest == b""


def test_a_refused_start_answers_nothing(tmp_path: Path) -> None:
    """A bad workspace or a store another server holds refuses the start before any early answer."""
    first = MATRIX["v2 offered"][0] + b"\n"
    missing = subprocess.run([SCRIPT, "--store", ":memory:", "--workspace", str(tmp_path / "nope")], input=first, capture_output=True, timeout=HANG_LIMIT)
    assert missing.returncode == 2 and missing.stdout == b"" and b"not a directory" in missing.stderr
    store = str(tmp_path / "threads.sqlite3")
    holder = subprocess.Popen([SCRIPT, "--store", store, "--workspace", str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.write(first)
        holder.stdin.flush()
        assert orjson.loads(holder.stdout.readline())["id"] == 1  # it holds the store's lock now
        second = subprocess.run([SCRIPT, "--store", store, "--workspace", str(tmp_path)], input=first, capture_output=True, timeout=HANG_LIMIT)
        assert second.returncode == 2 and second.stdout == b"" and b"in use by another threadloom server" in second.stderr
    finally:
        holder.kill()
        holder.wait()


def test_what_the_early_path_imports_loads_nothing_heavy() -> None:
    modules = "threadloom_runtime.early, threadloom_protocol.v2.handshake, threadloom_server.handshake, threadloom_server.opening"
    probe = f"import json, sys, {modules}; print(json.dumps(sorted(sys.modules)))"
    loaded = orjson.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True, timeout=HANG_LIMIT).stdout)
    heavy = ("asyncio", "pydantic", "orjson", "threadloom_protocol.v2.models", "threadloom_server.store", "sqlite3")
    assert [name for name in heavy if name in loaded] == []
