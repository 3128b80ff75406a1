"""`threadloom record` relays whatever its stdin is: a pipe, a file of client messages
(`< client.jsonl`) or /dev/null, without a traceback (the event loop takes only pipes)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO

import pytest

from tests.conformance.helpers import FAKE, ROOT, THREADLOOM, read_lines
from tests.hang import HANG_LIMIT

INITIALIZE = b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"t","version":"1"},"protocolVersions":[2]}}\n'


@pytest.mark.parametrize("source", ["file", "devnull", "pipe"])
def test_record_reads_a_client_from_any_stdin(source: str, tmp_path: Path) -> None:
    client = tmp_path / "client.jsonl"
    client.write_bytes(INITIALIZE)
    out = tmp_path / "session.jsonl"
    argv = [*THREADLOOM, "record", "--out", str(out), "--", *FAKE]
    with client.open("rb") as file:
        if source == "pipe":
            done = subprocess.run(argv, input=INITIALIZE, capture_output=True, cwd=ROOT, timeout=HANG_LIMIT, check=False)
        else:
            stdin: int | IO[bytes] = file if source == "file" else subprocess.DEVNULL
            done = subprocess.run(argv, stdin=stdin, capture_output=True, cwd=ROOT, timeout=HANG_LIMIT, check=False)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr.decode()
    records = read_lines(out)[1:]
    expected = [] if source == "devnull" else ["c2s", "s2c"]
    assert [record["dir"] for record in records] == expected
