"""What suits the terminal: colour only on a terminal and never with NO_COLOR (https://no-color.org);
progress lines only on an interactive terminal, never in CI logs."""

from __future__ import annotations

import os
from typing import TextIO


def wants_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def wants_progress(stream: TextIO) -> bool:
    """Progress lines on an interactive terminal only: CI logs get the result, not the chatter."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("CI")
