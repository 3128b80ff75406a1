"""The host does not show through a Codex session: whether this machine has bubblewrap or not,
Codex finds its release's bundled bwrap first on PATH and sends the same messages, so the corpus
replays the same on a CI machine with bubblewrap as here without it."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from threadloom_conformance.codex_corpus import CORPUS, RECORDED, server_command, transcripts
from threadloom_conformance.codex_session import bundled_bubblewrap, codex_environment
from threadloom_conformance.releases import codex_binary, codex_export
from threadloom_conformance.replay import ReplayOptions, replay_sync


def test_every_recorded_release_bundles_a_bwrap_that_goes_first_on_codex_path(tmp_path: Path) -> None:
    for release in RECORDED:
        bwrap = bundled_bubblewrap(codex_binary(release))
        assert bwrap is not None and bwrap.name == "bwrap" and os.access(bwrap, os.X_OK), release
        path = codex_environment(tmp_path, bwrap.parent)["PATH"].split(os.pathsep)
        assert path[0] == str(bwrap.parent) and len(path) > 1  # the rest of PATH stays (the shell tool needs it)


def test_no_recording_holds_the_host_dependent_bubblewrap_warning() -> None:
    for folder in (CORPUS / "transcripts").iterdir():
        for transcript in folder.glob("*.jsonl"):
            assert "bubblewrap" not in transcript.read_text(encoding="utf-8"), transcript


@pytest.fixture
def host_bin() -> Iterator[Path]:
    """A folder outside every root Codex's sandbox may write to (Codex ignores a bwrap in those)."""
    folder = Path(tempfile.mkdtemp(prefix=".host-bin-", dir=Path(__file__).parent))
    yield folder
    shutil.rmtree(folder)


def test_a_host_with_its_own_bwrap_gets_the_same_session(host_bin: Path, tmp_path: Path) -> None:
    """A decoy `bwrap` on the host's PATH (as on a machine with bubblewrap installed) is never
    used, and the session replays green: the same messages as recorded here without one."""
    marker = tmp_path / "decoy-ran"
    decoy = host_bin / "bwrap"
    decoy.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n", encoding="utf-8")
    decoy.chmod(decoy.stat().st_mode | stat.S_IXUSR)
    release = RECORDED[-1]
    (transcript,) = [t for t in transcripts(release) if t.path.name == "command-approvals.jsonl"]
    server = f"env PATH={host_bin}{os.pathsep}{os.environ.get('PATH', '')} {server_command(release)}"
    assert server_command(release).startswith(sys.executable)
    (result,) = replay_sync([transcript], ReplayOptions(server=server, protocol_dir=codex_export(release)))
    assert result.passed, f"{result.failures}\n{result.stderr[-2000:]}"
    assert not marker.exists()
