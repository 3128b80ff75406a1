"""Acceptance: TypeScript for a protocol that is not ours, as a user would get it.

From the todo-agent fixture (tests/typescript/fixtures/todo/: no handshake, a server->client
request, a tagged open union, an open enum; v1 and v2), in temporary folders outside the repository:
generate the package under a custom name, `npm pack` it and the runtime, install both from the
tarballs into a fresh project (offline, from npm's cache), compile a client with `tsc --strict`, and
run it against a server of that protocol over real pipes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from threadloom.loader import discover_versions, load_protocol
from threadloom.model import Protocol
from threadloom.plugins import typescript

from .test_typescript import PACKAGE, ROOT, RUNTIME, ensure_node_packages

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGE_NAME = "@acme/todo-client"
TYPESCRIPT_VERSION = "7.0.2"
TYPES_NODE_VERSION = "20.19.43"


def _protocols(folder: Path) -> list[Protocol]:
    return [load_protocol(path) for path in discover_versions(folder)]


def _run(*command: str, cwd: Path) -> str:
    env = {**os.environ, "NO_COLOR": "1", "npm_config_update_notifier": "false"}
    result = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{' '.join(command)} in {cwd}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def _npm(*args: str, cwd: Path) -> str:
    npm = shutil.which("npm")
    assert npm is not None, "npm is required (Node 20+)"
    return _run(npm, *args, "--no-audit", "--no-fund", cwd=cwd)


def _write(files: dict[str, str]) -> None:
    for path, content in files.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(content, encoding="utf-8")


def _app_server_names() -> set[str]:
    """Names of our App Server protocol that no generic JSON-RPC document shares with the fixture."""
    ours = _protocols(ROOT / "protocol")[-1]
    theirs = {name for p in _protocols(FIXTURES / "todo") for name in [*p.definitions, *(m.name for m in p.methods), *(e.name for e in p.errors)]}
    names = {*ours.definitions, *(m.name for m in ours.methods), *(e.name for e in ours.errors), ours.name, "AppServer", "Threadloom-Session"}
    # Plain lower-case words (a method named `error`) are English, not names.
    return {name for name in names - theirs if len(name) > 4 and re.search(r"[A-Z/-]", name)}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "todo-client"
    assert ROOT not in out.parents, "the package must be generated outside the repository"
    _write(typescript.generate_package(_protocols(FIXTURES / "todo"), PACKAGE_NAME, out))
    return out


def test_the_package_is_complete_and_names_nothing_of_our_protocol(generated: Path) -> None:
    files = sorted(p.relative_to(generated).as_posix() for p in generated.rglob("*") if p.is_file())
    assert files == ["README.md", "package.json", "src/index.ts", "src/stdio.ts", "src/v1.ts", "src/v2.ts", "tsconfig.json"]
    manifest = json.loads((generated / "package.json").read_text())
    assert manifest["name"] == PACKAGE_NAME
    assert manifest["dependencies"] == {"@threadloom/runtime": "^0.1.0"}
    text = "\n".join((generated / name).read_text() for name in files)
    leaked = sorted(name for name in _app_server_names() if re.search(rf"(?<![\w/-]){re.escape(name)}(?![\w/-])", text))
    assert leaked == []
    assert "AppServer" not in text and "app-server" not in text
    assert "export class TodoAgentClient extends runtime.Client<Spec>" in (generated / "src" / "v2.ts").read_text()
    assert "handshake: null" in (generated / "src" / "v2.ts").read_text()


def test_packed_installed_compiled_and_run_against_a_server_over_pipes(generated: Path, tmp_path: Path) -> None:
    ensure_node_packages()
    tarballs = tmp_path / "tarballs"
    tarballs.mkdir()
    _npm("pack", "--pack-destination", str(tarballs), cwd=RUNTIME)
    runtime_tgz = tarballs / "threadloom-runtime-0.1.0.tgz"
    # The generated package builds on pack (prepack): it needs the runtime and TypeScript, from the
    # runtime's tarball and npm's cache (filled by the repository's own `npm ci`).
    _npm("install", "--offline", "--no-save", str(runtime_tgz), cwd=generated)
    _npm("pack", "--pack-destination", str(tarballs), cwd=generated)
    package_tgz = tarballs / "acme-todo-client-0.1.0.tgz"
    assert package_tgz.is_file()

    app = tmp_path / "app"
    app.mkdir()
    manifest = {
        "name": "todo-app",
        "private": True,
        "type": "module",
        "dependencies": {"@threadloom/runtime": f"file:{runtime_tgz}", PACKAGE_NAME: f"file:{package_tgz}"},
        "devDependencies": {"typescript": TYPESCRIPT_VERSION, "@types/node": TYPES_NODE_VERSION},
    }
    (app / "package.json").write_text(json.dumps(manifest))
    _npm("install", "--offline", cwd=app)
    shutil.copy(FIXTURES / "todo_client.ts", app / "main.ts")
    tsconfig = {
        "compilerOptions": {
            "target": "ES2022",
            "module": "NodeNext",
            "moduleResolution": "NodeNext",
            "types": ["node"],
            "strict": True,
            "exactOptionalPropertyTypes": True,
            "noUncheckedIndexedAccess": True,
            "skipLibCheck": False,
            "outDir": "dist",
        },
        "files": ["main.ts"],
    }
    (app / "tsconfig.json").write_text(json.dumps(tsconfig))
    _run(str(app / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.json", "--strict", cwd=app)

    output = _run("node", "dist/main.js", sys.executable, str(FIXTURES / "todo_server.py"), cwd=app)
    seen = json.loads(output.strip().splitlines()[-1])
    assert seen == {
        "protocolVersion": 2,
        "listed": [
            "write tests: open, link https://example.org",
            "keep me: open, none",
            "from a newer server: unknown status snoozed, unknown attachment voice",
        ],
        "changed": ["write tests", "keep me", "small again"],  # the oversized todo/changed went to onError
        "removed": True,
        "refused": False,
        "missing": "TodoNotFound t404",
        "oversized": ["todo/add the client 65536", "todo/add the peer 65536"],
        "afterOversized": "small again",
        "problems": ["MessageTooLargeError"],
    }


def test_a_typo_against_a_known_literal_is_a_compile_error(generated: Path) -> None:
    """The control for the @ts-expect-error lines of the client: without them tsc fails there."""
    ensure_node_packages()
    client = (FIXTURES / "todo_client.ts").read_text()
    assert client.count("// @ts-expect-error") == 2
    check = generated.parent / "typo-check"
    check.mkdir(exist_ok=True)
    # Resolve the package by path: its sources plus the repository's runtime and TypeScript.
    (check / "node_modules").symlink_to(PACKAGE / "node_modules")
    shutil.copy(generated / "src" / "v2.ts", check / "v2.ts")
    (check / "typo.ts").write_text(
        'import type * as v2 from "./v2.js";\n'
        'export const typo = (todo: v2.Todo): boolean => todo.status === "opne";\n'
        'export const tag = (todo: v2.Todo): boolean => todo.attachment?.kind === "lnk";\n'
    )
    (check / "package.json").write_text('{"type": "module"}')
    tsconfig = {
        "compilerOptions": {"strict": True, "noEmit": True, "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022", "types": []},
        "files": ["typo.ts"],
    }
    (check / "tsconfig.json").write_text(json.dumps(tsconfig))
    result = subprocess.run(
        [str(PACKAGE / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.json"], cwd=check, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode != 0
    errors = [line for line in result.stdout.splitlines() if "error TS" in line]
    assert [line.split(",")[0] for line in errors] == ["typo.ts(2", "typo.ts(3"], result.stdout
    assert all("TS2367" in line for line in errors), errors  # "This comparison appears to be unintentional"
