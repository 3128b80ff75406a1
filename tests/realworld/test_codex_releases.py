"""The Codex adapter and the diff on real releases (pinned in threadloom_conformance.releases.PINNED),
each checked against plain set logic over the raw exports.

The releases are fetched from npm into ~/.cache/threadloom/releases/ on first use (seconds each;
the cache is shared and written atomically).
"""

from __future__ import annotations

import ast
import functools
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from threadloom.check import check_source
from threadloom.diff import DiffFinding, diff_protocols
from threadloom.diff.findings import Level
from threadloom.diff.reach import compute_reach, refs_in
from threadloom.formats import codex
from threadloom.model import DefinitionKind, Direction, Kind, Protocol, Stability
from threadloom_conformance.releases import PINNED, codex_export

VERSIONS = PINNED["codex"]
PAIRS = list(itertools.pairwise(VERSIONS))
UNIONS = {
    "ClientRequest": (Direction.CLIENT_TO_SERVER, Kind.REQUEST),
    "ClientNotification": (Direction.CLIENT_TO_SERVER, Kind.NOTIFICATION),
    "ServerRequest": (Direction.SERVER_TO_CLIENT, Kind.REQUEST),
    "ServerNotification": (Direction.SERVER_TO_CLIENT, Kind.NOTIFICATION),
}
PLACEHOLDERS = re.compile(r"^(Type|Params|Model|Item|Value|Object|Variant|Field|Data)\d*$")


@functools.cache
def loaded(version: str, experimental: bool = False) -> Protocol:
    [protocol] = codex.load(codex_export(version, experimental))
    return protocol


@functools.cache
def raw(version: str, experimental: bool = False) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads((codex_export(version, experimental) / codex.BUNDLE).read_text())
    return bundle


@functools.cache
def findings(old: str, new: str) -> tuple[DiffFinding, ...]:
    return tuple(diff_protocols(loaded(old), loaded(new)))


def raw_definitions(bundle: dict[str, Any]) -> dict[str, Any]:
    """Every definition by export name (v2 wins a clash: it is the current API)."""
    root = {k: v for k, v in bundle["definitions"].items() if k != "v2"}
    return {**root, **bundle["definitions"].get("v2", {})}


def raw_methods(bundle: dict[str, Any], union: str) -> set[str]:
    return {variant["properties"]["method"]["enum"][0] for variant in bundle["definitions"][union]["oneOf"]}


def raw_tags(schema: Any) -> set[str] | None:
    """Tags of a raw tagged union: object alternatives sharing a one-value string property."""
    options = schema.get("oneOf") or schema.get("anyOf") if isinstance(schema, dict) else None
    if not options or not all(isinstance(o, dict) and isinstance(o.get("properties"), dict) for o in options):
        return None
    for prop in sorted(set.intersection(*(set(o["properties"]) for o in options))):
        values = [o["properties"][prop].get("enum") if isinstance(o["properties"][prop], dict) else None for o in options]
        if all(isinstance(v, list) and len(v) == 1 for v in values):
            return {v[0] for v in values}  # type: ignore[index]
    return None


def raw_result(bundle: dict[str, Any], variant: dict[str, Any]) -> str | None:
    ref = variant["properties"].get("params", {}).get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    return name[: -len("Params")] + "Response" if name.endswith("Params") else None


def rules_for(found: tuple[DiffFinding, ...], rule: str) -> list[DiffFinding]:
    return [f for f in found if f.rule == rule]


@pytest.mark.parametrize("version", VERSIONS)
def test_method_counts_equal_the_four_unions(version: str) -> None:
    protocol, bundle = loaded(version), raw(version)
    for union, (direction, kind) in UNIONS.items():
        assert {m.name for m in protocol.methods_by(direction, kind)} == raw_methods(bundle, union), union
    assert protocol.release == version and protocol.format == "codex"


@pytest.mark.parametrize("version", VERSIONS)
def test_no_numbered_or_placeholder_names(version: str) -> None:
    protocol = loaded(version, True)
    exported = set(raw_definitions(raw(version, True))) | set(raw(version, True)["definitions"])
    for name in protocol.definitions:
        assert "/" not in name and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), name
        if name not in exported:  # names the adapter made: never a number, never a placeholder
            assert not name[-1].isdigit() and not PLACEHOLDERS.match(name), name


NOTE_RULES = {"codex-untyped-result", "codex-untagged-union"}  # facts of an export, never failures


@pytest.mark.parametrize("experimental", [False, True], ids=["stable", "experimental"])
@pytest.mark.parametrize("version", VERSIONS)
def test_check_finds_no_structural_problem_only_notes_about_the_export(version: str, experimental: bool) -> None:
    report = check_source(codex_export(version, experimental))
    assert report.subjects == [f"codex {version}"]
    assert [f.render() for f in report.findings if f.fails] == []
    assert {f.rule for f in report.findings} <= NOTE_RULES
    for note in report.findings:
        assert note.file.endswith(codex.BUNDLE) and note.pointer.startswith("/definitions/"), note
        assert resolve(raw(version, experimental), note.pointer) is not None, note  # points into the export


@pytest.mark.parametrize("version", VERSIONS)
def test_untyped_results_are_genuinely_unknown(version: str) -> None:
    """A `codex-untyped-result` warning only where neither the naming rule nor the table knows the type."""
    bundle, protocol = raw(version, True), loaded(version, True)
    defined = set(raw_definitions(bundle))
    table = codex.read_overrides(codex.RESULTS_FILE)
    for note in (n for n in protocol.notes if n.rule == "codex-untyped-result"):
        variant = resolve(bundle, note.pointer)
        method = raw_methods_entry(variant)
        assert table.get(method) is None and raw_result(bundle, variant) not in defined, method
        assert protocol.method(method).result == codex.UNTYPED_RESULT  # type: ignore[union-attr]


