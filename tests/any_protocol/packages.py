"""Generated packages as a user gets them: the `threadloom` CLI writes them outside the repository,
the Python package goes into a fresh virtual environment, the TypeScript one is packed, installed
into a new Node project and compiled there with `tsc --strict`.

Shared by tests/any_protocol (the todo protocol) and tests/init (what `threadloom init` writes).
Every step runs once per session; the timeouts only detect hangs (a busy machine is slow).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.typescript.test_typescript import RUNTIME, ensure_node_packages
from threadloom.loader import load_protocols

ROOT = Path(__file__).resolve().parents[2]
PYTHON_RUNTIME = ROOT / "bindings" / "runtime" / "python"
THREADLOOM = Path(sys.executable).parent / "threadloom"  # the CLI of this environment, as a user runs it
HANG = 900  # seconds: venv creation, pip and npm installs, mypy and tsc on a busy 2-core machine


def run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "npm_config_update_notifier": "false"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=HANG, check=False)
    assert done.returncode == 0, f"{' '.join(command)} in {cwd} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def threadloom(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([str(THREADLOOM), *args], cwd=cwd)


def npm(*args: str, cwd: Path) -> str:
    found = shutil.which("npm")
    assert found is not None, "npm is required (Node 20+)"
    return run([found, *args, "--no-audit", "--no-fund"], cwd=cwd).stdout


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def outside_repository(folder: Path) -> Path:
    assert ROOT not in folder.resolve().parents, f"{folder} must be outside the repository"
    return folder


# --- Python ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Venv:
    python: Path  # the fresh venv's interpreter

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return run([str(self.python), *map(str, args)])

    def mypy_strict(self, *targets: str | Path, cwd: Path) -> None:
        """mypy from this environment, checking `targets` against the packages of the venv."""
        mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(self.python)]
        run([*mypy, *map(str, targets)], cwd=cwd)


def fresh_venv(folder: Path, *distributions: Path) -> Venv:
    """A new venv (no --system-site-packages) with the runtime from this repository and `distributions`."""
    run([sys.executable, "-m", "venv", str(outside_repository(folder))])
    venv = Venv(folder / "bin" / "python")
    venv.run("-m", "pip", "install", "--quiet", "--disable-pip-version-check", PYTHON_RUNTIME, *distributions)
    return venv


# --- TypeScript -----------------------------------------------------------------------------------


def runtime_tarball(session_dir: Path) -> Path:
    """`npm pack` of @threadloom/runtime, once per session (every caller passes the session's base temp)."""
    folder = session_dir / "threadloom-runtime-npm"
    if not folder.is_dir():
        ensure_node_packages()  # the runtime's own node_modules: `npm pack` builds it (prepack)
        staging = Path(tempfile.mkdtemp(dir=session_dir))
        npm("pack", "--pack-destination", str(staging), cwd=RUNTIME)
        staging.rename(folder)
    (tarball,) = folder.glob("*.tgz")
    return tarball


def runtime_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((RUNTIME / "package.json").read_text(encoding="utf-8"))
    return manifest


def runtime_version() -> str:
    return str(runtime_manifest()["version"])


@dataclass(frozen=True)
class NodeApp:
    folder: Path  # a Node project with the packed packages installed and main.ts compiled to dist/

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return run(["node", "dist/main.js", *map(str, args)], cwd=self.folder)

    def compile(self, *files: str) -> subprocess.CompletedProcess[str]:
        """`tsc --strict` on `files` of this project with its own tsconfig; the caller judges the outcome."""
        config = json.loads((self.folder / "tsconfig.json").read_text(encoding="utf-8"))
        (self.folder / "tsconfig.check.json").write_text(json.dumps({**config, "files": list(files)}), encoding="utf-8")
        tsc = [str(self.folder / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.check.json", "--strict", "--noEmit"]
        return subprocess.run(tsc, cwd=self.folder, capture_output=True, text=True, timeout=HANG, check=False)


def node_app(folder: Path, package: Path, name: str, client: Path, session_dir: Path) -> NodeApp:
    """Pack the generated package at `package` (npm name `name`), install it and the runtime from their
    tarballs into a new project in `folder` (offline, from npm's cache), and compile `client` there."""
    runtime = runtime_tarball(session_dir)
    tarballs = outside_repository(folder) / "tarballs"
    tarballs.mkdir(parents=True)
    # `npm pack` builds the package (prepack): it needs the runtime and TypeScript.
    npm("install", "--offline", "--no-save", str(runtime), cwd=package)
    (packed,) = json.loads(npm("pack", "--json", "--pack-destination", str(tarballs), cwd=package))
    app = folder / "app"
    app.mkdir()
    manifest = {
        "name": "an-app",
        "private": True,
        "type": "module",
        "dependencies": {"@threadloom/runtime": f"file:{runtime}", name: f"file:{tarballs / packed['filename']}"},
        # The same TypeScript and Node types as the runtime's: offline, from npm's cache.
        "devDependencies": {tool: runtime_manifest()["devDependencies"][tool] for tool in ("typescript", "@types/node")},
    }
    (app / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    npm("install", "--offline", cwd=app)
    shutil.copy(client, app / "main.ts")
    options = {
        "target": "ES2022",
        "module": "NodeNext",
        "moduleResolution": "NodeNext",
        # No `"types": ["node"]`: since TypeScript 6 a user's default is no global types at all,
        # so the stdio transport's declarations must bring Node's themselves.
        "strict": True,
        "exactOptionalPropertyTypes": True,
        "noUncheckedIndexedAccess": True,
        "skipLibCheck": False,  # the installed package's declarations are checked too
        "outDir": "dist",
    }
    (app / "tsconfig.json").write_text(json.dumps({"compilerOptions": options, "files": ["main.ts"]}), encoding="utf-8")
    run([str(app / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.json", "--strict"], cwd=app)
    return NodeApp(app)


# --- What a generated package must not contain -----------------------------------------------------


def app_server_names(theirs: Path) -> set[str]:
    """Names of our App Server protocol that the protocol at `theirs` does not share: none of them may
    appear in what is generated for it. Plain lower-case words (a method named `error`) are English."""
    ours = load_protocols(ROOT / "protocol")[-1]
    shared = {name for p in load_protocols(theirs) for name in [*p.definitions, *(m.name for m in p.methods), *(e.name for e in p.errors)]}
    names = {*ours.definitions, *(m.name for m in ours.methods), *(e.name for e in ours.errors)}
    distinctive = {name for name in names - shared if len(name) > 4 and re.search(r"[A-Z/-]", name)}
    return distinctive | {ours.name, "threadloom_protocol", "@threadloom/client", "AppServer", "app-server", "initialize", "experimentalApi"}


def leaked_names(folder: Path, files: list[str], names: set[str]) -> dict[str, list[str]]:
    """Per generated file, the `names` it mentions as whole words."""
    leaks: dict[str, list[str]] = {}
    for relative in files:
        text = (folder / relative).read_text(encoding="utf-8")
        found = sorted(name for name in names if re.search(rf"(?<![\w/-]){re.escape(name)}(?![\w/-])", text))
        if found:
            leaks[relative] = found
    return leaks
