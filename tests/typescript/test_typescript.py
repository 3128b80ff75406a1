"""The TypeScript bindings: the generator's output, and the npm package's own test suite."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.hang import RUN_HANG_LIMIT
from threadloom.errors import InputError
from threadloom.generate import Context, run_targets
from threadloom.plugins import typescript
from threadloom.plugins import typescript_package as package

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bindings" / "typescript"
RUNTIME = ROOT / "bindings" / "runtime" / "typescript"


def _context() -> Context:
    return Context(root=ROOT)


def test_committed_bindings_are_current() -> None:
    assert run_targets(ROOT, ["typescript"], check=True).stale == []


def test_output_is_deterministic() -> None:
    assert typescript.generate(_context()) == typescript.generate(_context())


def test_every_definition_and_method_has_a_type() -> None:
    v2 = _context().protocol(2)
    module = typescript.render_module(v2)
    for name in v2.definitions:
        assert f"export interface {name} " in module or f"export type {name} = " in module, name
    for method in v2.methods:
        assert f'"{method.name}": {{ params: ' in module, method.name


def test_open_union_gets_an_unknown_member_and_closed_one_does_not() -> None:
    module = typescript.render_module(_context().protocol(2))
    assert "export type ThreadItem = KnownThreadItem | UnknownThreadItem;" in module
    assert "export type UserInput = TextUserInput | ImageUserInput | MentionUserInput;" in module
    assert "export type TurnStatus = KnownTurnStatus | UnknownValue;" in module
    assert 'export type ApprovalPolicy = "always" | "never";' in module


def test_optional_and_nullable_follow_the_schema() -> None:
    module = typescript.render_module(_context().protocol(2))
    assert "  cursor?: string | null;" in module  # ThreadListParams: optional and nullable
    assert "  aggregatedOutput: string | null;" in module  # required and nullable
    assert "  cwd?: string;" in module  # optional, not nullable


def test_a_definition_name_that_clashes_with_generated_names_is_an_input_error() -> None:
    protocol = copy.copy(_context().protocol(2))
    definitions = dict(protocol.definitions)
    definitions["Spec"] = definitions["EmptyResult"]
    protocol.definitions = definitions
    with pytest.raises(InputError, match="Spec"):
        typescript.render_module(protocol)


def _npm(*args: str, cwd: Path = PACKAGE) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm")
    assert npm is not None, "npm is required for the TypeScript bindings (Node 20+)"
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([npm, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_HANG_LIMIT, check=False)


def ensure_node_packages() -> None:
    """The runtime installed and built (the package links it), then the package's node_modules."""
    for folder in (RUNTIME, PACKAGE):
        if not (folder / "node_modules" / ".bin" / "tsc").exists():
            installed = _npm("ci", "--no-audit", "--no-fund", cwd=folder)
            assert installed.returncode == 0, installed.stdout + installed.stderr
        if folder == RUNTIME:
            built = _npm("run", "build", cwd=RUNTIME)
            assert built.returncode == 0, built.stdout + built.stderr


def test_npm_test_passes() -> None:
    ensure_node_packages()
    result = _npm("test")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "# fail 0" in output, output[-6000:]
    # Here the project's .venv has the reference server, so the end-to-end and browser tests must run.
    assert "# SKIP" not in output, [line for line in output.splitlines() if "# SKIP" in line]
    passed = next(line for line in output.splitlines() if line.startswith("# pass "))
    assert int(passed.removeprefix("# pass ")) >= 50, passed


def test_runtime_npm_test_passes() -> None:
    """@threadloom/runtime's own suite: hand-written protocol tables, real pipes, oversized lines, bursts."""
    ensure_node_packages()
    result = _npm("test", cwd=RUNTIME)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "# fail 0" in output and "# skipped 0" in output, output[-6000:]
    passed = next(line for line in output.splitlines() if line.startswith("# pass "))
    assert int(passed.removeprefix("# pass ")) >= 25, passed


# --- the corpus -> type-level tests generator, on a small corpus written here -----------------

CORPUS = {
    # valid, must compile; the extra member of an open object comes through a spread
    "Thread-True-a1": {
        "id": "t",
        "createdAt": 1,
        "updatedAt": 2,
        "cwd": "/",
        "approvalPolicy": "never",
        "preview": "",
        "archived": False,
        "status": "idle",
        "name": None,
        "futureField": {"x": 1},
    },
    "ThreadItem-True-a2": {"type": "plan", "id": "p", "steps": [{"step": "s", "status": "pending"}]},
    "ThreadListParams-True-a3": {"cursor": None, "limit": 5},
    # invalid in ways tsc sees: must sit under @ts-expect-error
    "ThreadReadParams-False-b1": {"includeTurns": True},
    "ThreadStartParams-False-b2": {"cwd": None},
    "ThreadItem-False-b3": {"type": "agentMessage", "id": "a", "text": 3},
    "UserInput-False-b4": {"type": "audio", "data": ""},
    "ApprovalResult-False-b5": {"decision": "maybe"},
    # invalid only by constraints tsc cannot see: skipped with the reason
    "ThreadListParams-False-c1": {"limit": 1000},
    "ClientInfo-False-c2": {"name": "", "version": "1"},
}


