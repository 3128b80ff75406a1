"""One fresh virtual environment per test session: the todo protocol's generated package and the
runtime from this repository, installed the way a user would (no --system-site-packages)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from threadloom.loader import discover_versions, load_protocol
from threadloom.plugins.python import package_files

ROOT = Path(__file__).resolve().parents[2]
TODO = ROOT / "tests" / "protocols" / "todo"
PACKAGE = "todo_agent_bindings"
# Creating a venv and installing into it is slow on a busy machine: these only detect hangs.
INSTALL_TIMEOUT = 900


@dataclass(frozen=True)
class Installed:
    folder: Path  # the generated distribution (pyproject.toml, README.md, todo_agent_bindings/)
    python: Path  # the fresh venv's interpreter
    generated: tuple[str, ...]  # what the generator wrote (before pip added build/ and egg-info/)


def run(command: list[str], cwd: Path | None = None, timeout: float = INSTALL_TIMEOUT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="session")
def todo_package(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("any-protocol")
    assert ROOT not in base.parents, "the package must be generated outside the repository"
    folder = base / "todo-agent-bindings"
    protocols = [load_protocol(path) for path in discover_versions(TODO)]
    files = package_files(protocols, package=PACKAGE)
    for relative, content in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, str(ROOT / "bindings" / "runtime" / "python"), str(folder)])
    return Installed(folder, python, tuple(sorted(files)))
