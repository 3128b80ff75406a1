"""A server's stdio may be a pipe, a file, a terminal or /dev/null: each works and exits cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

INITIALIZE = b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"},"protocolVersions":[2]}}\n'
SERVER = [str(Path(sys.executable).with_name("threadloom-server")), "--store", ":memory:"]


@pytest.mark.parametrize("sink", ["devnull", "file", "pipe"])
def test_the_server_answers_and_exits_zero_whatever_its_stdout_is(sink: str, tmp_path: Path) -> None:
    out_file = tmp_path / "out.jsonl"
    with out_file.open("wb") as file:
        sinks: dict[str, int | IO[bytes]] = {"devnull": subprocess.DEVNULL, "file": file, "pipe": subprocess.PIPE}
        stdout = sinks[sink]
        result = subprocess.run(SERVER, input=INITIALIZE, stdout=stdout, stderr=subprocess.PIPE, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    if sink != "devnull":  # where the answer can be read back, it is there
        assert b'"result"' in (result.stdout if sink == "pipe" else out_file.read_bytes())
