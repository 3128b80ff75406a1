"""The Codex corpus across releases: replay it, predict its findings, summarise.

    python -m threadloom_conformance.codex_corpus report [--out docs/real-world]

The corpus (conformance/codex/transcripts/<release>/) holds the same old-client sessions recorded
on each pinned `codex app-server` release of `RECORDED` (tests/codex_live/record_corpus.py).
Replaying the sessions of an older release against a newer one shows what an old client meets
there. Two plain comparisons predict those findings, before any newer server runs:

1. **The recordings** (`predicted_runs`): the older session replayed against the playback of the
   same session recorded on the newer release (`threadloom_conformance.playback`). Replay compares
   the two recordings message by message, under the corpus matchers and ordering policy, exactly as
   it compares the older recording with the live newer server; offline and deterministic. This
   prediction is exact: replaying against the real newer server must find the same findings
   (transcript, line, check, JSON path), no more, no fewer (tests/codex_live/test_corpus_replay.py).
2. **The exports** (`predict`): what the schema says about the recorded messages, with nothing but
   set logic over the two exports' members:

- a recorded server method that the newer export no longer has (`method-gone`);
- a recorded member the old export declares and the newer one does not (`member-removed`);
- a recorded member no export declares (`undocumented`): an old client may read it, nothing
  promises it, so a newer server may drop it;
- a recorded union tag or enum value the newer export lost (`value-removed`);
- server methods only the newer export has (`method-added`): an old client never declared them.

The exports see only what the schema allows: a member or value gone. The recordings see that too,
and every change of behaviour both exports allow (a turn that now carries its items, a notification
sent less often). `report` writes docs/real-world/codex-replay-<a>-to-<b>.md for every pair of
recorded releases: per transcript and finding what an old client meets, which comparison predicted
it (the exports, the recordings, or both), and the breaking findings of `threadloom diff`
(docs/real-world/codex-<a>-to-<b>.md) about the same change.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threadloom_conformance.releases import PINNED, codex_export
from threadloom_conformance.replay import Failure, ReplayOptions, Result, replay_runs
from threadloom_conformance.transcript import Record, Transcript, load

if TYPE_CHECKING:
    from threadloom.diff.findings import DiffFinding

CORPUS = Path(__file__).resolve().parents[1] / "codex"
SCENARIO = CORPUS / "corpus-scenario.json"
BUNDLE = "codex_app_server_protocol.schemas.json"
RECORDED = ("0.130.0", "0.169.0", "0.171.0")  # releases the corpus holds sessions of (transcripts/<release>/)

Json = Any


def transcripts(release: str) -> list[Transcript]:
    return [load(path) for path in sorted((CORPUS / "transcripts" / release).glob("*.jsonl"))]


def server_command(release: str, scenario: Path = SCENARIO) -> str:
    return f"{sys.executable} -m threadloom_conformance.codex_session --release {release} --scenario {scenario}"


def playback_command(recording: Path) -> str:
    return f"{sys.executable} -m threadloom_conformance.playback {recording}"


def live_runs(recorded: str, server: str) -> list[tuple[Transcript, ReplayOptions]]:
    """The corpus recorded on `recorded`, judged by that release's export, against a `server` release."""
    options = ReplayOptions(server=server_command(server), protocol_dir=codex_export(recorded))
    return [(transcript, options) for transcript in transcripts(recorded)]


def predicted_runs(recorded: str, server: str) -> list[tuple[Transcript, ReplayOptions]]:
    """The same, against the playback of each session as recorded on `server`: the prediction."""
    runs = []
    for transcript in transcripts(recorded):
        newer = CORPUS / "transcripts" / server / transcript.path.name
        if not newer.is_file():
            hint = f"python -m tests.codex_live.record_corpus --release {server}"
            raise FileNotFoundError(f"{newer}: {transcript.path.name} was not recorded on {server} ({hint})")
        runs.append((transcript, ReplayOptions(server=playback_command(newer), protocol_dir=codex_export(recorded))))
    return runs


