"""The generated conformance suite: what the plugin emits, and that the suite runs against a server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conformance.helpers import FAKE, FAKE_CMD, ROOT
from threadloom.generate import GENERATED_MARKER, Context
from threadloom.plugins import conformance as plugin


@pytest.fixture
def project(tmp_path: Path, v1_transcript: Path) -> Path:
    """A project root with the real protocol documents and one v1 transcript."""
    shutil.copytree(ROOT / "protocol", tmp_path / "protocol")
    target = tmp_path / "conformance" / "transcripts" / "v1" / "turns.jsonl"
    target.parent.mkdir(parents=True)
    shutil.copy(v1_transcript, target)
    return tmp_path


def write_suite(root: Path) -> dict[str, str]:
    files = plugin.generate(Context(root=root))
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content)
    return files


def run_suite(root: Path, server: str, *node_ids: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(root), "--server", server, "--fuzz-examples", "5", *node_ids]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)


def test_plugin_output(project: Path) -> None:
    files = write_suite(project)
    assert sorted(files) == [
        "conformance/suite/conftest.py",
        "conformance/suite/suite.json",
        "conformance/suite/test_fuzz.py",
        "conformance/suite/test_transcripts.py",
    ]
    assert all(GENERATED_MARKER in content[:400] for content in files.values())
    suite = json.loads(files["conformance/suite/suite.json"])
    assert suite["transcripts"] == [{"version": 1, "path": "transcripts/v1/turns.jsonl"}]
    assert "thread/fork" in suite["versions"]["2"]["requestMethods"] and "thread/fork" not in suite["versions"]["1"]["requestMethods"]
    assert suite["versions"]["2"]["initialize"]["protocolVersions"] == [2, 1]
    assert plugin.generate(Context(root=project)) == files  # deterministic


def test_without_transcripts_no_transcript_module(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "protocol", tmp_path / "protocol")
    files = plugin.generate(Context(root=tmp_path))
    assert "conformance/suite/test_transcripts.py" not in files


def test_generated_suite_passes_against_a_good_server(project: Path) -> None:
    write_suite(project)
    fuzz = "conformance/suite/test_fuzz.py::test_request_params"
    outcome = run_suite(
        project,
        FAKE_CMD,
        "conformance/suite/test_transcripts.py",
        f"{fuzz}[v1-thread/read-valid]",
        f"{fuzz}[v1-thread/read-invalid]",
        f"{fuzz}[v2-turn/start-invalid]",
    )
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    assert "4 passed" in outcome.stdout


def test_generated_suite_fails_against_a_crashing_server(project: Path) -> None:
    write_suite(project)
    crashing = " ".join([*FAKE, "--crash-on", "thread/read"])
    outcome = run_suite(project, crashing, "conformance/suite/test_fuzz.py::test_request_params[v1-thread/read-valid]", "conformance/suite/test_transcripts.py")
    assert outcome.returncode == 1
    assert "crashing on thread/read" in outcome.stdout
    assert "2 failed" in outcome.stdout


def test_generated_suite_requires_a_server(project: Path) -> None:
    write_suite(project)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(project), "conformance/suite/test_transcripts.py"]
    outcome = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=120)
    assert outcome.returncode == 1
    assert "needs the server to test" in outcome.stdout
