"""The TypeScript bindings: the generator's output, and the npm package's own test suite."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from threadloom.generator.errors import InputError
from threadloom.generator.generate import Context, run_targets
from threadloom.generator.loader import load_protocol
from threadloom.generator.plugins import typescript

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bindings" / "typescript"


def _context() -> Context:
    return Context(root=ROOT, protocols=[load_protocol(ROOT / "protocol" / f"v{n}") for n in (1, 2)])


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


def _npm(*args: str) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm")
    assert npm is not None, "npm is required for the TypeScript bindings (Node 20+)"
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([npm, *args], cwd=PACKAGE, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_npm_test_passes() -> None:
    if not (PACKAGE / "node_modules" / ".bin" / "tsc").exists():
        installed = _npm("ci", "--no-audit", "--no-fund")
        assert installed.returncode == 0, installed.stdout + installed.stderr
    result = _npm("test")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "# fail 0" in output, output[-6000:]
    passed = next(line for line in output.splitlines() if line.startswith("# pass "))
    assert int(passed.removeprefix("# pass ")) >= 40, passed