def replay_pair(recorded: str, server: str, jobs: int | None = None) -> tuple[list[Result], list[Result]]:
    """(found on the live server, predicted by the recordings) for one pair, in one bounded run."""
    live, predicted = live_runs(recorded, server), predicted_runs(recorded, server)
    results = asyncio.run(replay_runs(live + predicted, jobs))
    return results[: len(live)], results[len(live) :]


# --- findings as comparable keys ------------------------------------------------------------------

FindingKey = tuple[str, int | None, str, str | None]  # transcript file, line, check, JSON path


def finding_key(result: Result, failure: Failure) -> FindingKey:
    return result.transcript.name, failure.line, failure.check, failure.path


def finding_keys(results: list[Result]) -> set[FindingKey]:
    return {finding_key(result, failure) for result in results for failure in result.failures}


# --- the exports, as plain sets ------------------------------------------------------------------


class Export:
    """One release's stable export: its method unions and every definition by name."""

    def __init__(self, release: str) -> None:
        self.release = release
        bundle = json.loads((codex_export(release) / BUNDLE).read_text(encoding="utf-8"))["definitions"]
        self.definitions: dict[str, Json] = {k: v for k, v in bundle.items() if k != "v2"} | bundle.get("v2", {})
        self.client_requests = self._union("ClientRequest")
        self.server_requests = self._union("ServerRequest")
        self.notifications = self._union("ServerNotification")

    def _union(self, name: str) -> dict[str, str | None]:
        """method -> the name of its params definition."""
        methods: dict[str, str | None] = {}
        for variant in self.definitions[name]["oneOf"]:
            ref = variant["properties"].get("params", {}).get("$ref")
            methods[variant["properties"]["method"]["enum"][0]] = ref.rsplit("/", 1)[-1] if ref else None
        return methods

    @cached_property
    def server_methods(self) -> set[str]:
        return set(self.server_requests) | set(self.notifications)

    def schema_of(self, record: Record, request_method: str | None) -> Json | None:
        """The schema of a recorded server message's payload (`params` or `result`), if known."""
        if record.kind == "response":
            params = self.client_requests.get(request_method or "")
            name = params[: -len("Params")] + "Response" if params and params.endswith("Params") else None
            return {"$ref": f"#/definitions/{name}"} if name in self.definitions else None
        params = (self.notifications | self.server_requests).get(record.method or "")
        return {"$ref": f"#/definitions/{params}"} if params else None


@dataclass(frozen=True)
class Member:
    path: str  # replay's JSON path, e.g. $.result.thread.permissionProfile
    definition: str  # the definition the member belongs to, e.g. ThreadStartResponse
    declared: bool  # the export names it among the definition's properties


def members(export: Export, schema: Json, value: Json, path: str, owner: str = "") -> Iterator[Member]:
    """Every object member of `value`, placed in the definition that does (or does not) declare it."""
    schema, owner = _resolve(export, schema, owner)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, element in enumerate(value):
            yield from members(export, schema["items"], element, f"{path}[{index}]", owner)
        return
    if not isinstance(value, dict):
        return
    variant = _variant(export, schema, value)
    if variant is not schema:
        yield from members(export, variant, value, path, owner)
        return
    properties = schema.get("properties", {})
    for key, child in value.items():
        yield Member(f"{path}.{key}", owner, key in properties)
        if key in properties:
            yield from members(export, properties[key], child, f"{path}.{key}", owner)


def _resolve(export: Export, schema: Json, owner: str) -> tuple[Json, str]:
    while True:
        if "$ref" in schema:
            owner = schema["$ref"].rsplit("/", 1)[-1]
            schema = export.definitions.get(owner, {})
        elif len(schema.get("allOf", ())) == 1:
            schema = schema["allOf"][0]
        else:
            return schema, owner


