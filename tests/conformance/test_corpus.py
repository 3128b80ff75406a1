"""The frozen transcript corpus (conformance/transcripts/v<N>/*.jsonl).

- it replays green against the reference server (`threadloom serve`) over stdio and over HTTP+SSE;
- it covers the protocol: every client->server method, every ThreadItem type, every approval decision
  for command and file change approvals, the error codes, and a v1 transcript holds nothing of v2;
- the deliberately broken server variants (`python -m threadloom_conformance.mutate`) fail on it with a
  precise report (kind, transcript line, JSON path).

The corpus is recorded by `python -m threadloom_conformance.record_corpus`, deliberately, by a
maintainer; these tests never re-record it.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.helpers import ROOT, THREADLOOM
from threadloom_conformance.record_corpus import SCENARIOS
from threadloom_conformance.replay import Failure, ReplayOptions, Result, replay_all, replay_runs
from threadloom_conformance.report import to_text
from threadloom_conformance.transcript import Record, Transcript, load

CORPUS = ROOT / "conformance" / "transcripts"
VERSIONS = (1, 2)
SERVE = [*THREADLOOM, "serve", "--store", ":memory:"]
SERVERS = {
    "stdio": shlex.join([*SERVE, "--workspace"]) + " ${tmpdir}",
    "http": shlex.join([*SERVE, "--http", "127.0.0.1:0", "--token"]) + " ${token} --workspace ${tmpdir}",
}
# Faults that swallow a message end in a timeout: it counts silence once the server answered, so it
# only needs to exceed one step of a busy machine, not a whole session.
MUTANT_TIMEOUT = 10.0


def corpus_files(version: int) -> list[Path]:
    return sorted((CORPUS / f"v{version}").glob("*.jsonl"))


@pytest.fixture(scope="module")
def corpus() -> dict[int, list[Transcript]]:
    return {version: [load(path) for path in corpus_files(version)] for version in VERSIONS}


def options(transport: str, **overrides: Any) -> ReplayOptions:
    settings: dict[str, Any] = {"server": SERVERS[transport], "transport": transport, "protocol_dir": ROOT / "protocol", **overrides}
    return ReplayOptions(**settings)


# -- replay against the reference server -------------------------------------------------------


@pytest.fixture(scope="module")
def replays(corpus: dict[int, list[Transcript]]) -> dict[str, list[Result]]:
    everything = [t for version in VERSIONS for t in corpus[version]]

    async def both() -> dict[str, list[Result]]:
        return {transport: await replay_all(everything, options(transport)) for transport in SERVERS}

    return asyncio.run(both())


@pytest.mark.parametrize("transport", sorted(SERVERS))
def test_the_whole_corpus_replays_green(replays: dict[str, list[Result]], corpus: dict[int, list[Transcript]], transport: str) -> None:
    results = replays[transport]
    assert len(results) == sum(len(corpus[v]) for v in VERSIONS)
    failed = [r for r in results if not r.passed]
    assert failed == [], to_text(failed)
    assert all(r.received > 0 and r.sent > 0 for r in results)


# -- coverage ----------------------------------------------------------------------------------


def protocol(version: int) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "protocol" / f"v{version}" / "protocol.json").read_text(encoding="utf-8"))
    return document


def client_methods(version: int) -> set[str]:
    return {m["method"] for m in protocol(version)["x-methods"] if m["direction"] == "clientToServer"}


def all_methods(version: int) -> set[str]:
    return {m["method"] for m in protocol(version)["x-methods"]}


def item_types(version: int) -> set[str]:
    defs = protocol(version)["$defs"]
    return {defs[variant["$ref"].rsplit("/", 1)[-1]]["properties"]["type"]["const"] for variant in defs["ThreadItem"]["oneOf"]}


def decisions(version: int) -> set[str]:
    return set(protocol(version)["$defs"]["ApprovalDecision"]["enum"])


def records(transcripts: list[Transcript], direction: str | None = None) -> Iterator[Record]:
    return (r for t in transcripts for r in t.records if direction is None or r.dir == direction)


def items_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every ThreadItem in a message: under `item` or in `items` at any depth."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "item" and isinstance(child, dict):
                yield child
            elif key == "items" and isinstance(child, list):
                yield from (c for c in child if isinstance(c, dict))
            yield from items_in(child)
    elif isinstance(value, list):
        for child in value:
            yield from items_in(child)


def answered_approvals(transcript: Transcript) -> set[tuple[str, str]]:
    """(server request method, decision) of every approval the client answered."""
    asked = {r.msg["id"]: r.method for r in transcript.records if r.dir == "s2c" and r.kind == "request"}
    return {(str(asked[r.msg["id"]]), r.msg["result"]["decision"]) for r in transcript.records if r.dir == "c2s" and r.kind == "response" and "result" in r.msg}


def test_every_scenario_of_the_record_script_has_its_transcript_and_no_other_exists() -> None:
    expected = {f"v{s.version}/{s.name}.jsonl": s.description for s in SCENARIOS}
    found = {f"v{v}/{p.name}": load(p).scenario for v in VERSIONS for p in corpus_files(v)}
    assert found == expected
    assert 12 <= len(corpus_files(1)) <= 24 and 12 <= len(corpus_files(2)) <= 24


@pytest.mark.parametrize("version", VERSIONS)
def test_transcripts_are_recorded_with_their_version(corpus: dict[int, list[Transcript]], version: int) -> None:
    assert {t.protocol_version for t in corpus[version]} == {version}
    assert all(t.initialize.get("clientInfo") == {"name": "threadloom-py", "version": "1.0"} for t in corpus[version])


@pytest.mark.parametrize("version", VERSIONS)
def test_every_client_method_of_the_version_is_sent(corpus: dict[int, list[Transcript]], version: int) -> None:
    sent = {r.method for r in records(corpus[version], "c2s") if r.method}
    assert client_methods(version) <= sent, f"never sent: {sorted(client_methods(version) - sent)}"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_item_type_of_the_version_is_received(corpus: dict[int, list[Transcript]], version: int) -> None:
    received = {item["type"] for r in records(corpus[version], "s2c") for item in items_in(r.msg)}
    assert received == item_types(version)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_approval_decision_is_given_to_command_and_file_change_approvals(corpus: dict[int, list[Transcript]], version: int) -> None:
    given = set().union(*(answered_approvals(t) for t in corpus[version]))
    kinds = {"item/commandExecution/requestApproval", "item/fileChange/requestApproval"}
    assert given == {(kind, decision) for kind in kinds for decision in decisions(version)}


@pytest.mark.parametrize(
    ("version", "codes"),
    [
        (1, {-32002, -32003, -32601, -32602, -32010, -32011, -32012}),
        (2, {-32002, -32003, -32601, -32602, -32010, -32011, -32012, -32020, -32021}),
    ],
)
def test_error_cases_are_covered(corpus: dict[int, list[Transcript]], version: int, codes: set[int]) -> None:
    """Not initialized, already initialized, unknown method, invalid params, thread/turn not found, turn active (v2: experimental, version)."""
    received = {r.msg["error"]["code"] for r in records(corpus[version], "s2c") if "error" in r.msg}
    assert received == codes


@pytest.mark.parametrize("version", VERSIONS)
def test_turns_complete_fail_and_are_interrupted(corpus: dict[int, list[Transcript]], version: int) -> None:
    statuses = {r.msg["params"]["turn"]["status"] for r in records(corpus[version], "s2c") if r.method == "turn/completed"}
    assert statuses == {"completed", "interrupted", "failed"}
    interrupted_while = {t.path.stem for t in corpus[version] if any(r.method == "turn/interrupt" for r in t.records)}
    assert {"interrupt-running-command", "interrupt-pending-approval", "interrupt-sleep"} <= interrupted_while


def test_v2_uses_the_experimental_method_with_and_without_opt_in(corpus: dict[int, list[Transcript]]) -> None:
    def opted_in(t: Transcript) -> bool:
        return bool((t.initialize.get("capabilities") or {}).get("experimentalApi"))

    using = [t for t in corpus[2] if any(r.method == "thread/loaded/list" for r in t.records)]
    assert {opted_in(t) for t in using} == {True, False}


def test_a_v1_transcript_holds_nothing_of_v2(corpus: dict[int, list[Transcript]]) -> None:
    v1_methods, v1_items, v1_decisions = all_methods(1), item_types(1), decisions(1)
    for transcript in corpus[1]:
        for record in transcript.records:
            where = f"{transcript.path.name}:{record.line}"
            assert record.method is None or record.method in v1_methods or record.method == "thread/frobnicate", where
            assert {item["type"] for item in items_in(record.msg)} <= v1_items, where
            assert record.dir == "s2c" or record.kind != "response" or record.msg.get("result", {}).get("decision", "accept") in v1_decisions, where
            assert "protocolVersions" not in (record.msg.get("params") or {}), where
        scoped = {key.split(":", 1)[0] for key in transcript.header.get("matchers", {}) if ":" in key}
        assert scoped <= v1_methods, transcript.path.name


def test_matchers_loosen_only_what_the_server_chooses(corpus: dict[int, list[Transcript]]) -> None:
    """No `any`: ids are volatiles, times/durations/prose/output/server version/list order get typed rules, the rest is exact."""
    allowed = {"datetime", "integer", "type", "arrayContains"}
    for transcript in corpus[1] + corpus[2]:
        rules = transcript.header.get("matchers", {})
        kinds = {rule if isinstance(rule, str) else rule["match"] for rule in rules.values()}
        assert kinds <= allowed, (transcript.path.name, rules)
        assert {key for key, rule in rules.items() if rule == "arrayContains"} <= {"thread/list:$.result.data", "thread/loaded/list:$.result.data"}


def test_the_generated_suite_lists_the_whole_corpus() -> None:
    suite = json.loads((ROOT / "conformance" / "suite" / "suite.json").read_text(encoding="utf-8"))
    listed = {(entry["version"], entry["path"]) for entry in suite["transcripts"]}
    assert listed == {(v, f"transcripts/v{v}/{p.name}") for v in VERSIONS for p in corpus_files(v)}
    assert (ROOT / "conformance" / "suite" / "test_transcripts.py").is_file()


# -- broken server variants on the real corpus ------------------------------------------------


def has_key(name: str) -> Callable[[Record], bool]:
    return lambda r: r.dir == "s2c" and f'"{name}"' in json.dumps(r.msg)


def method_is(name: str) -> Callable[[Record], bool]:
    return lambda r: r.dir == "s2c" and r.method == name


def is_approval(r: Record) -> bool:
    return r.dir == "s2c" and r.kind == "request" and str(r.method).endswith("/requestApproval")


def answers_first(method: str) -> Callable[[Transcript], Callable[[Record], bool]]:
    def anchor(transcript: Transcript) -> Callable[[Record], bool]:
        request_id = next(r.msg["id"] for r in transcript.records if r.dir == "c2s" and r.method == method)
        return lambda r: r.dir == "s2c" and r.kind == "response" and r.msg.get("id") == request_id

    return anchor


def failing_answer(method: str) -> Callable[[Transcript], Callable[[Record], bool]]:
    """The recorded error answer to the first `method` request that failed (a live response always
    pairs with the recorded answer to the same request)."""

    def anchor(transcript: Transcript) -> Callable[[Record], bool]:
        failed = {r.msg.get("id") for r in transcript.records if r.dir == "s2c" and r.kind == "response" and "error" in r.msg}
        request = next(r for r in transcript.records if r.dir == "c2s" and r.method == method and r.msg.get("id") in failed)
        return lambda r: r.dir == "s2c" and r.kind == "response" and r.msg.get("id") == request.msg["id"]

    return anchor


def fixed(predicate: Callable[[Record], bool]) -> Callable[[Transcript], Callable[[Record], bool]]:
    return lambda _: predicate


# (transcript, fault, the record the first failure must point at, its check, its JSON path)
MUTANTS: list[tuple[str, str, Callable[[Transcript], Callable[[Record], bool]], str, str | None]] = [
    ("v1/plain-turn", "rename-field", fixed(has_key("threadId")), "schema", "$.params.threadId"),
    ("v2/thread-lifecycle", "rename-field", fixed(has_key("threadId")), "schema", "$.params.threadId"),
    ("v1/command-accept", "add-required-field", answers_first("turn/start"), "match", "$"),
    ("v2/reasoning-and-plan", "add-required-field", answers_first("turn/start"), "match", "$"),
    ("v1/interrupt-sleep", "inject-v2-item", fixed(method_is("turn/started")), "undeclared", "$.params.item.type"),
    ("v1/failed-turn", "inject-v2-item", fixed(method_is("turn/started")), "undeclared", "$.params.item.type"),
    ("v1/file-change-accept", "reorder", fixed(method_is("turn/started")), "order", "$"),
    ("v2/steer", "reorder", fixed(method_is("turn/started")), "order", "$"),
    ("v1/approval-decline", "drop-approval", fixed(is_approval), "timeout", None),
    ("v2/file-change-accept", "drop-approval", fixed(is_approval), "timeout", None),
    # TurnNotFound's data lacks `turnId`, so the schema check speaks first, then check (c), then the
    # match of the code (see test_fault_specific_details).
    ("v1/error-thread-not-found", "undeclared-error", failing_answer("turn/start"), "schema", "$.error.data.turnId"),
    ("v2/error-turns", "undeclared-error", failing_answer("turn/start"), "schema", "$.error.data.turnId"),
]
CONTROLS = ["v1/interrupt-running-command", "v2/interrupt-pending-approval", "v2/approval-accept-for-session"]


def mutant_server(fault: str) -> str:
    return shlex.join([sys.executable, "-m", "threadloom_conformance.mutate", fault, "--", *SERVE, "--workspace"]) + " ${tmpdir}"


@pytest.fixture(scope="module")
def mutant_results() -> dict[tuple[str, str], Result]:
    """Every (transcript, fault) of MUTANTS and the controls, as many at once as there are cores."""
    runs = [(name, fault) for name, fault, *_ in MUTANTS] + [(name, "none") for name in CONTROLS]
    plan = [(load(CORPUS / f"{name}.jsonl"), options("stdio", server=mutant_server(fault), timeout=MUTANT_TIMEOUT)) for name, fault in runs]
    return dict(zip(runs, asyncio.run(replay_runs(plan)), strict=True))


def describe(failures: list[Failure]) -> list[tuple[str, int | None, str | None, str]]:
    return [(f.check, f.line, f.path, f.message) for f in failures]


@pytest.mark.parametrize(("name", "fault", "anchor", "check", "path"), MUTANTS, ids=[f"{m[1]}-{m[0]}" for m in MUTANTS])
def test_broken_server_fails_the_corpus_precisely(
    mutant_results: dict[tuple[str, str], Result],
    name: str,
    fault: str,
    anchor: Callable[[Transcript], Callable[[Record], bool]],
    check: str,
    path: str | None,
) -> None:
    transcript = load(CORPUS / f"{name}.jsonl")
    line = next(r.line for r in transcript.records if anchor(transcript)(r))
    failures = mutant_results[(name, fault)].failures
    assert failures, f"{fault} went unnoticed on {name}"
    first = failures[0]
    assert (first.check, first.line, first.path) == (check, line, path), describe(failures)
    assert all(f.line is not None for f in failures), describe(failures)
    assert not {"crash", "transport"} & {f.check for f in failures}, describe(failures)


def test_fault_specific_details(mutant_results: dict[tuple[str, str], Result]) -> None:
    renamed = mutant_results[("v1/plain-turn", "rename-field")].failures
    assert renamed[0].message == "`turn/started`: 'threadId' is a required property"
    assert (renamed[1].check, renamed[1].path, renamed[1].message) == ("match", "$.params.threadId", "missing key")
    injected = mutant_results[("v1/interrupt-sleep", "inject-v2-item")].failures
    assert {f.check for f in injected} == {"undeclared"} and injected[0].actual == "reasoning"
    refused = mutant_results[("v2/reasoning-and-plan", "add-required-field")].failures[0]
    assert refused.actual["error"]["code"] == -32602 and "turn" in refused.expected["result"]
    reordered = mutant_results[("v2/steer", "reorder")].failures
    assert {f.check for f in reordered} == {"order"} and reordered[0].actual["method"] == "turn/started"
    undeclared = [f for f in mutant_results[("v1/error-thread-not-found", "undeclared-error")].failures if f.check == "undeclared"]
    assert [(f.path, f.actual, f.message) for f in undeclared] == [("$.error.code", -32011, "`turn/start` does not declare TurnNotFound (-32011) in v1")]
    dropped = mutant_results[("v2/file-change-accept", "drop-approval")].failures[0]
    assert dropped.expected["method"] == "item/fileChange/requestApproval" and "never sends it" in dropped.message


@pytest.mark.parametrize("name", CONTROLS)
def test_the_proxy_without_a_fault_passes(mutant_results: dict[tuple[str, str], Result], name: str) -> None:
    assert describe(mutant_results[(name, "none")].failures) == []
