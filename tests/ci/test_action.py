"""The GitHub Action (action.yml) run step by step against a temporary git repository: a base commit
on `main` (pushed to an `origin`), then a pull-request branch with a compatible change and, on top of
it, a breaking one. Asserts the annotations, the job summary and the exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ci.actionrunner import ActionRun, load_action, run_action
from tests.diff.gitrepo import commit_all, git, init
from tests.diff.helpers import fixture
from tests.diff.regression_builder import REGRESSIONS_DIR

INPUTS = {"install": "none"}  # the threadloom under test, put on PATH below
# The environment's scripts folder (threadloom, from the editable install under test) first on PATH.
TOOL_PATH = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}


def as_version_1(source: Path) -> dict[str, Any]:
    """A fixture's document as the one version of a single-version protocol folder."""
    document: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    document["x-protocol"]["version"] = 1
    return document


def write_protocol(repo: Path, document: dict[str, Any], version: str = "v1") -> None:
    target = repo / "protocol" / version / "protocol.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A clone whose `origin/main` holds the base protocol, checked out on a feature branch."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    work = init(tmp_path / "work")
    write_protocol(work, as_version_1(fixture("type-changed", "previous")))
    commit_all(work, "base protocol")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "--quiet", "origin", "main")
    git(work, "fetch", "--quiet", "origin")
    git(work, "switch", "--quiet", "-c", "feature")
    return work


def pull_request(repo: Path, scratch: Path, **inputs: str) -> ActionRun:
    return run_action(repo, scratch, {**INPUTS, **inputs}, env={**TOOL_PATH, "GITHUB_BASE_REF": "main", "GITHUB_EVENT_NAME": "pull_request"})


def test_compatible_then_breaking_commit_on_a_pull_request(repo: Path, tmp_path: Path) -> None:
    write_protocol(repo, as_version_1(fixture("description-changed", "current")))
    commit_all(repo, "compatible: a description changed")
    compatible = pull_request(repo, tmp_path / "run-1")
    assert compatible.exit_code == 0, compatible.stdout
    assert compatible.step("Check the protocol").outputs == {"status": "0"}
    assert compatible.step("Diff against the base").outputs == {"status": "0"}
    assert [a.split(" ", 1)[0] for a in compatible.annotations()] == ["::notice"]
    assert "title=description-changed::" in compatible.annotations()[0]
    assert "### threadloom check\n\nProtocol OK." in compatible.summary
    assert "### threadloom diff against `origin/main`" in compatible.summary
    assert "0 breaking, 0 possibly breaking, 1 compatible change(s). Old clients keep working with the new server." in compatible.summary

    write_protocol(repo, as_version_1(fixture("type-changed", "current")))
    commit_all(repo, "breaking: PingParams.name became a number")
    breaking = pull_request(repo, tmp_path / "run-2")
    assert breaking.exit_code == 1
    assert breaking.steps[-1].name == "Verdict" and "check 0, diff 1, replay skipped" in breaking.steps[-1].stdout
    [annotation] = breaking.annotations()
    match = re.fullmatch(r"::error file=protocol/v1/protocol\.json,line=(\d+),title=type-changed::(.+)", annotation)
    assert match, annotation
    line = (repo / "protocol" / "v1" / "protocol.json").read_text(encoding="utf-8").splitlines()[int(match.group(1)) - 1]
    assert '"name"' in line
    assert "old clients ERR (read by the server)" in match.group(2)
    assert "#### Breaking changes" in breaking.summary and "1 change(s) break old clients." in breaking.summary


def test_a_declared_break_is_a_warning_unless_declared_breaks_are_refused(repo: Path, tmp_path: Path) -> None:
    document = as_version_1(REGRESSIONS_DIR / "declared-break" / "current" / "protocol.json")
    write_protocol(repo, document)
    commit_all(repo, "declared break")
    allowed = pull_request(repo, tmp_path / "allowed")
    assert allowed.exit_code == 0
    [annotation] = allowed.annotations()
    assert annotation.startswith("::warning ") and "title=property-became-required (declared break)" in annotation
    assert "**Declared break:** servers need the count to size the reply." in allowed.summary

    refused = pull_request(repo, tmp_path / "refused", **{"allow-declared-breaks": "false"})
    assert refused.exit_code == 1
    assert refused.annotations()[0].startswith("::error ")


def test_check_findings_become_annotations_at_their_line(repo: Path, tmp_path: Path) -> None:
    shutil.copy(REGRESSIONS_DIR / "unmarked-addition" / "previous" / "protocol.json", repo / "protocol" / "v1" / "protocol.json")
    (repo / "protocol" / "v2").mkdir()
    shutil.copy(REGRESSIONS_DIR / "unmarked-addition" / "current" / "protocol.json", repo / "protocol" / "v2" / "protocol.json")
    commit_all(repo, "v2 with unmarked additions")
    run = pull_request(repo, tmp_path / "run")
    assert run.exit_code == 1
    assert run.step("Check the protocol").outputs == {"status": "1"}
    check_annotations = [a for a in run.annotations() if "title=threadloom check%3A additions-marked" in a]
    assert len(check_annotations) == 3
    assert all(re.match(r"::error file=protocol/v2/protocol\.json,line=\d+,", a) for a in check_annotations)
    assert "| `protocol/v2/protocol.json#/$defs/VideoItem` | `additions-marked` |" in run.summary


