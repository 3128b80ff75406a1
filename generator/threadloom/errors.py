"""Errors that end a command with a clear message instead of a traceback.

Exit codes, documented in the README: 0 success, 1 findings (check/diff/replay failures),
2 usage or input errors (missing file, invalid JSON, not a protocol document).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


@dataclass
class InputError(Exception):
    """Input that cannot be processed at all: names the file and, where known, the JSON pointer."""

    file: Path | str
    message: str
    pointer: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.pointer is not None:
            where += f"#{self.pointer}"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


def pointer_join(*parts: object) -> str:
    """Build a JSON pointer (RFC 6901) from unescaped parts."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + p for p in escaped)
