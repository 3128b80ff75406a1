"""Input that cannot be read: exit 2 in every command, a message naming the file and pointer, no traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from threadloom.cli import main
from threadloom.commands.init import document as init_document

FIXTURES = Path(__file__).parent / "fixtures"

# Every command that takes `--protocol PATH`, as a function of PATH.
COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "check": lambda path, _tmp: ["check", "--protocol", str(path)],
    "generate": lambda path, tmp: ["generate", "docs", "--protocol", str(path), "--out", str(tmp / "out")],
    "bundle": lambda path, _tmp: ["bundle", "--protocol", str(path)],
}


def _run(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def _assert_input_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), "no traceback"
    assert result.stderr.splitlines()[-1].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in {result.stderr!r}"


def _write(path: Path, value: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_path(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "protocol.json"
    _assert_input_error(_run(COMMANDS[command](missing, tmp_path)), str(missing), "not found")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_version_folder_without_its_document(command: str, tmp_path: Path) -> None:
    (tmp_path / "protocol/v1").mkdir(parents=True)
    _write(tmp_path / "protocol/v2/protocol.json", init_document("todo-agent"))
    path = tmp_path / "protocol" if command != "bundle" else tmp_path / "protocol/v1"
    _assert_input_error(_run(COMMANDS[command](path, tmp_path)), str(tmp_path / "protocol/v1"), "protocol.json")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_that_is_no_known_format(command: str, tmp_path: Path) -> None:
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff/notes.txt").write_text("hello")
    _assert_input_error(_run(COMMANDS[command](tmp_path / "stuff", tmp_path)), str(tmp_path / "stuff"), "no protocol found", "known formats: threadloom")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_json_file_that_is_not_a_protocol(command: str, tmp_path: Path) -> None:
    other = _write(tmp_path / "package.json", {"name": "x"})
    _assert_input_error(_run(COMMANDS[command](other, tmp_path)), f"{other}#: not a protocol document", "x-protocol")


@pytest.mark.parametrize("command", COMMANDS)
def test_invalid_json(command: str, tmp_path: Path) -> None:
    path = FIXTURES / "bad-json" if command != "bundle" else FIXTURES / "bad-json/v1"
    _assert_input_error(_run(COMMANDS[command](path, tmp_path)), "bad-json/v1/protocol.json", "invalid JSON at line 2, column 17")


def _with_ref(tmp_path: Path, ref: str) -> Path:
    document = init_document("todo-agent")
    document["$defs"]["TaskAddResult"]["properties"]["task"] = {"$ref": ref}
    _write(tmp_path / "protocol/v1/types.json", {"$defs": {"Other": {"type": "string", "description": "Something else."}}})
    return _write(tmp_path / "protocol/v1/protocol.json", document)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_reference_to_a_missing_file(command: str, tmp_path: Path) -> None:
    document = _with_ref(tmp_path, "missing.json#/$defs/Task")
    _assert_input_error(
        _run(COMMANDS[command](document, tmp_path)),
        f"{document}#/$defs/TaskAddResult/properties/task/$ref",
        "`missing.json#/$defs/Task`: file",
        "not found",
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_a_reference_to_a_missing_definition(command: str, tmp_path: Path) -> None:
    document = _with_ref(tmp_path, "types.json#/$defs/Task")
    _assert_input_error(
        _run(COMMANDS[command](document, tmp_path)),
        f"{document}#/$defs/TaskAddResult/properties/task/$ref",
        "has no definition `Task`",
    )


def test_a_reference_that_names_no_definition(tmp_path: Path) -> None:
    document = _with_ref(tmp_path, "types.json")
    _assert_input_error(_run(["check", "--protocol", str(document)]), "#/$defs/TaskAddResult/properties/task/$ref", "FILE.json#/$defs/Name")


def test_two_files_defining_one_name(tmp_path: Path) -> None:
    document = init_document("todo-agent")
    document["$defs"]["TaskAddResult"]["properties"]["task"] = {"$ref": "types.json#/$defs/Task"}
    _write(tmp_path / "v1/types.json", {"$defs": {"Task": {"type": "string", "description": "Clash."}}})
    path = _write(tmp_path / "v1/protocol.json", document)
    _assert_input_error(_run(["check", "--protocol", str(path)]), "definition `Task` exists in both")


def test_a_derived_name_the_author_also_defines(tmp_path: Path) -> None:
    document = init_document("todo-agent")
    document["$defs"]["Response"] = {"type": "object", "description": "Mine."}
    path = _write(tmp_path / "v1/protocol.json", document)
    _assert_input_error(_run(["check", "--protocol", str(path)]), f"{path}#/$defs/Response", "derived from the method table")


def test_an_unknown_source_format(tmp_path: Path) -> None:
    _assert_input_error(_run(["check", "--protocol", str(tmp_path), "--source-format", "nope"]), "unknown format `nope`")


def test_freeze_needs_a_folder_of_versions(tmp_path: Path) -> None:
    path = _write(tmp_path / "v1/protocol.json", init_document("todo-agent"))
    _assert_input_error(_run(["freeze", "v1", "--protocol", str(path.parent)]), "not a folder of version folders")
    _assert_input_error(_run(["freeze", "v1", "--protocol", str(tmp_path / "nowhere")]), "nowhere")


def test_metaschema_problems_are_findings_in_check_and_errors_elsewhere(tmp_path: Path) -> None:
    document = init_document("todo-agent")
    del document["x-methods"][0]["description"]
    path = _write(tmp_path / "v1/protocol.json", document)
    checked = _run(["check", "--protocol", str(path), "--format", "json"])
    assert checked.exit_code == 1
    assert [(f["rule"], f["pointer"]) for f in json.loads(checked.stdout)["findings"]] == [("metaschema", "/x-methods/0")]
    _assert_input_error(_run(["bundle", "--protocol", str(path)]), f"{path}#/x-methods/0", "'description' is a required property")


def test_two_methods_that_would_share_a_wire_message_name(tmp_path: Path) -> None:
    document = init_document("todo-agent")
    twin = dict(document["x-methods"][2], direction="clientToServer")  # `task/changed` in both directions
    document["x-methods"].append(twin)
    path = _write(tmp_path / "v1/protocol.json", document)
    _assert_input_error(_run(["check", "--protocol", str(path)]), f"{path}#/x-methods/4", "would both get the wire message `TaskChangedNotification`")