def test_push_compares_with_the_commit_before(repo: Path, tmp_path: Path) -> None:
    before = git(repo, "rev-parse", "HEAD")
    write_protocol(repo, as_version_1(fixture("type-changed", "current")))
    commit_all(repo, "breaking")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"before": before, "after": git(repo, "rev-parse", "HEAD")}, indent=2), encoding="utf-8")
    run = run_action(repo, tmp_path / "run", INPUTS, env={**TOOL_PATH, "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event)})
    assert run.exit_code == 1
    assert f"### threadloom diff against `{before}`" in run.summary


def test_no_base_skips_the_diff_with_a_notice(repo: Path, tmp_path: Path) -> None:
    run = run_action(repo, tmp_path / "run", INPUTS, env=TOOL_PATH)
    assert run.exit_code == 0
    assert run.annotations() == [
        "::notice title=threadloom diff::nothing to compare with (no base branch, no previous commit, no 'against' input): diff skipped"
    ]
    assert run.step("Diff against the base").outputs == {}


def test_an_unknown_base_is_an_input_error(repo: Path, tmp_path: Path) -> None:
    run = run_action(repo, tmp_path / "run", {**INPUTS, "against": "no-such-ref"}, env=TOOL_PATH)
    assert run.exit_code == 2
    assert run.step("Diff against the base").outputs == {"status": "2"}
    assert "Could not compare with `no-such-ref` (exit 2)" in run.summary


def test_replay_runs_when_a_server_is_given(repo: Path, tmp_path: Path) -> None:
    from tests.diff.helpers import ROOT

    transcript = ROOT / "conformance" / "transcripts" / "v1" / "command-accept.jsonl"
    shutil.rmtree(repo / "protocol")
    shutil.copytree(ROOT / "protocol", repo / "protocol")
    commit_all(repo, "our protocol")
    run = pull_request(repo, tmp_path / "run", **{"replay-server": "threadloom serve --store :memory:", "replay-transcripts": str(transcript)})
    assert run.step("Replay transcripts").outputs == {"status": "0"}, run.step("Replay transcripts").stdout
    assert "### threadloom replay" in run.summary


def test_install_none_without_threadloom_on_path_fails_clearly(repo: Path, tmp_path: Path) -> None:
    run = run_action(repo, tmp_path / "run", INPUTS, env={"PATH": "/usr/bin:/bin"})
    assert run.exit_code == 2
    assert run.annotations() == ["::error title=threadloom::install: none, but threadloom is not on PATH"]


def test_inputs_reach_scripts_only_through_env() -> None:
    """No `${{ }}` inside a script: input values cannot inject shell code."""
    for step in load_action()["runs"]["steps"]:
        assert "${{" not in step["run"], step["name"]


FAKE_PYTHON = """#!/bin/sh
# Stands in for python: `-m venv DIR` makes DIR/bin/python (this script); anything else is logged.
if [ "$1" = -m ] && [ "$2" = venv ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && echo "venv $3" >> "$FAKE_PYTHON_LOG"
else
  echo "$*" >> "$FAKE_PYTHON_LOG"
fi
"""


@pytest.mark.parametrize(
    ("inputs", "installed"),
    [
        ({}, ["{root}/generator"]),
        ({"replay-server": "my-server"}, ["{root}/generator", "{root}/bindings/runtime/python", "{root}/conformance"]),
        ({"install": "threadloom==0.1.0"}, ["threadloom==0.1.0"]),
    ],
)
def test_install_step_makes_a_virtual_environment_and_puts_it_on_path(tmp_path: Path, inputs: dict[str, str], installed: list[str]) -> None:
    """The install step's logic, with a stand-in python (no network): what it installs, and PATH."""
    from tests.ci.actionrunner import ROOT

    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON, encoding="utf-8")
    fake.chmod(0o755)
    log = tmp_path / "python.log"
    scratch = tmp_path / "runner"
    run = run_action(tmp_path, scratch, {"python": str(fake), **inputs}, env={**TOOL_PATH, "FAKE_PYTHON_LOG": str(log)})
    install = run.step("Install threadloom")
    assert install.code == 0, install.stderr
    venv = scratch / "threadloom-venv"
    packages = [p.format(root=ROOT) for p in installed]
    assert log.read_text(encoding="utf-8").splitlines() == [f"venv {venv}", " ".join(["-m", "pip", "install", "--quiet", *packages])]
    assert (scratch / "github-path").read_text(encoding="utf-8").splitlines() == [str(venv / "bin")]
