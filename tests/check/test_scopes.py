"""Lint rule scopes (structure for every format, style for our own documents) and the structural
rules' reading of shapes real exports use: nullable params and capabilities, properties named
like keywords."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from threadloom.check import check_protocol, check_source
from threadloom.findings import Level
from threadloom.formats import codex
from threadloom.formats import threadloom as threadloom_format
from threadloom.jsonio import read_json
from threadloom.lint.rules import RULES, SCOPES, Scope, lint, scopes_for, union_tagged
from threadloom.model import DefinitionKind, Protocol

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid/protocol/v1/protocol.json"
CODEX_EXPORT = Path(__file__).parents[1] / "formats/codex/fixtures/release@1.2.3/schema"
STYLE_RULES = {"naming", "documented", "deprecated-field", "unused-definition"}

Edit = Callable[[dict[str, Any]], None]


def test_every_rule_declares_a_scope_and_only_authoring_rules_are_style() -> None:
    assert set(SCOPES) == set(RULES)
    assert {rule for rule, scope in SCOPES.items() if scope is Scope.STYLE} == STYLE_RULES
    assert scopes_for("threadloom") == frozenset(Scope)
    assert scopes_for("codex") == scopes_for("acp") == frozenset({Scope.STRUCTURE})


def test_style_rules_judge_our_documents_but_not_a_vendor_export() -> None:
    [protocol] = codex.load(CODEX_EXPORT)
    everything = {rule for rule, _ in lint(protocol)}
    assert {"naming", "documented"} <= everything  # the export does use snake_case, undocumented members
    found = check_protocol(CODEX_EXPORT)
    assert not {f.rule for f in found} & STYLE_RULES
    assert not [f for f in found if f.fails]


def test_a_vendor_check_names_the_release_and_passes_with_notes() -> None:
    report = check_source(CODEX_EXPORT)
    assert report.subjects == ["codex 1.2.3"] and not report.failed
    assert {f.level for f in report.findings} == {Level.WARNING, Level.INFO}
    assert report.summary() == "codex 1.2.3: protocol OK (1 warning(s), 1 info(s))"


def _checked(tmp_path: Path, edit: Edit) -> list[tuple[str, str, str]]:
    document = read_json(VALID)
    edit(document)
    folder = tmp_path / "v1"
    folder.mkdir(parents=True)
    (folder / "protocol.json").write_text(json.dumps(document), encoding="utf-8")
    return [(f.rule, f.pointer, f.message) for f in check_protocol(folder) if f.rule in RULES and SCOPES[f.rule] is Scope.STRUCTURE]


def _nullable_params(document: dict[str, Any]) -> None:
    document["$defs"]["ShapeGetRequest"]["properties"]["params"] = {"anyOf": [{"$ref": "#/$defs/ShapeGetParams"}, {"type": "null"}]}


def _no_params_member_and_null_params(document: dict[str, Any]) -> None:
    document["$defs"]["ShapeChangedParams"] = {"type": "null", "description": "None."}
    del document["$defs"]["ShapeChangedNotification"]["properties"]["params"]
    document["$defs"]["ShapeChangedNotification"]["required"].remove("params")


def _members_named_like_keywords(document: dict[str, Any]) -> None:
    props = document["$defs"]["Square"]["properties"]
    props["enum"] = {"type": "array", "items": {"type": "string"}, "description": "A member called enum."}
    props["oneOf"] = {"type": "array", "items": {"type": "string"}, "description": "A member called oneOf."}
    props["properties"] = {"type": "object", "additionalProperties": {"type": "string"}, "description": "A member called properties."}


@pytest.mark.parametrize("edit", [_nullable_params, _no_params_member_and_null_params, _members_named_like_keywords])
def test_shapes_of_real_exports_are_not_structural_problems(tmp_path: Path, edit: Edit) -> None:
    assert _checked(tmp_path, edit) == []


def test_a_wire_message_without_params_for_a_method_with_params_is_reported(tmp_path: Path) -> None:
    def drop_params(document: dict[str, Any]) -> None:
        del document["$defs"]["ShapeChangedNotification"]["properties"]["params"]
        document["$defs"]["ShapeChangedNotification"]["required"].remove("params")

    [(rule, pointer, message)] = _checked(tmp_path, drop_params)
    assert (rule, pointer) == ("method-envelope", "/x-methods/1/params")
    assert "no `params` member" in message


def test_an_inline_enum_under_a_member_named_properties_is_still_found(tmp_path: Path) -> None:
    def inline_enum(document: dict[str, Any]) -> None:
        document["$defs"]["Square"]["properties"]["properties"] = {
            "type": "object",
            "properties": {"tone": {"enum": ["dark", "light"], "description": "Tone."}},
            "description": "A member called properties.",
        }

    found = _checked(tmp_path, inline_enum)
    assert [(rule, pointer) for rule, pointer, _ in found] == [
        ("inline-type", "/$defs/Square/properties/properties"),
        ("inline-type", "/$defs/Square/properties/properties/properties/tone"),
    ]


def test_handshake_fields_behind_a_nullable_reference(tmp_path: Path) -> None:
    """Codex's `InitializeParams.capabilities` is `anyOf: [{$ref}, {type: null}]`."""
    document = read_json(Path(__file__).parents[2] / "protocol/v2/protocol.json")
    params = document["$defs"]["InitializeParams"]["properties"]
    params["capabilities"] = {"anyOf": [params["capabilities"], {"type": "null"}]}
    folder = tmp_path / "v2"
    folder.mkdir()
    (folder / "protocol.json").write_text(json.dumps(document), encoding="utf-8")
    assert [f for f in check_protocol(folder) if f.rule == "handshake"] == []
    document["x-protocol"]["handshake"]["experimentalOptIn"] = "/capabilities/nothingLikeThis"
    (folder / "protocol.json").write_text(json.dumps(document), encoding="utf-8")
    assert [f.pointer for f in check_protocol(folder) if f.rule == "handshake"] == ["/x-protocol/handshake/experimentalOptIn"]


