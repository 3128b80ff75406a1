"""Colours only on a terminal, never with NO_COLOR (https://no-color.org)."""

from __future__ import annotations

import io

import pytest

from tests.diff.helpers import fixture, run
from threadloom.terminal import wants_color


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "env", "expected"),
    [
        (Terminal(), {}, True),
        (Terminal(), {"NO_COLOR": "1"}, False),
        (Terminal(), {"NO_COLOR": ""}, True),  # the convention: set and not empty
        (Terminal(), {"TERM": "dumb"}, False),
        (io.StringIO(), {}, False),
    ],
)
def test_colour_policy(monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, env: dict[str, str], expected: bool) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert wants_color(stream) is expected


def test_diff_text_has_no_escape_codes_when_not_a_terminal() -> None:
    result = run(fixture("type-changed", "previous"), fixture("type-changed", "current"))
    assert result.exit_code == 1 and "\x1b[" not in result.stdout
