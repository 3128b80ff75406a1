"""`threadloom check` on an ACP source: a sound schema passes (ACP binds methods by `x-method`, not
by method-tagged envelopes; options code generation names are no inline types), and real problems
of a hand-written ACP schema (fixtures/v0-single, broken one way per test) are still errors."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from threadloom.check import check_source
from threadloom.cli import main
from threadloom.findings import Level
from threadloom.formats import acp
from threadloom.jsonio import read_json

FIXTURES = Path(__file__).parent / "fixtures"
SOUND = ("v0-single", "shapes", "package-2x", "package-trap", "sdist")

Edit = Callable[[dict[str, Any]], None]


@pytest.mark.parametrize("fixture", SOUND)
def test_a_sound_acp_schema_has_no_error(fixture: str) -> None:
    report = check_source(FIXTURES / fixture)
    assert [f for f in report.findings if f.fails] == []
    assert not report.failed


def test_adapter_notes_are_warnings_and_infos() -> None:
    """Both-directions is a mapped fact (info); an unmapped side is a warning; neither fails."""
    findings = check_source(FIXTURES / "package-2x").findings
    assert {(f.rule, f.level) for f in findings} == {("acp-both-directions", Level.INFO)}
    trap = check_source(FIXTURES / "package-trap").findings
    assert {(f.rule, f.level) for f in trap} == {("acp-unstable-only", Level.WARNING), ("acp-both-directions", Level.INFO)}


def test_a_plain_string_enum_is_closed(tmp_path: Path) -> None:
    """0.x's `Role` is `{"type": "string", "enum": [...]}`: a Rust enum without catch-all."""
    schema = read_json(FIXTURES / "v0-single/schema.json")
    schema["$defs"]["Role"] = {"type": "string", "enum": ["assistant", "user"]}
    [protocol] = acp.load(_write(tmp_path, schema))
    assert protocol.definitions["Role"].open is False


def _write(folder: Path, schema: dict[str, Any]) -> Path:
    (folder / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    return folder / "schema.json"


def _dangling_ref(defs: dict[str, Any]) -> None:
    defs["PromptRequest"]["properties"]["sessionId"] = {"$ref": "#/$defs/NoSuchType"}


def _envelope_names_a_missing_type(defs: dict[str, Any]) -> None:
    defs["ClientRequest"]["anyOf"].insert(0, {"$ref": "#/$defs/GoneRequest", "title": "GoneRequest"})


def _method_without_params_schema(defs: dict[str, Any]) -> None:
    defs["SetSessionModelRequest"] = {"description": "Select a model.", "x-method": "session/set_model", "x-side": "agent"}


def _duplicate_method(defs: dict[str, Any]) -> None:
    defs["PromptAgainRequest"] = copy.deepcopy(defs["PromptRequest"])
    defs["ClientRequest"]["anyOf"].insert(0, {"$ref": "#/$defs/PromptAgainRequest", "title": "PromptAgainRequest"})


def _inline_object_property(defs: dict[str, Any]) -> None:
    defs["PromptRequest"]["properties"]["extra"] = {"type": "object", "properties": {"note": {"type": "string"}}}


BROKEN: list[tuple[Edit, str, str, str]] = [
    (_dangling_ref, "ref-resolves", "/$defs/PromptRequest/properties/sessionId", "points to no definition"),
    (_envelope_names_a_missing_type, "ref-resolves", "/$defs/ClientRequest/anyOf/0", "`#/$defs/GoneRequest` points to no definition"),
    (_method_without_params_schema, "method-envelope", "/$defs/SetSessionModelRequest", "`session/set_model` has no params schema"),
    (_duplicate_method, "method-table", "/x-methods", "method `session/prompt` (clientToServer) is listed 2 times"),
    (_inline_object_property, "inline-type", "/$defs/PromptRequest/properties/extra", "inline object inside `PromptRequest`"),
]


@pytest.mark.parametrize(("edit", "rule", "pointer", "message"), BROKEN, ids=[case[0].__name__.strip("_") for case in BROKEN])
def test_a_real_problem_of_an_acp_schema_is_an_error(tmp_path: Path, edit: Edit, rule: str, pointer: str, message: str) -> None:
    schema = read_json(FIXTURES / "v0-single/schema.json")
    edit(schema["$defs"])
    findings = check_source(_write(tmp_path, schema)).findings
    assert [(f.rule, f.pointer, f.level) for f in findings] == [(rule, pointer, Level.ERROR)]
    assert message in findings[0].message


def test_check_command_exits_1_on_a_broken_acp_schema_and_0_on_a_sound_one(tmp_path: Path) -> None:
    schema = read_json(FIXTURES / "v0-single/schema.json")
    _duplicate_method(schema["$defs"])
    broken = CliRunner().invoke(main, ["check", "--protocol", str(_write(tmp_path, schema))])
    assert broken.exit_code == 1 and "[method-table]" in broken.output
    sound = CliRunner().invoke(main, ["check", "--protocol", str(FIXTURES / "v0-single")])
    assert sound.exit_code == 0 and "acp 1: protocol OK" in sound.output
