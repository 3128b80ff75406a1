"""`threadloom-server` (argparse) and `threadloom serve` (click) read one option table; the script's
start path imports neither click nor the HTTP stack nor the agent before answering `initialize`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from threadloom_server.options import OPTIONS

from .support import THREADLOOM

SCRIPT = str(Path(sys.executable).with_name("threadloom-server"))
FRONT_ENDS = {"threadloom-server": [SCRIPT], "threadloom serve": [THREADLOOM, "serve"]}
INITIALIZE = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "t", "version": "1"}}}) + b"\n"
# Not needed to answer `initialize` on stdio: each is loaded on first use (bench/NOTES.md, "Cold start").
NOT_ON_THE_START_PATH = (
    "click",
    "starlette",
    "uvicorn",
    "httptools",
    "threadloom_server.http",
    "threadloom_server.agent.scripted",
    "threadloom_server.agent.processes",
)


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_both_front_ends_offer_every_option(front_end: str) -> None:
    result = subprocess.run([*FRONT_ENDS[front_end], "--help"], capture_output=True, timeout=60)
    assert result.returncode == 0
    shown = result.stdout.decode()
    assert [option.flag for option in OPTIONS if option.flag not in shown] == []


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--max-sessions", "0"], "0 is not in the range x>=1"),
        (["--command-timeout", "0"], "0.0 is not in the range x>0"),
        (["--max-message-bytes", "many"], "many"),
        (["--http", "host:port"], "is not HOST:PORT"),
        (["--token", "secret"], "need --http"),
        (["--workspace", __file__], "is a file"),
    ],
)
def test_both_front_ends_refuse_the_same_bad_values(front_end: str, arguments: list[str], named: str) -> None:
    result = subprocess.run([*FRONT_ENDS[front_end], "--store", ":memory:", *arguments], input=b"", capture_output=True, timeout=60)
    assert result.returncode == 2 and result.stdout == b""
    stderr = result.stderr.decode()
    assert named in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("stdin", ["pipe", "file"])
def test_the_script_answers_initialize_without_loading_what_only_later_requests_need(stdin: str, tmp_path: Path) -> None:
    # Over a pipe the answer is written early (threadloom_runtime.early), then the full server loads
    # and handles `initialize` as well; from a file only the full server answers. Either way the
    # imports of the whole run show that answering `initialize` needs none of these.
    command = [sys.executable, "-X", "importtime", SCRIPT, "--store", ":memory:", "--workspace", str(tmp_path)]
    if stdin == "pipe":
        result = subprocess.run(command, input=INITIALIZE, capture_output=True, timeout=60)
    else:
        (tmp_path / "in.jsonl").write_bytes(INITIALIZE)
        with (tmp_path / "in.jsonl").open("rb") as source:
            result = subprocess.run(command, stdin=source, capture_output=True, timeout=60)
    assert result.returncode == 0
    assert orjson.loads(result.stdout.splitlines()[0])["result"]["serverInfo"]["name"] == "threadloom-reference"
    imported = {line.rpartition("|")[2].strip() for line in result.stderr.decode().splitlines() if line.startswith("import time:")}
    assert "threadloom_server.app" in imported  # the list below means something
    assert [name for name in NOT_ON_THE_START_PATH if name in imported] == []