def _variant(export: Export, schema: Json, value: dict[str, Json]) -> Json:
    """The union variant an object value is (its one-value enums match), else the schema itself."""
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        resolved, _ = _resolve(export, option, "")
        if resolved.get("type") == "null" or ("properties" not in resolved and "oneOf" not in resolved):
            continue
        tags = {k: p["enum"][0] for k, p in resolved.get("properties", {}).items() if len(p.get("enum", ())) == 1}
        if all(value.get(k) == v for k, v in tags.items()):
            return option
    return schema


def carried(export: Export, schema: Json, value: Json, path: str) -> Iterator[tuple[str, str]]:
    """(definition name, path) of every named definition a recorded value holds a value of."""
    while "$ref" in schema or len(schema.get("allOf", ())) == 1:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            yield name, path
            schema = export.definitions.get(name, {})
        else:
            schema = schema["allOf"][0]
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, element in enumerate(value):
            yield from carried(export, schema["items"], element, f"{path}[{index}]")
    elif isinstance(value, dict):
        variant = _variant(export, schema, value)
        if variant is not schema:
            yield from carried(export, variant, value, path)
            return
        for key, child in value.items():
            if key in schema.get("properties", {}):
                yield from carried(export, schema["properties"][key], child, f"{path}.{key}")


def carried_by(transcript: Transcript, export: Export) -> dict[str, list[tuple[int, str]]]:
    """Definition name -> (line, path) of every value of it the transcript's messages hold, both ways."""
    found: dict[str, list[tuple[int, str]]] = {}
    methods = transcript.request_methods()
    for record in transcript.records:
        member = "result" if record.kind == "response" else "params"
        if member not in record.msg:
            continue
        if record.dir == "c2s":
            params = export.client_requests.get(record.method or "")
            schema = {"$ref": f"#/definitions/{params}"} if params and record.kind == "request" else None
        else:
            schema = export.schema_of(record, record.method or methods.get(record.msg.get("id"), ""))
        for name, path in carried(export, schema or {}, record.msg[member], f"$.{member}"):
            found.setdefault(name, []).append((record.line, path))
    return found


def enum_values(export: Export, schema: Json, value: Json, path: str) -> Iterator[tuple[str, Json]]:
    """(path, value) of every recorded string the export constrains by an enum (tags included)."""
    schema, _ = _resolve(export, schema, "")
    if isinstance(value, str) and "enum" in schema:
        yield path, value
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, element in enumerate(value):
            yield from enum_values(export, schema["items"], element, f"{path}[{index}]")
    elif isinstance(value, dict):
        variant = _variant(export, schema, value)
        chosen, _ = _resolve(export, variant, "")
        for key, child in value.items():
            if key in chosen.get("properties", {}):
                yield from enum_values(export, chosen["properties"][key], child, f"{path}.{key}")


# --- the prediction ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    kind: str  # method-gone | member-removed | undocumented | value-removed
    line: int
    path: str
    method: str
    definition: str = ""


def predict(transcript: Transcript, old: Export, new: Export) -> list[Prediction]:
    """What the two exports say about the recorded server messages of one transcript."""
    predictions: list[Prediction] = []
    request_methods = transcript.request_methods()
    for record in transcript.records:
        if record.dir != "s2c":
            continue
        method = record.method or request_methods.get(record.msg.get("id"), "")
        if record.kind != "response" and record.method not in new.server_methods:
            predictions.append(Prediction("method-gone", record.line, "$.method", method))
            continue
        predictions += _member_predictions(record, method, old, new)
    return predictions


