"""`--protocol PATH`: the three shapes of PATH, derived envelopes, multi-file bundling."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from threadloom.cli import main
from threadloom.commands.init import document as init_document
from threadloom.formats import threadloom
from threadloom.formats.threadloom_envelopes import SIDES, UNIONS, derive
from threadloom.jsonio import read_json
from threadloom.loader import load_protocol, load_protocols

ROOT = Path(__file__).resolve().parents[2]


def test_a_folder_of_versions_a_version_folder_and_a_document_all_load() -> None:
    assert [p.version for p in load_protocols(ROOT / "protocol")] == [1, 2]
    assert [p.version for p in load_protocols(ROOT / "protocol/v2")] == [2]
    assert [p.version for p in load_protocols(ROOT / "protocol/v2/protocol.json")] == [2]
    assert load_protocol(ROOT / "protocol/v1").source == ROOT / "protocol/v1/protocol.json"


def _strip_envelopes(document: dict[str, Any]) -> dict[str, Any]:
    """The minimal authored form of a document that spells its envelopes out."""
    minimal = copy.deepcopy(document)
    del minimal["x-protocol"]["messages"], minimal["anyOf"]
    derived = {union for _, _, union, _ in UNIONS} | {side for _, side, _ in SIDES} | {"RequestId", "ErrorObject", "Response", "ErrorResponse"}
    for union in [union for _, _, union, _ in UNIONS]:
        derived |= {option["$ref"].rsplit("/", 1)[-1] for option in document["$defs"].get(union, {}).get("oneOf", [])}
    for name in derived:
        minimal["$defs"].pop(name, None)
    return minimal


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_derivation_rebuilds_exactly_what_our_documents_spell_out(version: str) -> None:
    document = read_json(ROOT / "protocol" / version / "protocol.json")
    minimal = _strip_envelopes(document)
    assert len(minimal["$defs"]) < len(document["$defs"])
    assert derive(minimal, Path("protocol.json")) == document


def test_a_document_that_spells_out_its_envelopes_is_used_as_written() -> None:
    document = read_json(ROOT / "protocol/v2/protocol.json")
    assert derive(document, Path("protocol.json")) is document
    assert load_protocol(ROOT / "protocol/v2").document == document


def _write(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


def _validator(tmp_path: Path, framing: dict[str, Any] | None = None) -> jsonschema.Draft202012Validator:
    document = init_document("todo-agent")
    if framing is not None:
        document["x-protocol"]["framing"] = framing
    protocol = load_protocol(_write(tmp_path / "v1/protocol.json", document))
    return jsonschema.Draft202012Validator(protocol.document)  # the document itself, as a standard validator sees it


WIRE: list[dict[str, Any]] = [
    {"jsonrpc": "2.0", "id": 1, "method": "task/add", "params": {"content": {"type": "text", "text": "hi"}}},
    {
        "jsonrpc": "2.0",
        "id": "s-1",
        "method": "task/confirm",
        "params": {"task": {"id": "t", "status": "done", "content": {"type": "text", "text": "x"}}, "reason": "old"},
    },
    {"jsonrpc": "2.0", "method": "task/changed", "params": {"task": {"id": "t", "status": "open", "content": {"type": "link", "url": "u"}}}},
    {"jsonrpc": "2.0", "id": 1, "result": {"task": {"id": "t", "status": "open", "content": {"type": "text", "text": "hi"}}}},
    {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}},
]
NOT_WIRE: list[dict[str, Any]] = [
    {"jsonrpc": "2.0", "id": 1, "method": "task/unknown", "params": {}},
    {"jsonrpc": "2.0", "id": 1, "method": "task/add", "params": {"content": {"type": "text"}}},
    {"jsonrpc": "2.0", "method": "task/add", "params": {"content": {"type": "text", "text": "hi"}}},
    {"id": 1, "method": "task/add", "params": {"content": {"type": "text", "text": "hi"}}},
]


def test_derived_envelopes_validate_real_wire_messages(tmp_path: Path) -> None:
    validator = _validator(tmp_path)
    for message in WIRE:
        validator.validate(message)
    for message in NOT_WIRE:
        assert not validator.is_valid(message), message


def test_derived_envelopes_follow_a_framing_without_the_jsonrpc_member(tmp_path: Path) -> None:
    validator = _validator(tmp_path, {"jsonrpcMember": False, "notificationExtras": ["emittedAtMs"]})
    for message in WIRE:
        bare = {key: value for key, value in message.items() if key != "jsonrpc"}
        validator.validate(bare)
        assert not validator.is_valid(message), "the framing says no message carries `jsonrpc`"
    validator.validate({"method": "task/changed", "params": WIRE[2]["params"], "emittedAtMs": 1700000000000})
    assert not validator.is_valid({"id": 1, "method": "task/add", "params": WIRE[0]["params"], "emittedAtMs": 1}), "extras are for notifications"


def test_init_protocol_examples_include_a_derived_wire_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "todo")])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["check", "--protocol", str(tmp_path / "todo/protocol")])
    assert result.exit_code == 0, result.output


def _multi_file(folder: Path) -> Path:
    document = init_document("todo-agent")
    defs = document["$defs"]
    shared = {name: defs.pop(name) for name in ("Task", "TaskStatus", "TaskContent", "TextContent", "LinkContent")}
    _write(folder / "types/tasks.json", {"$defs": shared})  # its own `#/$defs/...` refs stay relative to it
    for schema in defs.values():
        for prop in schema.get("properties", {}).values():
            if prop.get("$ref", "").rsplit("/", 1)[-1] in shared:
                prop["$ref"] = "types/tasks.json" + prop["$ref"]
    return _write(folder / "protocol.json", document)


def test_a_protocol_split_over_files_bundles_into_one_document(tmp_path: Path) -> None:
    protocol = load_protocol(_multi_file(tmp_path / "v1"))
    assert {"Task", "TaskStatus", "TaskContent", "TextContent", "LinkContent"} <= set(protocol.definitions)
    refs = json.dumps(protocol.document)
    assert "tasks.json" not in refs
    assert protocol.definitions["TaskAddResult"].schema["properties"]["task"] == {"$ref": "#/$defs/Task"}
    jsonschema.Draft202012Validator(protocol.document).validate(WIRE[1])


def test_bundling_is_deterministic(tmp_path: Path) -> None:
    first = CliRunner().invoke(main, ["bundle", "--protocol", str(_multi_file(tmp_path / "a/v1"))])
    second = CliRunner().invoke(main, ["bundle", "--protocol", str(_multi_file(tmp_path / "b/v1"))])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    here = Path.cwd()
    try:
        os.chdir(tmp_path / "a")
        third = CliRunner().invoke(main, ["bundle", "--protocol", "v1/protocol.json"])
    finally:
        os.chdir(here)
    assert first.stdout == second.stdout == third.stdout
    assert list(json.loads(first.stdout)["$defs"]) == list(json.loads(third.stdout)["$defs"])


def test_version_named_folders_without_documents_are_not_taken_for_ours(tmp_path: Path) -> None:
    (tmp_path / "export/v1").mkdir(parents=True)
    (tmp_path / "export/v2").mkdir()
    (tmp_path / "export/v2/ThreadStartParams.json").write_text("{}", encoding="utf-8")
    assert not threadloom.recognises(tmp_path / "export")  # a Codex export has `v1/` and `v2/` too
    _write(tmp_path / "export/v2/protocol.json", init_document("todo-agent"))
    assert threadloom.recognises(tmp_path / "export")


def test_bundle_writes_a_file_a_standard_validator_takes(tmp_path: Path) -> None:
    target = tmp_path / "dist/todo.schema.json"
    result = CliRunner().invoke(main, ["bundle", "--protocol", str(_multi_file(tmp_path / "v1")), "--out", str(target)])
    assert result.exit_code == 0, result.output
    validator = jsonschema.Draft202012Validator(read_json(target))
    assert all(validator.is_valid(message) for message in WIRE)
    assert not any(validator.is_valid(message) for message in NOT_WIRE)