def _corpus_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "protocol", root / "protocol")
    corpus = root / "bindings" / "corpus" / "v2"
    corpus.mkdir(parents=True)
    for name, value in CORPUS.items():
        (corpus / f"{name}.json").write_text(json.dumps(value))
    return root


def test_corpus_entries_are_sorted_into_compile_expect_error_and_skipped(tmp_path: Path) -> None:
    root = _corpus_project(tmp_path)
    context = Context(root=root)
    text = typescript.render_corpus_tests(context.protocol(2), root)
    assert text is not None
    assert typescript.render_corpus_tests(context.protocol(1), root) is None  # no v1 corpus: no file
    lines = text.splitlines()
    expected_errors = [lines[i + 1].split(":")[0] for i, line in enumerate(lines) if line.startswith("// @ts-expect-error")]
    assert len(expected_errors) == 5
    assert all(entry.endswith("_invalid") for entry in expected_errors)
    assert "export const corpusChecked = 8;" in lines
    assert "export const corpusSkipped = 2;" in lines
    assert any("ThreadListParams-False-c1.json" in line for line in lines if line.startswith("// skipped"))
    assert '...{"futureField": {"x": 1}}' in text


def test_corpus_tests_compile_with_tsc(tmp_path: Path) -> None:
    """The generated corpus file, with the generated types, passes tsc: valid entries compile and
    every @ts-expect-error is used (tsc fails on an unused one)."""
    ensure_node_packages()
    tsc = PACKAGE / "node_modules" / ".bin" / "tsc"
    root = _corpus_project(tmp_path)
    package = tmp_path / "package"
    files = typescript.generate(Context(root=root, out=package, options={"corpusTests": True}))
    for relative, content in files.items():
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    assert (package / "test" / "generated" / "corpus_v2.ts").exists()
    (package / "node_modules").symlink_to(PACKAGE / "node_modules")
    result = subprocess.run([str(tsc), "-p", "tsconfig.json", "--noEmit"], cwd=package, capture_output=True, text=True, timeout=RUN_HANG_LIMIT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # The control: remove one @ts-expect-error and tsc must now fail on that entry.
    corpus = package / "test" / "generated" / "corpus_v2.ts"
    corpus.write_text(corpus.read_text().replace("// @ts-expect-error", "// (expectation removed)", 1))
    broken = subprocess.run([str(tsc), "-p", "tsconfig.json", "--noEmit"], cwd=package, capture_output=True, text=True, timeout=RUN_HANG_LIMIT, check=False)
    assert broken.returncode != 0
    assert "corpus_v2.ts" in broken.stdout


def test_a_definition_named_like_a_generated_helper_of_another_is_an_input_error() -> None:
    protocol = copy.copy(_context().protocol(2))
    definitions = dict(protocol.definitions)
    definitions["KnownTurnStatus"] = definitions["EmptyResult"]
    protocol.definitions = definitions
    with pytest.raises(InputError, match="KnownTurnStatus"):
        typescript.render_module(protocol)


# --- the package around the types: handshake tables, names ------------------------------------


def test_handshake_tables_follow_the_declaration_and_what_each_version_has() -> None:
    v1, v2 = _context().protocols
    assert package.handshake_info(v2, v2.handshake) == {
        "method": "initialize",
        "initialized": "initialized",
        "versionOffer": "/protocolVersions",
        "versionOfferIsList": True,
        "versionChosen": "/protocolVersion",
        "experimentalOptIn": "/capabilities/experimentalApi",
        "optOutNotifications": "/capabilities/optOutNotificationMethods",
    }
    # Frozen v1 declares none: it follows v2's, without the fields v1 does not have.
    inherited = package.handshake_info(v1, package.effective_handshake(v1, [v2]))
    assert inherited is not None
    assert (inherited["method"], inherited["versionOffer"], inherited["versionChosen"]) == ("initialize", None, None)
    assert package.effective_handshake(v1, []) is None


def test_a_single_version_offer_is_sent_as_a_scalar() -> None:
    v2 = copy.copy(_context().protocol(2))
    assert v2.handshake is not None
    handshake = dataclasses.replace(v2.handshake, version_offer="/clientInfo/version", version_chosen="/nowhere")
    info = package.handshake_info(v2, handshake)
    assert info is not None
    assert (info["versionOffer"], info["versionOfferIsList"], info["versionChosen"]) == ("/clientInfo/version", False, None)


def test_package_and_client_names() -> None:
    protocol = copy.copy(_context().protocol(2))
    protocol.name = "todo-agent"
    assert package.client_class_name(protocol) == "TodoAgentClient"
    with pytest.raises(InputError, match="not a valid npm package name"):
        typescript.generate_package([protocol], "Not A Name", Path("/tmp/unused"))
