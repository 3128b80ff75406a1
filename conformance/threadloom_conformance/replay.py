"""Replay: play a recorded client against a live server and check every server message.

For each transcript the server command is started (stdio or HTTP + SSE). Recorded client messages
are sent in order, requests with fresh ids; before each one, every server message recorded
before it must have arrived. Server -> client requests are answered with the client's recorded
replies (the live request is paired with the recorded one by method and matching rules, then the
recorded reply is sent with the live id). Every server message is checked:

(a) schema: it validates against the transcript's (old) protocol version; a response's `result`
    against its method's result schema, an error's `data` against the error table;
(b) match: it equals the recorded message under the matching rules, in an order the ordering
    policy allows (barriers; windows compared as a multiset; `keepOrder` keys);
(c) undeclared: its method, union variants and enum values exist in the old version, it is
    not a notification the client opted out of, and an error response carries a code its method
    declares (or a standard JSON-RPC or protocol-wide one).

A server that exits, prints something that is not JSON, or stays silent past the timeout is a
failure of that transcript, never a hung run. Timeouts only detect hangs, so a slow or busy machine
cannot trip them: the clock starts when the server is ready (its first message over stdio, its
`listening` line over HTTP; a generous start-up timeout before that), counts silence only (any
message restarts it), and shrinks to a short grace once the transcript has failed anyway. A
response whose outcome differs from the recorded one (an error instead of a result, or the other
way round) ends the transcript at once: the session has diverged, waiting would only add noise.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from threadloom_conformance.expected import EXPECTED_BREAK, Mark, applies, resolve_marks
from threadloom_conformance.jobs import default_jobs
from threadloom_conformance.matching import Matcher, Mismatch, Volatiles, expand_vars, json_type
from threadloom_conformance.paths import Concrete, get, parse_path, render
from threadloom_conformance.protocol import STANDARD_ERROR_CODES, ProtocolDoc, ProtocolLoadError
from threadloom_conformance.protocols import find_version, load_versions
from threadloom_conformance.transcript import Record, Transcript
from threadloom_conformance.transport import BadLine, Incoming, Transport, TransportError, make_transport

MAX_FAILURES = 200

# Failure kinds ("check" of a Failure), documented in README.md.
SCHEMA, MATCH, UNDECLARED, ORDER, UNEXPECTED, TIMEOUT, CRASH, TRANSPORT = (
    "schema",
    "match",
    "undeclared",
    "order",
    "unexpected",
    "timeout",
    "crash",
    "transport",
)


@dataclass(frozen=True)
class Failure:
    check: str
    line: int | None
    path: str | None
    expected: Any
    actual: Any
    message: str


@dataclass
class Result:
    transcript: Path
    scenario: str
    version: int
    failures: list[Failure] = field(default_factory=list)
    duration: float = 0.0
    sent: int = 0
    received: int = 0
    stderr: str = ""
    expected: list[Failure] = field(default_factory=list)  # failures an expected break accounts for
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class ReplayOptions:
    server: str
    transport: str = "stdio"
    schema: str | None = None  # a version (number or release) or a document path; default: the transcript's version
    protocol_dir: Path = Path("protocol")  # a folder of versions, one version folder, or one document (any format)
    # Seconds of silence while a server message is due (hang detection, counted from the last
    # message either way once the server is ready); default: the header's timeoutSeconds, else 30.
    timeout: float | None = None
    startup_timeout: float = 60.0  # from starting the server to its first message (stdio) or `listening` line (HTTP)
    grace: float = 2.0  # silence that ends a transcript which has already failed: its verdict is known
    settle: float = 0.3  # seconds to wait after the last expected message for anything extra
    variables: dict[str, str] = field(default_factory=dict)
    jobs: int | None = None  # servers at once; default: the usable cores (see jobs.py)
    server_version: str | None = None  # the version the server implements: expected breaks from it on apply


class _Stop(Exception):
    """The run cannot continue (crash, timeout, transport error); the failure is already recorded."""


async def replay_all(transcripts: Iterable[Transcript], options: ReplayOptions, on_result: Callable[[Result], None] | None = None) -> list[Result]:
    """Replay transcripts in parallel (at most `options.jobs` servers at once), results in input order."""
    return await replay_runs([(t, options) for t in transcripts], options.jobs, on_result)


async def replay_runs(
    runs: Iterable[tuple[Transcript, ReplayOptions]],
    jobs: int | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Replay each transcript with its own options (e.g. another server), at most `jobs` at once
    (default: the usable cores), so that many runs never start a storm of processes together.
    `on_result` hears about each transcript as it finishes (progress); results keep input order."""
    runs = list(runs)
    plans = [plan(t, o) for t, o in runs]  # every input problem surfaces before any server starts
    gate = asyncio.Semaphore(max(1, jobs or default_jobs()))

    async def one(transcript: Transcript, options: ReplayOptions, doc: ProtocolDoc, marks: list[Mark]) -> Result:
        async with gate:
            result = await replay_transcript(transcript, doc, options)
        settle_expected_breaks(result, marks)
        if on_result is not None:
            on_result(result)
        return result

    return list(await asyncio.gather(*(one(t, o, *p) for (t, o), p in zip(runs, plans, strict=True))))


