"""One fixture pair per rule (buf / oasdiff style): the diff must produce exactly the expected findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.diff.fixture_builder import FIXTURES, FIXTURES_DIR, rendered_files
from threadloom.diff import diff_protocols
from threadloom.diff.rules import rule_ids
from threadloom.loader import load_protocol

RULE_DIRS = sorted(p.name for p in FIXTURES_DIR.iterdir() if p.is_dir())


def _as_rows(findings: list[dict[str, str]]) -> list[tuple[str, ...]]:
    keys = ("rule", "level", "audience", "role", "oldPointer", "newPointer")
    return sorted(tuple(f[k] for k in keys) for f in findings)


@pytest.mark.parametrize("rule", RULE_DIRS)
def test_fixture_produces_exactly_the_expected_findings(rule: str) -> None:
    folder = FIXTURES_DIR / rule
    old, new = load_protocol(folder / "previous"), load_protocol(folder / "current")
    actual = [{k: str(v) for k, v in f.as_json().items() if isinstance(v, str)} for f in diff_protocols(old, new)]
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    assert _as_rows(actual) == _as_rows(expected)


def test_every_rule_has_a_fixture_that_triggers_it() -> None:
    assert sorted(rule_ids()) == RULE_DIRS
    for rule in RULE_DIRS:
        expected = json.loads((FIXTURES_DIR / rule / "expected.json").read_text(encoding="utf-8"))
        assert rule in {row["rule"] for row in expected}, f"the {rule} fixture does not trigger {rule}"


def test_committed_fixtures_match_the_builder() -> None:
    files = rendered_files().items()
    stale = [str(path.relative_to(FIXTURES_DIR)) for path, content in files if not path.is_file() or path.read_text(encoding="utf-8") != content]
    assert not stale, f"run `python -m tests.diff.fixture_builder`: {stale}"
    assert sorted(FIXTURES) == RULE_DIRS


def test_unchanged_document_has_no_findings() -> None:
    document = FIXTURES_DIR / "definition-added" / "previous"
    assert diff_protocols(load_protocol(document), load_protocol(document)) == []


def test_fixture_base_is_a_lint_clean_protocol(tmp_path: Path) -> None:
    """The base every fixture derives from passes `threadloom check`, so fixtures stay realistic."""
    from threadloom.check import check_version

    version = tmp_path / "v1"
    version.mkdir()
    (version / "protocol.json").write_text((FIXTURES_DIR / "definition-added" / "previous" / "protocol.json").read_text(encoding="utf-8"), encoding="utf-8")
    assert check_version(version) == []