@pytest.mark.parametrize(("offer", "findings"), [({"type": "integer"}, []), ({"type": "string"}, ["/x-protocol/handshake/versionOffer"])])
def test_a_version_offer_is_a_list_or_one_integer(tmp_path: Path, offer: dict[str, str], findings: list[str]) -> None:
    """ACP's `initialize` offers one integer (the client's latest), which the runtimes support."""
    document = read_json(Path(__file__).parents[2] / "protocol/v2/protocol.json")
    document["$defs"]["InitializeParams"]["properties"]["protocolVersions"] = {**offer, "description": "The version offered."}
    folder = tmp_path / "v2"
    folder.mkdir()
    (folder / "protocol.json").write_text(json.dumps(document), encoding="utf-8")
    found = [f for f in check_protocol(folder) if f.rule == "handshake"]
    assert [f.pointer for f in found] == findings
    assert all("is not of type array or integer" in f.message for f in found)


def test_what_a_value_must_not_be_is_no_inline_type(tmp_path: Path) -> None:
    """ACP's closed catch-all: `not: {anyOf: [inline objects]}` generates no type; a property
    *named* `not` holding an inline object still does."""

    def negated(document: dict[str, Any]) -> None:
        document["$defs"]["Square"]["not"] = {"anyOf": [{"type": "object", "properties": {"side": {"const": 0}}}]}

    assert _checked(tmp_path, negated) == []

    def named_not(document: dict[str, Any]) -> None:
        document["$defs"]["Square"]["properties"]["not"] = {"type": "object", "properties": {"x": {"type": "string"}}, "description": "Named not."}

    assert [(rule, pointer) for rule, pointer, _ in _checked(tmp_path / "named", named_not)] == [("inline-type", "/$defs/Square/properties/not")]


def _lifted_variant(protocol: Protocol, tagged: bool) -> Protocol:
    """`Square` as code generation sees an object with properties beside alternatives: a plain
    union of named options, each holding the tag (or, broken, one without it)."""
    square = protocol.definitions["Square"]
    definitions = dict(protocol.definitions)
    options = {"oneOf": [{"$ref": "#/$defs/SquareBig"}, {"$ref": "#/$defs/SquareSmall"}]}
    definitions["Square"] = replace(square, kind=DefinitionKind.ALIAS, schema=options, properties=())
    definitions["SquareBig"] = replace(square, name="SquareBig")
    small = square.properties if tagged else tuple(p for p in square.properties if p.name != "type")
    definitions["SquareSmall"] = replace(square, name="SquareSmall", properties=small)
    return replace(protocol, definitions=definitions)


def test_a_variant_named_into_options_carries_its_tag_in_every_option() -> None:
    protocol = threadloom_format.load(VALID)[0]
    assert list(union_tagged(_lifted_variant(protocol, tagged=True))) == []
    [(pointer, message, _)] = union_tagged(_lifted_variant(protocol, tagged=False))
    assert pointer == "/$defs/Shape/oneOf/1" and "`Square`" in message
