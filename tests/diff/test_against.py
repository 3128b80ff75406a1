"""`threadloom diff --against GIT_REF [PATH]`: the working tree's protocol against the same path at a ref."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.diff.gitrepo import commit_all, git, init
from tests.diff.helpers import fixture, run, run_json

BASE_DOCUMENT = fixture("type-changed", "previous")
BREAKING_DOCUMENT = fixture("type-changed", "current")  # PingParams.name changes type: ERR for both
COMPATIBLE_DOCUMENT = fixture("definition-added", "current")  # a new type: INFO only


def place(repo: Path, document: Path, version: str = "v1") -> None:
    target = repo / "protocol" / version / "protocol.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(document, target)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repository = init(tmp_path / "repo")
    place(repository, BASE_DOCUMENT)
    commit_all(repository, "v1")
    return repository


def test_uncommitted_breaking_change_against_head(repo: Path) -> None:
    place(repo, BREAKING_DOCUMENT)
    code, data = run_json("--against", "HEAD", repo / "protocol")
    assert code == 1
    assert data["old"] == {"version": "v1@HEAD", "source": "HEAD:protocol/v1/protocol.json"}
    assert [c["rule"] for c in data["changes"]] == ["type-changed"]


def test_compatible_change_on_a_branch_against_main(repo: Path) -> None:
    git(repo, "switch", "--quiet", "-c", "feature")
    place(repo, COMPATIBLE_DOCUMENT)
    commit_all(repo, "compatible")
    code, data = run_json("--against", "main", repo / "protocol" / "v1")
    assert code == 0
    assert data["old"]["version"] == "v1@main"
    assert {c["level"] for c in data["changes"]} == {"INFO"}


def test_a_folder_of_versions_compares_the_latest_of_each_side(repo: Path) -> None:
    place(repo, BREAKING_DOCUMENT, "v2")  # a new version, not yet committed: compared with v1 at HEAD
    v2 = repo / "protocol" / "v2" / "protocol.json"
    document = json.loads(v2.read_text(encoding="utf-8"))
    document["x-protocol"]["version"] = 2
    v2.write_text(json.dumps(document), encoding="utf-8")
    code, data = run_json("--against", "HEAD", repo / "protocol")
    assert code == 1
    assert (data["old"]["version"], data["new"]["version"]) == ("v1@HEAD", "v2")


def test_unchanged_tree_has_no_changes(repo: Path) -> None:
    result = run("--against", "HEAD", repo / "protocol")
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith("v1@HEAD -> v1: 0 change(s): 0 ERR, 0 WARN, 0 INFO")


def test_unknown_ref_is_an_input_error(repo: Path) -> None:
    result = run("--against", "no-such-branch", repo / "protocol")
    assert result.exit_code == 2
    assert "unknown git ref `no-such-branch`" in result.stderr and "Traceback" not in result.output


def test_not_a_git_repository_is_an_input_error(tmp_path: Path) -> None:
    place(tmp_path, BASE_DOCUMENT)
    result = run("--against", "main", tmp_path / "protocol")
    assert result.exit_code == 2
    assert "not inside a git repository" in result.stderr


def test_path_missing_at_the_ref_is_an_input_error(repo: Path) -> None:
    (repo / "other").mkdir()
    shutil.copy(BASE_DOCUMENT, repo / "other" / "protocol.json")
    result = run("--against", "HEAD", repo / "other")
    assert result.exit_code == 2
    assert "does not exist at `HEAD`" in result.stderr


def test_path_missing_in_the_working_tree_is_an_input_error(repo: Path) -> None:
    result = run("--against", "HEAD", repo / "nowhere")
    assert result.exit_code == 2
    assert "not found" in result.stderr


@pytest.mark.parametrize("args", [("--against", "HEAD", "a", "b"), ("only-one",), ()])
def test_wrong_number_of_paths_is_a_usage_error(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "OLD and NEW" in result.output or "at most one PATH" in result.output


def test_option_lookalike_ref_is_rejected(repo: Path) -> None:
    result = run("--against=--output=x", repo / "protocol")
    assert result.exit_code == 2
    assert "is not a git ref" in result.stderr
