"""The generated method tables and stubs cover the protocol; the stdio server also works on plain files."""

from __future__ import annotations

import inspect
import subprocess
from pathlib import Path

import orjson
import pytest

from tests.hang import HANG_LIMIT
from tests.python_bindings.support import ROOT, SERVER_COMMAND, method_table
from threadloom_protocol.v1 import methods as methods1
from threadloom_protocol.v2 import client as client2
from threadloom_protocol.v2 import methods as methods2
from threadloom_protocol.v2 import server as server2


@pytest.mark.parametrize(("version", "methods"), [(1, methods1), (2, methods2)])
def test_method_tables_match_the_protocol_documents(version: int, methods: object) -> None:
    table = method_table(version)
    generated = methods.METHODS  # type: ignore[attr-defined]
    assert set(generated) == set(table)
    for name, entry in table.items():
        info = generated[name]
        assert (info.direction, info.kind, info.since, info.stability) == (entry["direction"], entry["kind"], entry["since"], entry["stability"])
        assert info.params.__name__ == entry["params"].rsplit("/", 1)[-1]
        assert (info.result.__name__ if info.result else None) == (entry["result"].rsplit("/", 1)[-1] if "result" in entry else None)


def test_every_client_request_is_an_abstract_handler_and_a_client_method() -> None:
    requests = {n for n, e in method_table(2).items() if e["direction"] == "clientToServer" and e["kind"] == "request"}
    expected = {methods2.METHODS[n].python_name for n in requests}  # the handshake too: its answer is the server's own
    assert server2.ServerHandler.__abstractmethods__ == expected
    for name in expected:
        assert inspect.iscoroutinefunction(getattr(client2.Client, name))


def test_stdio_server_reads_and_writes_plain_files(tmp_path: Path) -> None:
    lines = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "f", "version": "1"}}},
        {"jsonrpc": "2.0", "id": 2, "method": "thread/start", "params": {}},
    ]
    source = tmp_path / "stdio-input.jsonl"
    source.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    with source.open("rb") as stdin:
        done = subprocess.run(SERVER_COMMAND, stdin=stdin, capture_output=True, cwd=ROOT, timeout=HANG_LIMIT, check=True)
    replies = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [reply.get("id") for reply in replies] == [1, 2, None]
    assert "protocolVersion" not in replies[0]["result"]  # no protocolVersions offered: a v1 client
    assert replies[2]["method"] == "thread/started"
