"""The Codex corpus replayed on real releases: green where it was recorded, and on every newer
recorded release exactly what the two plain comparisons predict: the findings of replaying the
older sessions against the playback of the newer recordings, no more and no fewer (by transcript,
line, check and JSON path); among them, the schema-level ones are exactly what set logic over the
two exports predicts. Never a finding on a volatile value.

All runs, live and played back, share one bound of servers at once (`replay_runs`: the usable cores)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from threadloom_conformance.codex_corpus import (
    CORPUS,
    RECORDED,
    SCHEMA_CHECKS,
    Export,
    Prediction,
    added_server_methods,
    finding_keys,
    live_runs,
    pairs,
    predict,
    predicted_runs,
    transcripts,
    write_summary,
)
from threadloom_conformance.paths import INDEX, KEY, parse_path
from threadloom_conformance.replay import Failure, ReplayOptions, Result, replay_runs
from threadloom_conformance.transcript import Transcript

Runs = dict[tuple[str, str, str], list[tuple[Transcript, Result]]]  # (recorded, server, "live" | "predicted")
STRICT = ("member-removed", "value-removed")  # the newer export no longer allows what was recorded


@pytest.fixture(scope="module")
def runs() -> Runs:
    import asyncio

    work: list[tuple[tuple[str, str, str], Transcript, ReplayOptions]] = []
    for recorded, server in [(recorded, recorded) for recorded in RECORDED] + pairs():
        work += [((recorded, server, "live"), t, o) for t, o in live_runs(recorded, server)]
        if recorded != server:
            work += [((recorded, server, "predicted"), t, o) for t, o in predicted_runs(recorded, server)]
    results = asyncio.run(replay_runs([(t, o) for _, t, o in work]))
    grouped: Runs = {}
    for (key, transcript, _), result in zip(work, results, strict=True):
        grouped.setdefault(key, []).append((transcript, result))
    return grouped


def results_of(runs: Runs, recorded: str, server: str, kind: str = "live") -> list[Result]:
    return [result for _, result in runs[(recorded, server, kind)]]


def describe(failures: list[Failure]) -> str:
    return "\n".join(f"  line {f.line} [{f.check}] {f.path}: {f.message}" for f in failures)


@pytest.mark.parametrize("release", RECORDED)
def test_the_corpus_replays_green_on_the_release_it_was_recorded_on(runs: Runs, release: str) -> None:
    outcomes = runs[(release, release, "live")]
    assert len(outcomes) == 5
    for transcript, result in outcomes:
        assert result.passed, f"{transcript.path.name}:\n{describe(result.failures)}\n{result.stderr[-2000:]}"


def test_codex_transcripts_take_their_ordering_policy_from_the_corpus_file() -> None:
    """Codex sends a notification of the thread (e.g. `warning`) before or after the answer to
    `turn/start`, as its tasks run: only its own requests to the client are barriers."""
    for release in RECORDED:
        for transcript in transcripts(release):
            assert transcript.barriers == ("request",) and transcript.corpus_file == CORPUS / "matchers.json"


def stop_line(result: Result) -> float:
    """Replay ends a transcript at its first timeout or crash: lines after it were never judged."""
    return min((f.line for f in result.failures if f.check in ("timeout", "crash") and f.line), default=float("inf"))


def presence_findings(result: Result) -> set[tuple[int | None, str | None]]:
    """Findings about what a message may hold: the schema, undeclared members, a member gone."""
    return {(f.line, f.path) for f in result.failures if f.check in SCHEMA_CHECKS or f.message == "missing key"}


def volatile_rules() -> list[str]:
    corpus = json.loads((CORPUS / "matchers.json").read_text(encoding="utf-8"))
    return [*corpus["matchers"], *(v["path"] for v in corpus["volatiles"])]


def concrete(path: str) -> tuple[str | int, ...]:
    return tuple(value for kind, value in parse_path(path).segments if kind in (KEY, INDEX) and value is not None)


def covered_by_volatile_rule(path: str | None) -> bool:
    """A rule on the path or on any object above it decides the value (children follow `type`)."""
    if not path or path == "$":
        return False
    steps = concrete(path)
    return any(parse_path(rule).matches(steps[:depth]) for rule in volatile_rules() for depth in range(1, len(steps) + 1))


def judged(runs: Runs, recorded: str, server: str) -> Iterator[tuple[Transcript, Result, list[Prediction]]]:
    old, new = Export(recorded), Export(server)
    for transcript, result in runs[(recorded, server, "live")]:
        yield transcript, result, predict(transcript, old, new)


PAIR_IDS = [f"{a}-to-{b}" for a, b in pairs()]


def test_every_pair_of_recorded_releases_is_judged() -> None:
    assert pairs() == [("0.130.0", "0.169.0"), ("0.130.0", "0.171.0"), ("0.169.0", "0.171.0")]


@pytest.mark.parametrize(("recorded", "server"), pairs(), ids=PAIR_IDS)
def test_on_a_newer_release_replay_finds_exactly_what_the_recordings_predict(runs: Runs, recorded: str, server: str) -> None:
    """The live findings equal the findings against the playback of the newer recordings."""
    found = finding_keys(results_of(runs, recorded, server))
    predicted = finding_keys(results_of(runs, recorded, server, "predicted"))
    assert found == predicted, f"unpredicted: {sorted(found - predicted, key=str)}\npredicted, not met: {sorted(predicted - found, key=str)}"


@pytest.mark.parametrize(("recorded", "server"), pairs(), ids=PAIR_IDS)
def test_on_a_newer_release_replay_finds_what_the_exports_predict(runs: Runs, recorded: str, server: str) -> None:
    added = added_server_methods(Export(recorded), Export(server))
    for transcript, result, predictions in judged(runs, recorded, server):
        name, stop = transcript.path.name, stop_line(result)
        must = {(p.line, p.path) for p in predictions if p.kind in STRICT and p.line < stop}
        may = must | {(p.line, p.path) for p in predictions if p.kind == "undocumented"}
        found = presence_findings(result)
        assert must <= found, f"{name}: predicted but not reported: {sorted(must - found)}"
        assert found <= may, f"{name}: reported but not predicted by the exports: {sorted(found - may)}"
        for gone in (p for p in predictions if p.kind == "method-gone" and p.line < stop):
            assert any(f.check == "timeout" and f.line == gone.line for f in result.failures), f"{name}: {gone}"
        for failure in result.failures:
            if failure.check == "undeclared":
                assert failure.actual in added, f"{name}: {failure}"
            assert not covered_by_volatile_rule(failure.path), f"{name}: a false alarm on a volatile value: {failure}"


def test_the_older_corpus_meets_real_differences_on_0_169(runs: Runs) -> None:
    """Not vacuous: 0.169.0 drops the undocumented `permissionProfile` 0.130.0 sent after
    `thread/start`; every transcript that starts a thread meets it, at the recorded line."""
    for transcript, result, predictions in judged(runs, "0.130.0", "0.169.0"):
        starts = [p for p in predictions if p.method == "thread/start" and p.path == "$.result.permissionProfile"]
        if transcript.path.name == "errors.jsonl":
            assert result.passed and not starts
            continue
        (start,) = starts
        assert start.kind == "undocumented" and start.definition == "ThreadStartResponse"
        assert (start.line, start.path) in presence_findings(result)


@pytest.mark.parametrize(("recorded", "server"), pairs(), ids=PAIR_IDS)
def test_the_summary_labels_every_finding_with_the_comparison_that_predicted_it(runs: Runs, recorded: str, server: str, tmp_path: Path) -> None:
    results = results_of(runs, recorded, server)
    text = write_summary(tmp_path, recorded, server, results, results_of(runs, recorded, server, "predicted")).read_text(encoding="utf-8")
    findings = [line for line in text.splitlines() if line.startswith("- line ")]
    assert len(findings) == sum(len(r.failures) for r in results)
    labels = ("predicted by both: the exports (", "predicted by the recordings: a change of behaviour", "predicted by the exports only (")
    for line in findings:
        assert sum(label in line for label in labels) == 1, line
        assert "; diff: " in line or "; no breaking diff finding names it" in line, line
    assert "NOT PREDICTED" not in text and "BUT NOT MET" not in text and "exactly those" in text


def test_the_summary_explains_each_finding_and_cross_references_the_diff(runs: Runs, tmp_path: Path) -> None:
    results, predicted = results_of(runs, "0.130.0", "0.169.0"), results_of(runs, "0.130.0", "0.169.0", "predicted")
    text = write_summary(tmp_path, "0.130.0", "0.169.0", results, predicted).read_text(encoding="utf-8")
    assert "(codex-0.130.0-to-0.169.0.md)" in text  # next to the diff report
    start = "- line 7, `thread/start` `$.result.permissionProfile` [match]: missing key."
    assert text.count(start) == 4 and "predicted by both: the exports (undocumented (`ThreadStartResponse`)) and the recordings" in text
    assert "predicted by the recordings: a change of behaviour" in text
    # the diff's `on-failure` removal is on a definition the sessions carry (approvalPolicy), unchanged there
    (removal,) = [line for line in text.splitlines() if "`AskForApprovalValue` lost the value `on-failure`" in line]
    assert "`AskForApproval`: carried at command-approvals.jsonl:7 `$.result.approvalPolicy` (replay met none)" in removal
