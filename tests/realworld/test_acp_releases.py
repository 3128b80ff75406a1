"""Real ACP releases from npm (`@agentclientprotocol/sdk` 0.4.5 and 2.4.0, fetched once into the
shared cache): the adapter's method table and the diff between them, checked against plain set
logic over the raw schema files, and the committed report kept current."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from threadloom.check import check_source
from threadloom.diff import DiffFinding, Level, diff_protocols
from threadloom.formats import acp
from threadloom.model import Direction, Kind, Protocol
from threadloom_conformance.releases_acp import acp_package_dir, render_report, report_path

OLD, NEW = "0.4.5", "2.4.0"
ROOT = Path(__file__).parents[2]


def raw_defs(path: Path) -> dict[str, Any]:
    defs: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["$defs"]
    return defs


@pytest.fixture(scope="module")
def old_files() -> Path:
    return acp_package_dir(OLD) / "schema"


@pytest.fixture(scope="module")
def new_files() -> Path:
    return acp_package_dir(NEW) / "schema"


@pytest.fixture(scope="module")
def old(old_files: Path) -> Protocol:
    return acp.load(old_files)[0]


@pytest.fixture(scope="module")
def new(new_files: Path) -> Protocol:
    return acp.load(new_files)[0]  # protocol version 1 (v2 is a draft)


@pytest.fixture(scope="module")
def findings(old: Protocol, new: Protocol) -> list[DiffFinding]:
    return diff_protocols(old, new)


# --- plain logic over the raw files ---------------------------------------------------------------


def methods_by_side(defs: dict[str, Any], side: str) -> set[str]:
    return {s["x-method"] for s in defs.values() if isinstance(s, dict) and s.get("x-side") == side}


def kinds(defs: dict[str, Any], side: str, suffix: str) -> set[str]:
    return {s["x-method"] for name, s in defs.items() if isinstance(s, dict) and s.get("x-side") == side and name.endswith(suffix)}


def union_tags(defs: dict[str, Any], name: str) -> set[str]:
    """Tags of a tagged union, whatever its spelling (inline, wrapper, `$ref`)."""
    tags = set()
    for option in defs[name].get("oneOf") or defs[name].get("anyOf") or []:
        properties = option.get("properties") or {}
        if not properties and "$ref" in option:
            properties = defs[option["$ref"].rsplit("/", 1)[1]].get("properties", {})
        tags |= {sub["const"] for sub in properties.values() if isinstance(sub, dict) and isinstance(sub.get("const"), str)}
    return tags


def closed_unions(defs: dict[str, Any]) -> Iterator[str]:
    """Unions of objects tagged by a `const` (v1 has no catch-all: all closed)."""
    for name, schema in defs.items():
        options = schema.get("oneOf") if isinstance(schema, dict) else None
        if options and all(isinstance(o, dict) and o.get("type") == "object" for o in options) and union_tags(defs, name):
            yield name


def result_fields(defs: dict[str, Any]) -> dict[str, tuple[str, set[str]]]:
    return {
        s["x-method"]: (name, set(s.get("properties", {}))) for name, s in defs.items() if isinstance(s, dict) and "x-method" in s and name.endswith("Response")
    }


# --- the method table ---------------------------------------------------------------------------


def counts(protocol: Protocol, stable_only: bool) -> tuple[int, int, int]:
    methods = [m for m in protocol.methods if not stable_only or m.stability.value == "stable"]
    protocol_level = [m for m in methods if protocol.document["$defs"][m.params].get("x-side") == "protocol"]
    agent = [m for m in methods if m.direction is Direction.CLIENT_TO_SERVER and m not in protocol_level]
    client = [m for m in methods if m.direction is Direction.SERVER_TO_CLIENT]
    return len(agent), len(client), len(protocol_level)


def test_method_counts_match_the_facts_and_plain_logic(old_files: Path, new_files: Path, old: Protocol, new: Protocol) -> None:
    raw_old = raw_defs(old_files / "schema.json")
    raw_new = raw_defs(new_files / "v1" / "schema.json")
    raw_v2 = raw_defs(new_files / "v2" / "schema.json")
    plain = [tuple(len(methods_by_side(defs, side)) for side in ("agent", "client", "protocol")) for defs in (raw_old, raw_new, raw_v2)]
    assert plain == [(8, 9, 0), (13, 11, 1), (13, 4, 1)]  # acp-schema-facts.md
    assert counts(old, stable_only=False) == plain[0]  # one file: session/set_model is in it (experimental)
    assert counts(new, stable_only=True) == plain[1]
    assert counts(acp.load(new_files)[1], stable_only=True) == plain[2]
    for protocol, defs in ((old, raw_old), (new, raw_new)):
        requests = {m.name for m in protocol.methods if m.kind is Kind.REQUEST}
        assert kinds(defs, "agent", "Response") | kinds(defs, "client", "Response") <= requests


def test_unstable_split_follows_the_files(new_files: Path, new: Protocol) -> None:
    stable = methods_by_side(raw_defs(new_files / "v1" / "schema.json"), "agent")
    unstable = methods_by_side(raw_defs(new_files / "v1" / "schema.unstable.json"), "agent")
    experimental = {m.name for m in new.methods if m.direction is Direction.CLIENT_TO_SERVER and m.stability.value == "experimental"}
    assert experimental == unstable - stable and experimental


# --- the diff against plain set logic ------------------------------------------------------------


def found(findings: list[DiffFinding], rule: str) -> list[DiffFinding]:
    return [f for f in findings if f.rule == rule and f.audience.value == "old-clients"]


def test_every_removed_client_method_is_found(old_files: Path, new_files: Path, findings: list[DiffFinding]) -> None:
    removed = methods_by_side(raw_defs(old_files / "schema.json"), "agent") - methods_by_side(raw_defs(new_files / "v1" / "schema.unstable.json"), "agent")
    assert removed == {"session/set_model"}
    assert {m for f in found(findings, "method-removed") for m in f.methods} == removed


def test_every_added_server_request_and_notification_is_found(old_files: Path, new_files: Path, findings: list[DiffFinding]) -> None:
    raw_old, raw_new = raw_defs(old_files / "schema.json"), raw_defs(new_files / "v1" / "schema.json")
    requests = kinds(raw_new, "client", "Request") - kinds(raw_old, "client", "Request")
    notifications = kinds(raw_new, "client", "Notification") - kinds(raw_old, "client", "Notification")
    assert (requests, notifications) == ({"elicitation/create"}, {"elicitation/complete"})
    stable_requests = {m for f in found(findings, "server-request-added") if f.level is Level.ERR for m in f.methods}
    stable_notifications = {m for f in found(findings, "server-notification-added") if f.level is Level.WARN for m in f.methods}
    assert (stable_requests, stable_notifications) == (requests, notifications)


def test_every_added_variant_of_a_closed_union_is_found(old_files: Path, new_files: Path, findings: list[DiffFinding]) -> None:
    raw_old, raw_new = raw_defs(old_files / "schema.json"), raw_defs(new_files / "v1" / "schema.json")
    expected = {(union, tag) for union in closed_unions(raw_old) if union in raw_new for tag in union_tags(raw_new, union) - union_tags(raw_old, union)}
    assert len(expected) == 6
    errors = [f for f in found(findings, "union-variant-added") if f.level is Level.ERR]
    assert {(f.new_pointer.split("/")[2], f.message.split("`")[3]) for f in errors} == expected


def test_every_removed_result_field_is_found(old_files: Path, new_files: Path, findings: list[DiffFinding]) -> None:
    old_results, new_results = result_fields(raw_defs(old_files / "schema.json")), result_fields(raw_defs(new_files / "v1" / "schema.json"))
    expected = {
        f"/$defs/{old_results[m][0]}/properties/{field}" for m in old_results.keys() & new_results.keys() for field in old_results[m][1] - new_results[m][1]
    }
    assert len(expected) == 3
    assert {f.old_pointer for f in found(findings, "property-removed")} == expected


def test_breaking_findings_are_exactly_the_plain_ones(findings: list[DiffFinding]) -> None:
    breaking = {(f.rule, f.level.name) for f in findings if f.level is Level.ERR}
    assert breaking == {("server-request-added", "ERR"), ("union-variant-added", "ERR")}
    assert sum(f.level is Level.ERR for f in findings) == 7


# --- cosmetic changes are no breaks -------------------------------------------------------------


def cosmetic(value: Any, at_root: bool = True) -> Any:
    """Reword titles and descriptions, toggle `discriminator`, respell `$ref` <-> `allOf`."""
    if isinstance(value, list):
        return [cosmetic(v, False) for v in value]
    if not isinstance(value, dict):
        return value
    # Titles of error codes stay: they name the error table's entries (as in generated bindings).
    reword = ("description",) if isinstance(value.get("const"), int) else ("title", "description")
    out = {k: (v + " (reworded)" if k in reword and isinstance(v, str) else cosmetic(v, False)) for k, v in value.items() if k != "discriminator"}
    if isinstance(out.get("oneOf"), list) and "discriminator" not in value:
        out["discriminator"] = {"propertyName": "type"}
    if set(out) == {"$ref", "description"}:
        out = {"description": out["description"], "allOf": [{"$ref": out["$ref"]}]}
    if at_root:
        out["anyOf"] = [{"$ref": "#/$defs/ClientRequest"}]  # another root shape
    return out


def test_cosmetic_changes_are_not_breaking(new_files: Path, tmp_path: Path) -> None:
    original = json.loads((new_files / "v1" / "schema.json").read_text(encoding="utf-8"))
    for side, document in (("before", original), ("after", cosmetic(original))):
        (tmp_path / side).mkdir()
        (tmp_path / side / "schema.json").write_text(json.dumps(document), encoding="utf-8")
    before, after = acp.load(tmp_path / "before")[0], acp.load(tmp_path / "after")[0]
    findings = diff_protocols(before, after)
    assert findings, "the rewording must be seen (as INFO)"
    assert [f for f in findings if f.level > Level.INFO] == []


def test_report_is_current() -> None:
    """`python -m threadloom_conformance.releases_acp report 0.4.5 2.4.0` regenerates it."""
    committed = report_path(OLD, NEW, ROOT).read_text(encoding="utf-8")
    assert committed == render_report(OLD, NEW)
    assert committed.splitlines()[2].startswith("7 breaking, 9 possibly breaking")
    counts = committed.splitlines()[2].split(" change(s)")[0]  # "7 breaking, 9 possibly breaking, 459 compatible"
    mapping = (ROOT / "docs/real-world/acp-mapping.md").read_text(encoding="utf-8")
    assert f"{counts} findings" in " ".join(mapping.split()), "acp-mapping.md quotes the report's counts"


def test_v2_draft_unions_are_open_and_v1_sessionupdate_closed(new_files: Path, new: Protocol) -> None:
    """ACP v2 ends every union in a catch-all: all open; v1's `SessionUpdate` is closed."""
    v2 = acp.load(new_files)[1]
    unions = [d for d in v2.definitions.values() if d.kind.value == "union"]
    # 19: 16 plus the flattened enums that are methods' own types (CreateElicitationRequest/Response, ...).
    assert len(unions) == 19 and all(d.open for d in unions)
    assert new.definitions["SessionUpdate"].open is False
    assert "other" not in {v.tag for d in unions for v in d.variants}


# --- `threadloom check` on the pinned releases ------------------------------------------------------

ACP_NOTE_RULES = {"acp-both-directions", "acp-side-unmapped"}


@pytest.mark.parametrize(("version", "where"), [(OLD, ""), (NEW, ""), (NEW, "schema/v1"), (NEW, "schema/v2")])
def test_check_passes_on_a_pinned_release_with_only_true_notes(version: str, where: str) -> None:
    """No false structural finding (ACP binds methods by `x-method`; options generation names are
    no inline types; 0.4.5's plain `Role` enum is closed); what the adapter cannot map is a
    warning (the proxy side) or an info (`$/cancel_request` both ways), pointing at a real type."""
    source = acp_package_dir(version) / where if where else acp_package_dir(version)
    report = check_source(source)
    assert [f.render() for f in report.findings if f.fails] == []
    assert {f.rule for f in report.findings} <= ACP_NOTE_RULES
    for note in report.findings:
        name = note.pointer.removeprefix("/$defs/")
        assert name in raw_defs(Path(note.file)), note