def _member_predictions(record: Record, method: str, old: Export, new: Export) -> Iterator[Prediction]:
    member = "result" if record.kind == "response" else "params"
    if member not in record.msg:
        return
    old_schema, new_schema = old.schema_of(record, method), new.schema_of(record, method)
    if old_schema is None or new_schema is None:
        return
    payload, root = record.msg[member], f"$.{member}"
    now_declared = {m.path for m in members(new, new_schema, payload, root) if m.declared}
    for m in members(old, old_schema, payload, root):
        if not m.declared and m.path not in now_declared:
            yield Prediction("undocumented", record.line, m.path, method, m.definition)
        elif m.declared and m.path not in now_declared:
            yield Prediction("member-removed", record.line, m.path, method, m.definition)
    still_allowed = set(enum_values(new, new_schema, payload, root))
    for path, value in enum_values(old, old_schema, payload, root):
        if (path, value) not in still_allowed and path in now_declared:
            yield Prediction("value-removed", record.line, path, method)


def added_server_methods(old: Export, new: Export) -> set[str]:
    return new.server_methods - old.server_methods


# --- the summary ---------------------------------------------------------------------------------

SCHEMA_CHECKS = ("schema", "undeclared")


def explained_by(failure: Failure, predictions: list[Prediction], added: set[str]) -> Prediction | str | None:
    """The prediction (or the added method) a replay failure is; None: a change of behaviour."""
    if failure.check == "undeclared" and isinstance(failure.actual, str) and failure.actual in added:
        return failure.actual
    for prediction in predictions:
        same_place = prediction.line == failure.line and (prediction.path == failure.path or prediction.kind == "method-gone")
        if same_place and (failure.check in SCHEMA_CHECKS or failure.message == "missing key" or prediction.kind != "undocumented"):
            return prediction
    return None


def method_of(transcript: Transcript, line: int | None) -> str:
    for record in transcript.records:
        if record.line == line:
            return record.method or transcript.request_methods().get(record.msg.get("id"), "")
    return ""


def related_diff_findings(method: str, path: str | None, definition: str, findings: list[DiffFinding]) -> list[DiffFinding]:
    """Breaking diff findings about the same change: same method, and the member or definition named."""
    name = (path or "").rsplit(".", 1)[-1].split("[", 1)[0]
    related = []
    for finding in findings:
        if finding.level.name != "ERR" or finding.audience.value != "old-clients":
            continue
        pointers = f"{finding.old_pointer} {finding.new_pointer}"
        names_it = (definition and f"/{definition}" in pointers) or (name and pointers.endswith(f"/{name}"))
        if (method in finding.methods or not finding.methods) and names_it:
            related.append(finding)
    return related