def resolve(document: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        document = document[int(part)] if isinstance(document, list) else document.get(part) if isinstance(document, dict) else None
    return document


@pytest.mark.parametrize("version", VERSIONS)
def test_methods_only_in_the_experimental_export_are_experimental(version: str) -> None:
    stable = {m for u in UNIONS for m in raw_methods(raw(version), u)}
    protocol = loaded(version, True)
    assert {m.name for m in protocol.methods if m.stability is Stability.EXPERIMENTAL} == {m.name for m in protocol.methods} - stable


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_diff_finds_every_removed_client_method(old: str, new: str) -> None:
    expected = set()
    for union in ("ClientRequest", "ClientNotification"):
        expected |= raw_methods(raw(old), union) - raw_methods(raw(new), union)
    found = {m for f in rules_for(findings(old, new), "method-removed") if f.level is Level.ERR for m in f.methods}
    assert found == expected


@pytest.mark.parametrize(("old", "new"), PAIRS)
@pytest.mark.parametrize(("union", "rule"), [("ServerRequest", "server-request-added"), ("ServerNotification", "server-notification-added")])
def test_diff_finds_every_added_server_method(old: str, new: str, union: str, rule: str) -> None:
    expected = raw_methods(raw(new), union) - raw_methods(raw(old), union)
    assert {m for f in rules_for(findings(old, new), rule) for m in f.methods} == expected


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_diff_finds_every_added_variant_of_a_closed_union(old: str, new: str) -> None:
    """Set logic over the raw exports, for every closed tagged union some method reaches."""
    before, after = raw_definitions(raw(old)), raw_definitions(raw(new))
    model = loaded(new)
    reach = compute_reach(model)
    found = findings(old, new)
    for name, schema in after.items():
        definition = model.definitions.get(name)
        if name in UNIONS or definition is None or definition.kind is not DefinitionKind.UNION or definition.open:
            continue
        new_tags, old_tags = raw_tags(schema), raw_tags(before.get(name))
        if not new_tags or old_tags is None or not reach.roles_of(name):
            continue
        for tag in new_tags - old_tags:
            messages = [f.message for f in found if f.rule in ("union-variant-added", "union-variant-tag-changed") and f"`{name}`" in f.message]
            assert any(f"`{tag}`" in m for m in messages), (name, tag)


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_diff_finds_every_removed_result_field(old: str, new: str) -> None:
    before, after = raw_definitions(raw(old)), raw_definitions(raw(new))
    removed_props = {f.old_pointer for f in rules_for(findings(old, new), "property-removed")}
    old_requests = {raw_methods_entry(v): v for v in raw(old)["definitions"]["ClientRequest"]["oneOf"]}
    expected = set()
    for variant in raw(new)["definitions"]["ClientRequest"]["oneOf"]:
        old_variant = old_requests.get(raw_methods_entry(variant))
        result = raw_result(raw(new), variant)
        if old_variant is None or result is None or raw_result(raw(old), old_variant) != result:
            continue
        if result in before and result in after:
            gone = set(before[result].get("properties", {})) - set(after[result].get("properties", {}))
            expected |= {f"/$defs/{result}/properties/{p}" for p in gone}
    assert expected <= removed_props


def raw_methods_entry(variant: dict[str, Any]) -> str:
    return str(variant["properties"]["method"]["enum"][0])


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_no_breaking_finding_is_only_a_title_or_description_change(old: str, new: str) -> None:
    """A breaking finding inside a definition needs the definition to differ beyond its prose."""
    for finding in findings(old, new):
        if finding.level is not Level.ERR or not finding.old_pointer.startswith("/$defs/"):
            continue
        before = wire_closure(loaded(old), definition_of(finding.old_pointer))
        after = wire_closure(loaded(new), definition_of(finding.new_pointer))
        if before and after:
            assert before != after, finding


def definition_of(pointer: str) -> str:
    return pointer.split("/")[2].replace("~1", "/").replace("~0", "~")


def wire_closure(protocol: Protocol, name: str) -> dict[str, Any]:
    """A definition and everything it refers to, prose stripped: what its wire meaning depends on."""
    out: dict[str, Any] = {}
    stack = [name]
    while stack:
        current = stack.pop()
        if current in out or current not in protocol.definitions:
            continue
        out[current] = codex._strip_docs(protocol.definitions[current].schema)
        stack += list(refs_in(out[current]))
    return out


def test_generated_python_of_the_newest_release_has_no_numbered_classes(tmp_path: Path) -> None:
    """The adapter's shapes (flattened variants included) reach datamodel-code-generator without
    making it invent `Name1`, `Name2` (the official SDK has 7 such classes)."""
    version = VERSIONS[-1]
    done = subprocess.run(
        [str(Path(sys.executable).with_name("threadloom")), "generate", "python", "--protocol", str(codex_export(version, True)), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [models] = tmp_path.rglob("models.py")
    classes = {node.name for node in ast.parse(models.read_text()).body if isinstance(node, ast.ClassDef)}
    exported = set(raw_definitions(raw(version, True)))
    assert sorted(c for c in classes if c[-1].isdigit() and c not in exported) == []
