"""`threadloom init DIR`: a minimal protocol that passes `check` and generates packages."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from threadloom.cli import main
from threadloom.jsonio import read_json
from threadloom.loader import load_protocol
from threadloom.model import DefinitionKind, Direction, Kind


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    result = _cli("init", str(tmp_path / "todo-agent"))
    assert result.exit_code == 0, result.output
    return tmp_path / "todo-agent"


@pytest.fixture
def inside(project: Path) -> Iterator[Path]:
    here = Path.cwd()
    os.chdir(project)
    try:
        yield project
    finally:
        os.chdir(here)


def test_init_writes_the_minimal_authored_form(project: Path) -> None:
    document = read_json(project / "protocol/v1/protocol.json")
    assert document["x-protocol"] == {"name": "todo-agent", "version": 1}  # no `messages`: envelopes are derived
    assert "anyOf" not in document
    assert not any(name.endswith(("Request", "Notification", "Message", "Response")) for name in document["$defs"])
    protocol = load_protocol(project / "protocol/v1")
    assert [m.name for m in protocol.methods_by(Direction.SERVER_TO_CLIENT, Kind.REQUEST)] == ["task/confirm"]
    remove = protocol.method("task/remove")
    assert remove is not None and "task/confirm" in remove.description, "a client request that triggers it"
    assert protocol.definitions["TaskContent"].kind is DefinitionKind.UNION and protocol.definitions["TaskContent"].open
    assert protocol.definitions["TaskStatus"].kind is DefinitionKind.ENUM and protocol.definitions["TaskStatus"].open
    assert protocol.handshake is None


def test_init_output_passes_check(project: Path) -> None:
    result = _cli("check", "--protocol", str(project / "protocol"), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["ok"], report["findings"]) == (True, [])


@pytest.mark.parametrize(("target", "suffix"), [("python", ".py"), ("typescript", ".ts")])
def test_init_output_generates_each_language_into_any_folder(inside: Path, tmp_path: Path, target: str, suffix: str) -> None:
    project, out = inside, tmp_path / target  # run from the new project, as its author would
    args = ["generate", target, "--protocol", str(project / "protocol"), "--out", str(out), "--package", "acme_tasks"]
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    written = [Path(line.removeprefix("wrote ")) for line in result.stdout.splitlines()]
    assert any(path.suffix == suffix for path in written)
    assert all(path.is_file() for path in written), written
    assert _cli(*args, "--check").exit_code == 0


def test_init_writes_a_readme_with_the_commands_to_run(project: Path) -> None:
    readme = (project / "README.md").read_text(encoding="utf-8")
    for command in ("threadloom check", "threadloom generate", "pip install <threadloom checkout>/bindings/runtime/python ./generated/python", "npm pack"):
        assert command in readme, command


def test_init_writes_a_config_that_plain_generate_follows(inside: Path) -> None:
    result = _cli("generate", "--check")
    assert result.exit_code == 1  # nothing generated yet: every file is missing
    assert all(line.endswith("(missing)") for line in result.stdout.splitlines())
    assert _cli("generate").exit_code == 0
    assert _cli("generate", "--check").exit_code == 0
    assert (inside / ".threadloom-cache").is_dir()


def test_init_refuses_a_folder_that_is_not_empty_and_a_bad_name(project: Path, tmp_path: Path) -> None:
    again = _cli("init", str(project))
    assert again.exit_code == 2 and "is not empty" in again.stderr
    bad = _cli("init", str(tmp_path / "x"), "--name", "Bad_Name")
    assert bad.exit_code == 2 and "not a protocol name" in bad.stderr


def test_init_prints_a_next_line_that_pastes_into_a_shell(tmp_path: Path) -> None:
    result = _cli("init", str(tmp_path / "my tasks"), "--name", "my-tasks")
    assert result.exit_code == 0
    assert f"next: cd '{tmp_path / 'my tasks'}' && threadloom check" in result.stderr


def test_the_generated_python_readme_installs_the_runtime_from_a_checkout(inside: Path, tmp_path: Path) -> None:
    """threadloom-runtime is not on PyPI: the README must not send users to `pip install threadloom-runtime`."""
    assert _cli("generate", "python", "--protocol", "protocol", "--out", str(tmp_path / "py")).exit_code == 0
    readme = (tmp_path / "py/README.md").read_text(encoding="utf-8")
    assert "pip install <threadloom checkout>/bindings/runtime/python" in readme
    assert "pip install threadloom-runtime" not in readme


def test_the_generated_typescript_readme_installs_from_packed_tarballs(inside: Path, tmp_path: Path) -> None:
    """Neither @threadloom/runtime nor the package is on npm: `npm install NAME` would fail."""
    assert _cli("generate", "typescript", "--protocol", "protocol", "--out", str(tmp_path / "ts")).exit_code == 0
    readme = (tmp_path / "ts/README.md").read_text(encoding="utf-8")
    assert "cd <threadloom checkout>/bindings/runtime/typescript && npm ci && npm pack" in readme
    assert "npm install todo-agent @threadloom/runtime" not in readme and "npmjs.com" not in readme