def write_summary(out: Path, recorded: str, server: str, results: list[Result], predicted: list[Result]) -> Path:
    """docs/real-world/codex-replay-<recorded>-to-<server>.md from the live replays (`results`) and
    the replays against the newer recordings (`predicted`, same transcripts, same order)."""
    from threadloom.diff import diff_protocols
    from threadloom.formats import codex

    old, new = Export(recorded), Export(server)
    diff = diff_protocols(codex.load(codex_export(recorded))[0], codex.load(codex_export(server))[0])
    added = added_server_methods(old, new)
    by_recordings = finding_keys(predicted)
    lines = _summary_head(recorded, server, results, added, by_recordings)
    for result, prediction_run in zip(results, predicted, strict=True):
        transcript = load(result.transcript)
        predictions = predict(transcript, old, new)
        lines.append(f"\n## `{result.transcript.name}`: {transcript.scenario}\n")
        lines.append("PASS: an old client meets no difference.\n" if result.passed else f"FAIL: {len(result.failures)} finding(s).\n")
        for failure in result.failures:
            lines.append(_finding_line(transcript, failure, predictions, added, diff, finding_key(result, failure) in by_recordings))
        found = finding_keys([result])
        lines += [_missed_line(transcript, f) for f in prediction_run.failures if finding_key(prediction_run, f) not in found]
        lines += _unreached(predictions, result)
    lines += _diff_on_used_methods(used_methods(recorded), diff, _exercised(results, old), old)
    path = out / f"codex-replay-{recorded}-to-{server}.md"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _summary_head(recorded: str, server: str, results: list[Result], added: set[str], by_recordings: set[FindingKey]) -> list[str]:
    failed = sum(not r.passed for r in results)
    found = finding_keys(results)
    missed, unpredicted = len(by_recordings - found), len(found - by_recordings)
    exact = "exactly those" if found == by_recordings else f"NOT those: {unpredicted} unpredicted, {missed} predicted but not met"
    return [
        "<!-- generated by `python -m threadloom_conformance.codex_corpus report`: do not edit -->\n\n",
        f"# An old Codex client on a newer server: {recorded} to {server}\n\n",
        f"The corpus recorded on `codex app-server` {recorded} (conformance/codex/transcripts/{recorded}/, "
        f"{len(results)} sessions) replayed against {server}, judged by the {recorded} export "
        f"(`threadloom replay`, volatile values per conformance/codex/matchers.json): {len(results) - failed} pass, {failed} fail. ",
        f"The schema diff of the pair: [codex-{recorded}-to-{server}.md](codex-{recorded}-to-{server}.md).\n\n",
        f"**Predicted:** replaying the same sessions against the playback of their {server} recordings "
        f"(conformance/codex/transcripts/{server}/, `threadloom_conformance.playback`) finds {len(by_recordings)} finding(s); "
        f"the real {server} server gave {len(found)}, {exact}.\n\n",
        "Each finding says which plain comparison predicted it: **the exports** (set logic over the two exports and the "
        "recorded messages, `threadloom_conformance.codex_corpus.predict`: a member or value the newer schema no longer "
        "has), **the recordings** (the two releases' recordings of the session compared message by message: a change "
        "of behaviour both exports allow), or **both**; and it names the breaking diff findings about the same change.\n\n",
        f"Server methods only {server} has (an old client never declared them; none was sent in these sessions unless a finding says so): {len(added)}.\n",
    ]


def _finding_line(
    transcript: Transcript, failure: Failure, predictions: list[Prediction], added: set[str], diff: list[DiffFinding], by_recordings: bool
) -> str:
    method = method_of(transcript, failure.line)
    cause = explained_by(failure, predictions, added)
    if isinstance(cause, Prediction):
        schema = f"{cause.kind}" + (f" (`{cause.definition}`)" if cause.definition else "")
    elif cause:
        schema = f"`{cause}` is a server method only the newer export has"
    else:
        schema = ""
    if schema and by_recordings:
        why = f"predicted by both: the exports ({schema}) and the recordings"
    elif schema:
        why = f"predicted by the exports only ({schema}); NOT by the recordings"
    elif by_recordings:
        why = "predicted by the recordings: a change of behaviour, both exports allow what was recorded and what came"
    else:
        why = "NOT PREDICTED by the exports or the recordings"
    definition = cause.definition if isinstance(cause, Prediction) else ""
    related = related_diff_findings(method, failure.path, definition, diff)
    refs = "; diff: " + ", ".join(f"`{f.rule}` {f.new_pointer}" for f in related[:3]) if related else "; no breaking diff finding names it"
    return f"- {_where(transcript, failure, method)}: {failure.message}.{_values(failure)} {why}{refs}.\n"


def _missed_line(transcript: Transcript, failure: Failure) -> str:
    """A finding the recordings predicted that the live server did not produce."""
    method = method_of(transcript, failure.line)
    return f"- PREDICTED BY THE RECORDINGS BUT NOT MET: {_where(transcript, failure, method)}: {failure.message}.\n"


def _where(transcript: Transcript, failure: Failure, method: str) -> str:
    return f"line {failure.line}, `{method or '?'}` `{failure.path or '$'}` [{failure.check}]"


def _values(failure: Failure) -> str:
    # order and timeout findings quote whole live messages (fresh ids every run): their message says it all
    return f" Recorded {_short(failure.expected)}, now {_short(failure.actual)}." if failure.check == "match" else ""


