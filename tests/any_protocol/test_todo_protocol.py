"""Acceptance of issue 11 for Python: a protocol that is not ours, generated with a custom package
name outside the repository, installed in a fresh venv, served and used over real pipes."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tests.any_protocol.conftest import PACKAGE, Installed, run

# Run inside the fresh venv only; the folder name keeps `mypy -p tests` from checking them against .venv.
APPS = Path(__file__).parent / "todo-apps"
# Names that only our App Server protocol has: none may leak into another protocol's package.
APP_SERVER_NAMES = ("threadloom_protocol", "initialize", "ServerInfo", "clientInfo", "protocolVersion", "experimentalApi", "thread/", "turn/", "approval")


def test_generated_package_is_complete_and_names_nothing_of_ours(todo_package: Installed) -> None:
    files = list(todo_package.generated)
    modules = ("__init__.py", "models.py", "methods.py", "errors.py", "server.py", "client.py")
    expected = ["README.md", "pyproject.toml", f"{PACKAGE}/__init__.py", f"{PACKAGE}/py.typed"]
    expected += [f"{PACKAGE}/{version}/{module}" for version in ("v1", "v2") for module in modules]
    assert files == sorted(expected)
    pyproject = (todo_package.folder / "pyproject.toml").read_text()
    assert 'name = "todo-agent-bindings"' in pyproject and "threadloom-runtime" in pyproject
    for relative in files:
        text = (todo_package.folder / relative).read_text()
        leaked = [name for name in APP_SERVER_NAMES if re.search(re.escape(name), text, re.IGNORECASE)]
        assert leaked == [], f"{relative} names {leaked}"


def test_client_and_server_over_real_pipes(todo_package: Installed) -> None:
    server = [str(todo_package.python), str(APPS / "todo_server.py")]
    done = run([str(todo_package.python), str(APPS / "todo_client.py"), *server], timeout=300)
    report = json.loads(done.stdout)
    assert report["added"] == {"id": "t1", "title": "water the plants", "priority": "high", "done": False}
    assert report["announced"] == report["added"]  # awaited with a predicate, registered before the request
    assert report["questions"] == ["Add a todo for 'file taxes'?"]  # the server->client request, answered
    assert report["steps"] == ["NoteStep", "TodoStep"]  # the tagged union, decoded per variant
    assert report["priorities"] == ["high", "urgent"] and report["unknown_priority"] == "UnknownValue"  # the open enum
    assert report["not_found"] == {"code": -32010, "data": {"todoId": "nope"}}
    assert report["v1_without_priority"] == -32602  # the declared break: v2 requires a priority
    assert "exited with status 3" in report["dead"] and "the database is gone" in report["dead"]


def test_mypy_strict_on_the_generated_package_and_its_users(todo_package: Installed) -> None:
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(todo_package.python)]
    run([*mypy, PACKAGE, str(APPS / "todo_server.py"), str(APPS / "todo_client.py")], cwd=todo_package.folder, timeout=600)
