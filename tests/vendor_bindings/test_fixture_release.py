"""The small Codex fixture release (tests/formats/codex/fixtures/release@1.2.3), which covers every
adapter rule, generated from a folder outside the repository (a user's working directory).

Regression: an optional, non-nullable member whose type is an open enum gets two post-pass edits
at the same place (`OPEN_ENUM` around the enum, `NOT_NULL` around the optional); they used to
overlap and break the module. Also: null params (`NoParams`), a union result and an untyped result
type-check in the client.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.vendor_bindings.support import BIN, ROOT, Generated, generate, run_mypy, run_tsc
from threadloom_runtime.base import UnknownValue
from threadloom_runtime.validation import validate

FIXTURE = ROOT / "tests" / "formats" / "codex" / "fixtures" / "release@1.2.3" / "schema-experimental"


@pytest.fixture(scope="module")
def fixture_release(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return generate(FIXTURE, tmp_path_factory.mktemp("fixture") / "out", "fixture_codex")


def test_generated_from_elsewhere_with_the_cli_defaults(tmp_path: Path) -> None:
    """`threadloom generate python --protocol ... --out DIR` run from another folder (no --package)."""
    command = [str(BIN / "threadloom"), "generate", "python", "--protocol", str(FIXTURE), "--out", str(tmp_path / "x")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert any((tmp_path / "x").glob("*/v1/models.py"))


def test_open_enum_and_not_null_compose(fixture_release: Generated) -> None:
    models = (fixture_release.out / fixture_release.package / "v1" / "models.py").read_text(encoding="utf-8")
    assert "Annotated[Annotated[CommandExecutionApprovalDecision | UnknownValue, OPEN_ENUM] | None, NOT_NULL] = None" in models
    params = fixture_release.module("v1", "models").CommandExecutionRequestApprovalParams
    assert isinstance(validate(params, {"command": "ls", "decision": "fromTheFuture"}).decision, UnknownValue)
    assert validate(params, {"command": "ls"}).decision is None
    with pytest.raises(ValidationError, match="null is not allowed"):
        validate(params, {"command": "ls", "decision": None})


def test_the_fixture_package_type_checks(fixture_release: Generated) -> None:
    done = run_mypy([(fixture_release.out, fixture_release.package)])
    assert done.returncode == 0, done.stdout[-4000:]
    typescript = run_tsc(fixture_release.ts_out)
    assert typescript.returncode == 0, typescript.stdout[-4000:]