def _exercised(results: list[Result], export: Export) -> dict[str, list[str]]:
    """Definition -> "file:line `path` (met|unchanged)" for every value of it the sessions carry."""
    notes: dict[str, list[str]] = {}
    for result in results:
        transcript = load(result.transcript)
        for name, places in carried_by(transcript, export).items():
            for line, path in places:
                met = any(f.line == line and (f.path or "$").startswith(path) for f in result.failures)
                state = "replay met a difference there" if met else "replay met none"
                notes.setdefault(name, []).append(f"{result.transcript.name}:{line} `{path}` ({state})")
    return notes


def used_methods(recorded: str) -> set[str]:
    return {method for t in transcripts(recorded) for method in t.request_methods().values()} | {
        r.method for t in transcripts(recorded) for r in t.records if r.dir == "s2c" and r.method
    }


def _diff_on_used_methods(used: set[str], diff: list[DiffFinding], exercised: dict[str, list[str]], export: Export) -> list[str]:
    """The diff's old-client breaking findings on methods the corpus uses: did a session carry a
    value of the changed definition, and did replay meet a difference there?"""
    breaking = [f for f in diff if f.level.name == "ERR" and f.audience.value == "old-clients" and used & set(f.methods)]
    lines = [f"\n## Breaking diff findings on methods these sessions use ({len(breaking)})\n\n"]
    if not breaking:
        lines.append("None: every old-client breaking change of the diff concerns methods these sessions never call or receive.\n")
    for finding in breaking:
        via = ", ".join(f"`{m}`" for m in sorted(used & set(finding.methods)))
        definition = _carried_name(_definition_of(finding), exercised, export)
        where = exercised.get(definition, [])
        carried_note = f"carried at {', '.join(where[:3])}{' …' if len(where) > 3 else ''}" if where else "no session carries a value of it"
        lines.append(f"- `{finding.rule}` {finding.message} (via {via}; {finding.new_pointer}). `{definition}`: {carried_note}.\n")
    return lines


def _carried_name(definition: str, exercised: dict[str, list[str]], export: Export) -> str:
    """The export's name for an adapter's definition: the same, else the union it was lifted from
    (the adapter names an inline variant after its union: `AskForApproval` -> `AskForApprovalValue`)."""
    if definition in exercised:
        return definition
    unions = (name for name in exercised if {"oneOf", "anyOf"} & set(export.definitions.get(name, {})))
    owners = [name for name in unions if definition.startswith(name)]
    return max(owners, key=len) if owners else definition


def _definition_of(finding: DiffFinding) -> str:
    pointer = finding.old_pointer or finding.new_pointer
    return pointer.split("/$defs/", 1)[-1].split("/", 1)[0] if "/$defs/" in pointer else ""


def _unreached(predictions: list[Prediction], result: Result) -> list[str]:
    """Predictions beyond the line where the replay stopped (it stops at the first decisive mismatch)."""
    stop = min((f.line for f in result.failures if f.check in ("timeout", "crash") and f.line), default=None)
    later = [p for p in predictions if stop is not None and p.line > stop and p.kind != "undocumented"]
    return [f"- not reached (the replay stopped at line {stop}): line {p.line} `{p.method}` `{p.path}` {p.kind}.\n" for p in later]


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return f"`{text[:100]}{'…' if len(text) > 100 else ''}`"


def pairs() -> list[tuple[str, str]]:
    """(recorded, newer) for every corpus release and every newer pinned release."""
    pinned = PINNED["codex"]
    return [(a, b) for a in RECORDED for b in pinned if pinned.index(b) > pinned.index(a)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m threadloom_conformance.codex_corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["report"])
    parser.add_argument("--out", type=Path, default=Path("docs/real-world"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for recorded, server in pairs():
        print(write_summary(args.out, recorded, server, *replay_pair(recorded, server)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