def plan(transcript: Transcript, options: ReplayOptions) -> tuple[ProtocolDoc, list[Mark]]:
    """The version a transcript is judged against and the expected breaks that hold for this server;
    ProtocolLoadError when the protocol is missing, another protocol's, or a mark names no declared break."""
    versions = load_versions(options.protocol_dir)
    doc = judged_against(transcript, options, versions)
    if doc.name and transcript.header["protocol"] != doc.name:
        raise ProtocolLoadError(f"{transcript.path}: a transcript of `{transcript.header['protocol']}`, but {doc.path} describes `{doc.name}`")
    marks = resolve_marks(transcript, versions, options.protocol_dir)
    server = find_version(versions, options.server_version, options.protocol_dir) if options.server_version else None
    return doc, [m for m in marks if applies(m, server, versions)]


def judged_against(transcript: Transcript, options: ReplayOptions, versions: list[ProtocolDoc]) -> ProtocolDoc:
    schema = options.schema
    if schema is not None and (schema.endswith(".json") or Path(schema).is_file()):
        return load_versions(Path(schema))[-1]
    return find_version(versions, schema or transcript.protocol_identity, options.protocol_dir)


def protocol_documents(transcripts: list[Transcript], options: ReplayOptions) -> list[ProtocolDoc]:
    """The protocol version each transcript is checked against (see `plan`)."""
    return [plan(t, options)[0] for t in transcripts]


def settle_expected_breaks(result: Result, marks: list[Mark]) -> None:
    """Failures an expected break accounts for become notes; a mark whose break never shows fails."""
    for mark in marks:
        excused = [f for f in result.failures if f.check not in (CRASH, TRANSPORT) and mark.covers(f)]
        if not excused:
            message = f"{mark.note}; but none of the failures it expects happened: the break is gone, remove the mark"
            result.failures.append(Failure(EXPECTED_BREAK, 1, None, mark.note, None, message))
            continue
        result.failures = [f for f in result.failures if all(f is not e for e in excused)]
        result.expected += excused
        result.notes.append(f"{mark.note}: {len(excused)} expected failure(s)")


def replay_sync(transcripts: Iterable[Transcript], options: ReplayOptions) -> list[Result]:
    return asyncio.run(replay_all(list(transcripts), options))


async def replay_transcript(transcript: Transcript, doc: ProtocolDoc, options: ReplayOptions) -> Result:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="threadloom-replay-"))
    variables = {"tmpdir": str(workdir), "token": secrets.token_urlsafe(16), **transcript.header.get("vars", {}), **options.variables}
    transport = make_transport(options.transport, expand_vars(options.server, variables))
    run = _Run(transcript, doc, transport, variables, options)
    try:
        await run.execute()
    finally:
        await run.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    result = Result(transcript.path, transcript.scenario, transcript.protocol_version, run.failures, time.monotonic() - started)
    result.sent, result.received, result.stderr = run.sent, run.received, transport.stderr_tail()
    return result


