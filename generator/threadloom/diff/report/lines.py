"""JSON pointer -> line number in a JSON text (for annotations that point at a line)."""

from __future__ import annotations

import bisect
import json.decoder
import re
from collections.abc import Callable

from threadloom.errors import pointer_join

_SCALAR = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null")
_SPACE = re.compile(r"[ \t\r\n]*")
# The standard library's string scanner (C-accelerated), not listed in the type stubs.
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


class _Scanner:
    """A minimal JSON reader that only records where each value starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.lines: dict[str, int] = {}

    def skip(self, pos: int) -> int:
        match = _SPACE.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int, pointer: str) -> int:
        pos = self.skip(pos)
        self.lines[pointer] = bisect.bisect_left(self.newlines, pos) + 1
        char = self.text[pos : pos + 1]
        if char == "{":
            return self.members(pos + 1, pointer)
        if char == "[":
            return self.items(pos + 1, pointer)
        if char == '"':
            return int(scanstring(self.text, pos + 1)[1])
        match = _SCALAR.match(self.text, pos)
        if not match:
            raise ValueError(f"unexpected character at offset {pos}")
        return match.end()

    def members(self, pos: int, pointer: str) -> int:
        pos = self.skip(pos)
        if self.text[pos : pos + 1] == "}":
            return pos + 1
        while True:
            key, pos = scanstring(self.text, self.skip(pos) + 1)
            pos = self.skip(pos) + 1  # the colon
            pos = self.skip(self.value(pos, pointer + pointer_join(key)))
            if self.text[pos : pos + 1] != ",":
                return pos + 1  # the closing brace
            pos += 1

    def items(self, pos: int, pointer: str) -> int:
        pos = self.skip(pos)
        if self.text[pos : pos + 1] == "]":
            return pos + 1
        index = 0
        while True:
            pos = self.skip(self.value(pos, pointer + pointer_join(index)))
            index += 1
            if self.text[pos : pos + 1] != ",":
                return pos + 1  # the closing bracket
            pos += 1


def pointer_lines(text: str) -> dict[str, int]:
    """The line (1-based) where the value of every pointer starts. Raises ValueError on bad JSON."""
    scanner = _Scanner(text)
    scanner.value(0, "")
    return scanner.lines
