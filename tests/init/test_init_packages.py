"""Acceptance of issue 11: what `threadloom init` writes passes `check` and generates working packages.

As its README says, outside the repository: `threadloom init`, name the packages in the config it
wrote, `threadloom check`, `threadloom generate`; then the Python package in a fresh venv (runtime
from this repository) serves a Python client over real pipes, and the TypeScript package, packed and
installed into a new Node project, compiles with `tsc --strict` and its Node client talks to the
same server. The machinery is tests/any_protocol's (packages.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.any_protocol.packages import NodeApp, Venv, app_server_names, files_under, fresh_venv, leaked_names, node_app, outside_repository, threadloom

APPS = Path(__file__).parent / "init-apps"  # run inside the fresh venv / Node project only
PACKAGES = {"python": "acme_tasks", "typescript": "@acme/tasks"}


@dataclass(frozen=True)
class Project:
    folder: Path  # what `threadloom init` wrote, and generated/ by `threadloom generate`
    generated: list[str]  # the files under generated/, before pip and npm added their own


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Project:
    base = outside_repository(tmp_path_factory.mktemp("init-project"))
    threadloom("init", "task-board", cwd=base)
    folder = base / "task-board"
    config_file = folder / "threadloom.gen.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    for target in config["targets"]:  # the author renames the packages, as the config's comment says
        target["package"] = PACKAGES[target["target"]]
    config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
    threadloom("generate", cwd=folder)
    return Project(folder, files_under(folder / "generated"))


@pytest.fixture(scope="module")
def project(initialised: Project) -> Path:
    return initialised.folder


@pytest.fixture(scope="module")
def venv(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return fresh_venv(tmp_path_factory.mktemp("init-venv") / "venv", project / "generated" / "python")


@pytest.fixture(scope="module")
def server(venv: Venv) -> list[str]:
    return [str(venv.python), str(APPS / "task_server.py")]


@pytest.fixture(scope="module")
def node(project: Path, tmp_path_factory: pytest.TempPathFactory) -> NodeApp:
    folder = tmp_path_factory.mktemp("init-node")
    return node_app(folder, project / "generated" / "typescript", PACKAGES["typescript"], APPS / "task_client.ts", tmp_path_factory.getbasetemp())


def test_the_project_passes_check_and_generates_under_the_chosen_names(project: Path) -> None:
    assert threadloom("check", cwd=project).stdout.strip() == "protocol OK"
    generated = project / "generated"
    assert (generated / "python" / "acme_tasks" / "v1" / "server.py").is_file()
    assert json.loads((generated / "typescript" / "package.json").read_text(encoding="utf-8"))["name"] == "@acme/tasks"
    threadloom("generate", "--check", cwd=project)  # and the committed output would stay current


def test_what_is_generated_names_nothing_of_our_protocol(initialised: Project) -> None:
    files = initialised.generated
    assert any(path.endswith(".py") for path in files) and any(path.endswith(".ts") for path in files)
    assert leaked_names(initialised.folder / "generated", files, app_server_names(initialised.folder / "protocol")) == {}


def test_a_python_client_and_server_over_real_pipes(venv: Venv, server: list[str]) -> None:
    report = json.loads(venv.run(APPS / "task_client.py", *server).stdout)
    text = {"id": "t1", "status": "open", "content": {"type": "text", "text": "write the docs"}}
    link = {"id": "t2", "status": "open", "content": {"type": "link", "url": "https://example.com/spec"}}
    assert report == {
        "added": [text, link],  # the tagged union, each variant's tag filled in by its model
        "announced": link,  # the notification, awaited with a predicate
        "removed": [True, False],  # the server->client request: the client agreed for text, not for the link
        "reasons": ["the client asked", "the client asked"],
        "not_found": {"code": -32010, "data": {"taskId": "t1"}},
    }


def test_mypy_strict_on_the_generated_package_and_its_users(project: Path, venv: Venv) -> None:
    venv.mypy_strict(PACKAGES["python"], APPS / "task_server.py", APPS / "task_client.py", cwd=project / "generated" / "python")


def test_a_node_client_against_the_same_server(node: NodeApp, server: list[str]) -> None:
    report = json.loads(node.run(*server).stdout.strip().splitlines()[-1])
    assert report == {
        "added": {"id": "t1", "status": "open", "content": {"type": "text", "text": "write the docs"}},
        "announced": "text: write the docs",
        "removed": True,
        "reasons": ["the client asked"],
        "missing": "TaskNotFound t1",
    }