class _Run:
    def __init__(self, transcript: Transcript, doc: ProtocolDoc, transport: Transport, variables: dict[str, str], options: ReplayOptions) -> None:
        self.transcript = transcript
        self.doc = doc
        self.transport = transport
        self.options = options
        self.timeout = options.timeout or float(transcript.header.get("timeoutSeconds", 30))
        self.records = [replace(r, msg=expand_vars(r.msg, variables)) for r in transcript.records]
        self.matcher: Matcher = transcript.matcher(framing_rules(doc))
        self.opted_out = opted_out_notifications(doc, transcript.initialize)
        self.volatiles = Volatiles.declare(transcript.volatiles)
        self.keep_order = [parse_path(p) for p in transcript.keep_order]
        self.windows = _windows(self.records, set(transcript.barriers))
        self.failures: list[Failure] = []
        self.request_methods = transcript.request_methods()
        self.pending: dict[int, Record] = {r.line: r for r in self.records if r.dir == "s2c"}
        self.live_id_of: dict[Any, Any] = {}  # recorded client request id -> live id
        self.recorded_id_of: dict[Any, Any] = {}  # live client request id -> recorded id
        self.live_method: dict[Any, str] = {}  # live client request id -> method
        self.server_request_ids: dict[Any, Any] = {}  # recorded server request id -> live id
        self.overtaken: set[int] = set()
        self.fresh = itertools.count(1)
        self.queue: asyncio.Queue[Incoming] = asyncio.Queue()
        self.pump: asyncio.Task[None] | None = None
        self.ready = False  # the server has shown it is up: the hang clock runs from here
        self.last_activity = 0.0  # when the last message went either way
        self.horizon = 0
        self.sent = 0
        self.received = 0
        self.position = 0  # line of the last server record matched: where an unmatched message is reported

    # -- driving ---------------------------------------------------------------------------
    async def execute(self) -> None:
        startup = self.options.startup_timeout
        try:
            try:
                await asyncio.wait_for(self.transport.start(), startup)
            except (TransportError, TimeoutError) as error:
                self._fail(TRANSPORT, None, None, None, None, f"cannot start the server: {error or f'not ready within {startup:g}s'}{_stderr(self.transport)}")
                raise _Stop from None
            self.ready = self.transport.announces_readiness
            self.last_activity = time.monotonic()
            self.pump = asyncio.create_task(self._pump())
            for record in self.records:
                if record.dir == "c2s":
                    await self._drain(record.line)
                    await self._send(record)
            await self._drain(self.records[-1].line + 1 if self.records else 1)
            await self._settle()
        except _Stop:
            pass

    async def shutdown(self) -> None:
        if self.pump is not None:
            self.pump.cancel()
        await self.transport.close()

    async def _pump(self) -> None:
        while True:
            message = await self.transport.receive()
            await self.queue.put(message)
            if message is None:
                return

    async def _next(self, wait: float) -> tuple[bool, Incoming]:
        try:
            return True, await asyncio.wait_for(self.queue.get(), max(wait, 0.0))
        except TimeoutError:
            return False, None

    async def _drain(self, horizon: int) -> None:
        """Handle server messages until every record before line `horizon` has arrived."""
        self.horizon = horizon
        while (first := self._first_pending(horizon)) is not None:
            arrived, message = await self._next(self.last_activity + self._patience() - time.monotonic())
            if not arrived:
                self._timed_out(first, horizon)
                raise _Stop
            await self._receive(message, first)

    def _patience(self) -> float:
        """How long silence may last before a due message counts as never coming."""
        if self.failures:
            return min(self.options.grace, self.timeout)
        return self.timeout if self.ready else max(self.options.startup_timeout, self.timeout)

    async def _settle(self) -> None:
        """Anything the server sends shortly after the last expected message is unexpected."""
        until = time.monotonic() + self.options.settle
        while (left := until - time.monotonic()) > 0:
            arrived, message = await self._next(left)
            if arrived:
                await self._receive(message, None)

    def _first_pending(self, horizon: int) -> Record | None:
        return next((r for line, r in sorted(self.pending.items()) if line < horizon), None)

    def _timed_out(self, first: Record, horizon: int) -> None:
        waiting = [r for line, r in sorted(self.pending.items()) if line < horizon]
        more = f" (and {len(waiting) - 1} more expected message(s))" if len(waiting) > 1 else ""
        if self.failures:
            why = f"the server was silent for {self._patience():g}s after the failures above"
        elif self.ready:
            why = f"the server was silent for {self._patience():g}s; it hangs or never sends it"
        else:
            why = f"the server sent nothing within {self._patience():g}s of starting; it hangs or never answers"
        self._fail(TIMEOUT, first.line, None, first.msg, None, f"nothing matching line {first.line} ({self._describe(first)}) arrived: {why}{more}")

    async def _send(self, record: Record) -> None:
        message = self.volatiles.substitute(record.msg, method=record.method)
        if record.kind == "request":
            recorded = record.msg["id"]
            live = 10_000 + next(self.fresh) if isinstance(recorded, int) else f"replay-{next(self.fresh)}"
            self.live_id_of[recorded], self.recorded_id_of[live] = live, recorded
            self.live_method[live] = record.method or ""
            message = {**message, "id": live}
        elif record.kind == "response":
            live_id = self.server_request_ids.get(record.msg["id"])
            if live_id is None:
                return  # the server request it answers never arrived; already reported
            message = {**message, "id": live_id}
        try:
            await self.transport.send(message)
        except TransportError as error:
            self._crash_or_transport(record.line, str(error))
            raise _Stop from None
        self.sent += 1
        self.last_activity = time.monotonic()

    def _crash_or_transport(self, line: int | None, detail: str) -> None:
        status = self.transport.exit_status()
        if status is not None:
            self._fail(CRASH, line, None, None, None, f"the server exited with status {status} ({detail}){_stderr(self.transport)}")
        else:
            self._fail(TRANSPORT, line, None, None, None, detail)

    # -- one server message ----------------------------------------------------------------
    async def _receive(self, message: Incoming, first: Record | None) -> None:
        hint = self.position or None  # an unmatched message is reported at the last line that went well
        if message is None:
            status = self.transport.exit_status()
            what = f"while line {first.line} ({self._describe(first)}) was still expected" if first else "before the client finished"
            self._fail(
                CRASH,
                first.line if first else hint,
                None,
                first.msg if first else None,
                None,
                f"the server exited (status {status}) {what}{_stderr(self.transport)}",
            )
            raise _Stop
        self.received += 1
        self.ready = True
        self.last_activity = time.monotonic()
        if isinstance(message, BadLine):
            self._fail(SCHEMA, hint, "$", "a JSON-RPC message", message.text, f"the server wrote a line that is {message.reason}")
            return
        kind, method = self._classify(message)
        issues = self._validate(message, kind, method)
        # A response pairs with the recorded answer to the same request whatever it holds; other
        # messages failing (c) pair only with an exact recorded match.
        undeclared = kind != "response" and any(i.check == UNDECLARED for i in issues)
        record, mismatches, order = self._pick(message, kind, method, exact_only=undeclared)
        line = record.line if record else hint
        self.failures += [replace(i, line=line) for i in issues]
        if record is None:
            if not undeclared:
                self._unexpected(message, kind, method, hint)
            self._stop_when_hopeless(hint)
            if kind == "request":
                await self._refuse(message)
            return
        self.failures += [replace(o, line=record.line) for o in order]
        self.failures += [Failure(MATCH, record.line, m.path, m.expected, m.actual, m.reason) for m in mismatches]
        if kind == "response" and _outcome(record.msg) != _outcome(message):
            raise _Stop  # decisive: the server answered differently in kind, the rest of the session diverges
        self._stop_when_hopeless(record.line)

    def _stop_when_hopeless(self, line: int | None) -> None:
        """A server that floods or is wrong everywhere: stop after MAX_FAILURES instead of listing thousands."""
        if len(self.failures) >= MAX_FAILURES:
            self._fail(UNEXPECTED, line, None, None, None, f"stopped after {len(self.failures)} failures")
            raise _Stop

    async def _refuse(self, request: dict[str, Any]) -> None:
        """Answer a server request the recording cannot answer as an old client would (method not found), so the run goes on."""
        refusal = {"code": -32601, "message": "not in the recorded session (threadloom replay)"}
        framing = {"jsonrpc": "2.0"} if self.doc.framing.jsonrpc_member else {}
        try:
            await self.transport.send({**framing, "id": request["id"], "error": refusal})
        except TransportError as error:
            self._crash_or_transport(self.position or None, str(error))
            raise _Stop from None

    def _classify(self, message: dict[str, Any]) -> tuple[str, str | None]:
        method = message.get("method")
        if isinstance(method, str):
            return ("request" if "id" in message else "notification"), method
        if "id" in message and ("result" in message or "error" in message):
            return "response", self.live_method.get(message["id"])
        return "invalid", None

    def _unexpected(self, message: dict[str, Any], kind: str, method: str | None, hint: int | None) -> None:
        if kind == "response" and message.get("id") not in self.recorded_id_of:
            reason = f"a response to id {message.get('id')!r}, which the client never used"
        elif kind == "response":
            reason = f"a second response to the client's `{method}` request"
        else:
            reason = f"a {kind} `{method}` the recording does not have here"
        self._fail(UNEXPECTED, hint, "$", None, message, f"unexpected message after line {hint}: {reason}")

    # -- (a) and (c) -----------------------------------------------------------------------
    def _validate(self, message: dict[str, Any], kind: str, method: str | None) -> list[Failure]:
        version = f"v{self.doc.version}"
        if kind == "invalid":
            return [Failure(SCHEMA, None, "$", "a request, notification or response", message, "not a JSON-RPC message")]
        if kind == "response":
            return self._validate_response(message, method)
        assert method is not None
        info = self.doc.method(method)
        if info is None:
            return [Failure(UNDECLARED, None, "$.method", f"a method of {version}", method, f"`{method}` is not a method of {version}")]
        if info.direction != "serverToClient" or info.kind != kind:
            expected = f"{info.direction} {info.kind}"
            return [Failure(SCHEMA, None, "$.method", expected, method, f"`{method}` is a {expected} in {version}, but the server sent it as a {kind}")]
        if kind == "notification" and method in self.opted_out:
            return [Failure(UNDECLARED, None, "$.method", "no such notification", method, f"the client opted out of `{method}` in initialize")]
        bare = {k: v for k, v in message.items() if k not in self.doc.framing.notification_extras} if kind == "notification" else message
        definition = self.doc.wire_definitions.get(method)
        issues = self.doc.validate(definition, bare) if definition else self.doc.validate_ref(info.params, message.get("params"), ("params",))
        return self._framing_issues(message) + [self._issue(i, message, f"`{method}`: ") for i in issues if i.path != ("jsonrpc",)]

    def _framing_issues(self, message: dict[str, Any]) -> list[Failure]:
        """The protocol's framing: `"jsonrpc": "2.0"` on every message unless it declares none (Codex)."""
        if not self.doc.framing.jsonrpc_member or message.get("jsonrpc") == "2.0":
            return []
        return [Failure(SCHEMA, None, "$.jsonrpc", "2.0", message.get("jsonrpc"), 'every message of this protocol carries "jsonrpc": "2.0"')]

    def _validate_response(self, message: dict[str, Any], method: str | None) -> list[Failure]:
        envelope = "Response" if "result" in message else "ErrorResponse"
        issues = [i for i in self.doc.validate(envelope, message) if i.path != ("jsonrpc",)] if envelope in self.doc.defs else []
        info = self.doc.method(method) if method else None
        if info is not None and "result" in message:
            issues += self.doc.validate_ref(info.result, message["result"], ("result",))
        error = message.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), int) and "data" in error:
            issues += self.doc.validate_ref(self.doc.error_data_ref(error["code"]), error["data"], ("error", "data"))
        failures = self._framing_issues(message) + [self._issue(i, message, f"response to `{method}`: " if method else "response: ") for i in issues]
        code = error.get("code") if isinstance(error, dict) else None
        if info is not None and isinstance(code, int) and code not in STANDARD_ERROR_CODES and code not in self.doc.declared_error_codes(info):
            entry = self.doc.errors_by_code.get(code)
            known = f"{entry.get('name')} ({code})" if entry else f"code {code}, which is not in its error table"
            reason = f"`{method}` does not declare {known} in v{self.doc.version}"
            failures.append(Failure(UNDECLARED, None, "$.error.code", f"an error code `{method}` declares", code, reason))
        return failures

    def _issue(self, issue: Any, message: dict[str, Any], context: str) -> Failure:
        _, actual = get(message, issue.path)
        check = UNDECLARED if issue.undeclared else SCHEMA
        return Failure(check, None, render(issue.path), f"valid for v{self.doc.version}", actual, context + issue.message)

    # -- (b): pairing a live message with a recorded one ---------------------------------
    def _pick(self, message: dict[str, Any], kind: str, method: str | None, exact_only: bool) -> tuple[Record | None, list[Mismatch], list[Failure]]:
        candidates = self._candidates(message, kind, method)
        if not candidates:
            return None, [], []
        current = min(self.windows[line] for line in self.pending if line < self.horizon) if self._first_pending(self.horizon) else None
        scored = []
        for record in candidates:
            new, mismatches = self._compare(record, message, method)
            scored.append(_Candidate(record, new, mismatches, self.windows[record.line] == current, self._order_ok(record)))
        choice = self._choose(scored, exact_only)
        if choice is None:
            return None, [], []
        record, new, mismatches, in_order = choice.record, choice.new, choice.mismatches, choice.in_window and choice.order_ok
        order = [] if in_order or mismatches else self._order_failure(record, message)
        self._consume(record, message, kind, new)
        return record, mismatches, order

    @staticmethod
    def _choose(scored: list[_Candidate], exact_only: bool) -> _Candidate | None:
        """Which recorded message a live one stands for.

        An exact match in the current window, in order first; then an exact match in the window out
        of its keepOrder order, or in a later window if its volatiles were all bound already (a record
        whose ids are still unbound matches almost anything, so it only wins when nothing in the
        window has the same method); then the closest one in the window.
        """
        exact = [c for c in scored if not c.mismatches]
        settled = [c for c in exact if c.in_window or not c.new]
        if settled:
            return next((c for c in settled if c.in_window and c.order_ok), settled[0])
        in_window = [c for c in scored if c.in_window]
        if exact_only:
            return exact[0] if exact and not in_window else None
        return min(in_window or scored, key=lambda c: len(c.mismatches))

    def _candidates(self, message: dict[str, Any], kind: str, method: str | None) -> list[Record]:
        # Only records before the next client message compete: later ones hold volatiles not bound
        # yet, which would match almost anything.
        pending = [r for line, r in sorted(self.pending.items()) if line < self.horizon]
        if kind == "response":
            recorded = self.recorded_id_of.get(message.get("id"), _NOTHING)
            return [r for r in pending if r.kind == "response" and r.msg.get("id") == recorded]
        return [r for r in pending if r.kind == kind and r.method == method]

    def _compare(self, record: Record, message: dict[str, Any], method: str | None) -> tuple[dict[tuple[str, Any], Any], list[Mismatch]]:
        # Envelope ids never compare: the client's are remapped by replay, the server's are its choice.
        recorded, actual = dict(record.msg), dict(message)
        recorded.pop("id", None)
        actual.pop("id", None)
        new = self.volatiles.capture(recorded, actual, method)
        if record.kind == "request" and "id" in message:
            # later mentions of a server request's id (e.g. serverRequest/resolved) must use the live one
            new.setdefault((json_type(record.msg["id"]), record.msg["id"]), message["id"])
        expected = self.volatiles.substitute(recorded, new, method)
        for outcome, other in (("result", "error"), ("error", "result")):
            if outcome in expected and other in actual and outcome not in actual:
                return new, [Mismatch("$", {outcome: expected[outcome]}, {other: actual[other]}, f"expected {outcome}, got {other} instead")]
        return new, self.matcher.compare(expected, actual, method)

    def _order_ok(self, record: Record) -> bool:
        key = self._order_key(record)
        if key is None:
            return True
        window = self.windows[record.line]
        return not any(self.windows[line] == window and line < record.line and self._order_key(other) == key for line, other in self.pending.items())

    def _order_key(self, record: Record) -> tuple[str, Any] | None:
        for pattern in self.keep_order:
            found, value = get(record.msg, _literal(pattern.segments))
            if found and not isinstance(value, (dict, list)):
                return pattern.text, value
        return None

    def _order_failure(self, record: Record, message: dict[str, Any]) -> list[Failure]:
        window, key = self.windows[record.line], self._order_key(record)
        earlier = [r for line, r in sorted(self.pending.items()) if line < record.line]
        same_key = [r for r in earlier if self.windows[r.line] == window and key is not None and self._order_key(r) == key]
        blocking = (same_key or earlier)[0] if (same_key or earlier) else None
        if blocking is None or blocking.line in self.overtaken:
            return []
        self.overtaken.add(blocking.line)
        if same_key:
            why = f"they share the keepOrder key {key[0]} = {key[1]!r}, so the recorded order must be kept" if key else ""
        else:
            why = "the ordering policy allows no reordering across it (barriers: " + ", ".join(self.transcript.barriers) + ")"
        return [
            Failure(
                ORDER,
                record.line,
                "$",
                f"line {blocking.line} ({self._describe(blocking)}) first",
                message,
                f"{self._describe(record)} arrived before line {blocking.line} ({self._describe(blocking)}); {why}",
            )
        ]

    def _consume(self, record: Record, message: dict[str, Any], kind: str, new: dict[tuple[str, Any], Any]) -> None:
        del self.pending[record.line]
        self.position = max(self.position, record.line)
        self.volatiles.commit(new)
        if kind == "request":
            self.server_request_ids[record.msg["id"]] = message["id"]

    def _describe(self, record: Record) -> str:
        if record.kind == "response":
            method = self.request_methods.get(record.msg.get("id"), "?")
            return f"the response to `{method}` (request id {record.msg.get('id')!r})"
        return f"{'server request' if record.kind == 'request' else 'notification'} `{record.method}`"

    def _fail(self, check: str, line: int | None, path: str | None, expected: Any, actual: Any, message: str) -> None:
        self.failures.append(Failure(check, line, path, expected, actual, message))


