"""`python -m threadloom_conformance.releases_acp`, as the README shows it: `--help` helps, and a
wrong call or a release that cannot be fetched ends with exit 2 and one line, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from threadloom_conformance import releases_acp


def test_help_describes_the_two_uses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        releases_acp.main(["--help"])
    assert exited.value.code == 0
    assert "report OLD NEW" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["report"], ["report", "0.4.5"], ["report", "0.4.5", "2.4.0", "3.0.0"]])
def test_a_wrong_call_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        releases_acp.main(argv)
    assert exited.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_a_release_that_cannot_be_fetched_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(releases_acp.CACHE_ENV, str(tmp_path))  # an empty cache: it must fetch
    monkeypatch.setattr(shutil, "which", lambda _name: None)  # and there is no npm
    assert releases_acp.main(["0.4.5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: npm is not installed") and "Traceback" not in err
