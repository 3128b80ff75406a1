"""A new author's slips in an `init` project: every command names the file and the JSON pointer,
exits with the documented code, and `generate` writes nothing from a document it cannot trust."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from threadloom.cli import main

Edit = Callable[[dict[str, Any]], None]


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _misspell_result_ref(document: dict[str, Any]) -> None:
    document["x-methods"][1]["result"] = "#/$defs/TaskRemoveResul"


def _misspell_property_ref(document: dict[str, Any]) -> None:
    document["$defs"]["Task"]["properties"]["status"]["$ref"] = "#/$defs/TaskState"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert _cli("init", str(tmp_path / "task-board")).exit_code == 0
    return tmp_path / "task-board"


def _edit(project: Path, edit: Edit) -> Path:
    file = project / "protocol/v1/protocol.json"
    document = json.loads(file.read_text(encoding="utf-8"))
    edit(document)
    file.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return file


@pytest.mark.parametrize(
    ("edit", "pointer", "missing"),
    [
        (_misspell_result_ref, "#/x-methods/1/result", "TaskRemoveResul"),
        (_misspell_property_ref, "#/$defs/Task/properties/status", "TaskState"),
    ],
)
def test_a_reference_to_a_missing_definition_stops_generate_and_diff(project: Path, tmp_path: Path, edit: Edit, pointer: str, missing: str) -> None:
    pristine = tmp_path / "pristine"
    assert _cli("init", str(pristine), "--name", "task-board").exit_code == 0
    file = _edit(project, edit)
    where = f"{file}{pointer}"

    check = _cli("check", "--protocol", str(project / "protocol"))
    assert check.exit_code == 1 and where in check.stdout and "[ref-resolves]" in check.stdout

    out = tmp_path / "out"
    generate = _cli("generate", "python", "--protocol", str(project / "protocol"), "--out", str(out))
    assert generate.exit_code == 2, generate.output
    assert where in generate.stderr and f"`#/$defs/{missing}` points to no definition" in generate.stderr
    assert "Traceback" not in generate.output and not out.exists()

    diff = _cli("diff", str(pristine / "protocol/v1"), str(project / "protocol/v1"))
    assert diff.exit_code == 2 and where in diff.stderr


def test_invalid_json_and_a_typo_in_the_method_table_name_the_place(project: Path) -> None:
    file = project / "protocol/v1/protocol.json"
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace('"kind": "request",', '"kind": "request"', 1), encoding="utf-8")
    for command in (["check"], ["generate", "python", "--out", str(project / "out")]):
        result = _cli(*command, "--protocol", str(project / "protocol"))
        assert result.exit_code == 2 and f"{file}: invalid JSON at line" in result.stderr, result.output

    file.write_text(text.replace('"direction": "clientToServer"', '"direction": "clientToSever"', 1), encoding="utf-8")
    check = _cli("check", "--protocol", str(project / "protocol"))
    assert check.exit_code == 1 and f"{file}#/x-methods/0/direction [metaschema]" in check.stdout
    generate = _cli("generate", "python", "--protocol", str(project / "protocol"), "--out", str(project / "out"))
    assert generate.exit_code == 2 and f"{file}#/x-methods/0/direction" in generate.stderr


def test_a_method_listed_twice_is_named_as_such(project: Path) -> None:
    file = _edit(project, lambda document: document["x-methods"].append(dict(document["x-methods"][2])))
    result = _cli("check", "--protocol", str(project / "protocol"))
    assert result.exit_code == 2
    assert f"{file}#/x-methods/4: method `task/changed` is listed twice (x-methods/2 and x-methods/4)" in result.stderr


def test_a_missing_diff_side_is_named_without_talking_of_protocol_options(project: Path, tmp_path: Path) -> None:
    result = _cli("diff", str(project / "protocol/v1"), str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'nowhere'}: not found (expected a folder of versions" in result.stderr
    assert "--protocol" not in result.stderr  # diff takes OLD and NEW, not --protocol


@pytest.mark.parametrize("package", ["class", "9tasks", "task-board"])
def test_a_python_package_name_that_cannot_be_imported_is_refused(project: Path, tmp_path: Path, package: str) -> None:
    out = tmp_path / "out"
    result = _cli("generate", "python", "--protocol", str(project / "protocol"), "--out", str(out), "--package", package)
    assert result.exit_code == 2 and f"{package!r} is not a Python package name" in result.stderr
    assert not out.exists()
