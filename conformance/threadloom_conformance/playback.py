"""Play back the server side of a recorded transcript: a stand-in server for `threadloom replay`.

    python -m threadloom_conformance.playback TRANSCRIPT.jsonl

It speaks on stdin/stdout (one JSON message a line) and sends exactly what the recording's server
sent, in the recorded order: every server message recorded before the next client message goes out
as soon as that client message has arrived. Nothing is computed, nothing depends on time, so a run
is offline and deterministic.

Its use is prediction. Replaying transcript A against the playback of transcript B compares the
two recordings message by message under A's matchers and ordering policy, exactly as replaying A
against the live server that produced B would, as far as that server behaves as recorded. With
A the corpus recorded on an older release and B the same client session recorded on a newer one,
`threadloom replay --server "python -m threadloom_conformance.playback B"` predicts what replaying
A against the newer server finds (conformance/threadloom_conformance/codex_corpus.py).

Pairing, so that a client that is not the recorded one still gets a faithful answer:
- a client request or notification stands for the first recorded client message of the same method
  not paired yet (in recorded order); the recorded response to it goes out with the live id;
- a client response stands for the recorded reply to the server request of the same id (server
  requests go out with their recorded ids);
- a request the recording does not hold is refused (-32601) and a notification or response it does
  not hold is ignored: the recording is the whole server, it knows nothing else;
- a recorded client message that never comes holds back everything recorded after it (the live
  server would be waiting too); the replay reports what it then misses.
At the end of its recording it sends nothing more and exits when stdin closes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from threadloom_conformance.transcript import Record, TranscriptError, load

REFUSAL = {"code": -32601, "message": "not in the recorded session (threadloom playback)"}

Send = Callable[[dict[str, Any]], None]


class Playback:
    """The server side of one recording, advanced by the client messages that arrive."""

    def __init__(self, records: list[Record]) -> None:
        self.records = records
        self.cursor = 0  # the next record to play (or to wait for, when it is a client message)
        self.arrived: set[int] = set()  # lines of recorded client messages that have arrived
        self.live_id_of: dict[Any, Any] = {}  # recorded client request id -> the live one
        self.jsonrpc = any("jsonrpc" in r.msg for r in records)

    def start(self, send: Send) -> None:
        self._play(send)

    def receive(self, message: dict[str, Any], send: Send) -> None:
        record = self._pair(message)
        if record is None:
            if isinstance(message.get("method"), str) and "id" in message:
                send({**({"jsonrpc": "2.0"} if self.jsonrpc else {}), "id": message["id"], "error": REFUSAL})
            return
        self.arrived.add(record.line)
        if record.kind == "request":
            self.live_id_of[record.msg["id"]] = message.get("id")
        self._play(send)

    def _pair(self, message: dict[str, Any]) -> Record | None:
        method = message.get("method")
        waiting = (r for r in self.records if r.dir == "c2s" and r.line not in self.arrived)
        if isinstance(method, str):
            kind = "request" if "id" in message else "notification"
            return next((r for r in waiting if r.kind == kind and r.method == method), None)
        return next((r for r in waiting if r.kind == "response" and r.msg.get("id") == message.get("id")), None)

    def _play(self, send: Send) -> None:
        """Send every server record up to the first recorded client message still to come."""
        while self.cursor < len(self.records):
            record = self.records[self.cursor]
            if record.dir == "c2s" and record.line not in self.arrived:
                return
            if record.dir == "s2c":
                send(self._live(record))
            self.cursor += 1

    def _live(self, record: Record) -> dict[str, Any]:
        if record.kind == "response" and record.msg.get("id") in self.live_id_of:
            return {**record.msg, "id": self.live_id_of[record.msg["id"]]}
        return record.msg


def serve(records: list[Record], lines: Iterable[str], out: TextIO) -> None:
    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, ensure_ascii=False) + "\n")
        out.flush()

    playback = Playback(records)
    playback.start(send)
    for line in lines:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue  # not ours to judge: the client under test is the replay, which never sends this
        if isinstance(message, dict):
            playback.receive(message, send)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    usage = "usage: python -m threadloom_conformance.playback TRANSCRIPT.jsonl   (a server command: plays the transcript's server side)"
    if args in (["-h"], ["--help"]):
        print(usage)
        return 0
    if len(args) != 1 or args[0].startswith("-"):
        print(usage, file=sys.stderr)
        return 2
    try:
        transcript = load(Path(args[0]))
    except TranscriptError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    serve(transcript.records, sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