_NOTHING = object()


@dataclass(frozen=True)
class _Candidate:
    record: Record
    new: dict[tuple[str, Any], Any]  # volatile bindings pairing with it would add
    mismatches: list[Mismatch]
    in_window: bool  # in the window the ordering policy expects next
    order_ok: bool  # no earlier pending record with the same keepOrder key


def framing_rules(doc: ProtocolDoc) -> dict[str, Any]:
    """Matchers the protocol's framing implies: extra notification members (Codex's `emittedAtMs`)
    are the server's to choose, so only their type is compared."""
    return {f"$.{extra}": "type" for extra in doc.framing.notification_extras}


def opted_out_notifications(doc: ProtocolDoc, handshake_params: dict[str, Any]) -> set[str]:
    """Notifications the client declined in its handshake (where the protocol's handshake says)."""
    handshake = doc.handshake
    if handshake is None or handshake.opt_out_notifications is None:
        return set()
    value: Any = handshake_params
    for token in handshake.opt_out_notifications.lstrip("/").split("/"):
        value = value.get(token.replace("~1", "/").replace("~0", "~")) if isinstance(value, dict) else None
    return {m for m in value if isinstance(m, str)} if isinstance(value, list) else set()


def _outcome(response: dict[str, Any]) -> str:
    return "result" if "result" in response else "error"


def _literal(segments: tuple[tuple[str, Any], ...]) -> Concrete:
    return tuple(value for _, value in segments)


def _windows(records: list[Record], barriers: set[str]) -> dict[int, int]:
    """Window number of every server record: barriers sit alone; client messages close a window."""
    windows: dict[int, int] = {}
    window = 0
    for record in records:
        if record.dir == "c2s":
            window += 1
        elif record.kind in barriers or (record.method or "") in barriers:
            windows[record.line] = window + 1
            window += 2
        else:
            windows[record.line] = window
    return windows


def _stderr(transport: Transport) -> str:
    tail = transport.stderr_tail().strip()
    return f"; server stderr (last lines):\n{tail}" if tail else ""
