"""JSON-lines framing under a size limit, for any transport that receives bytes in chunks.

Memory stays bounded by the size limit plus one chunk: an oversized line is discarded as it streams
in; only its first and last `SNIFF_BYTES` are kept (on the `OversizedMessage` raised for it) so the
connection can tell whose message it was. Blank lines are skipped; at end of input a last line
without a newline still counts.
"""

from __future__ import annotations

from threadloom_runtime.errors import MessageTooLarge

SNIFF_BYTES = 4096


class OversizedMessage(MessageTooLarge):
    """`MessageTooLarge` with the first and last bytes of the discarded message: enough to find its id."""

    def __init__(self, limit_bytes: int, head: bytes, tail: bytes) -> None:
        super().__init__(limit_bytes)
        self.head = head
        self.tail = tail


class LineFramer:
    """Lines of the chunks fed in. The usual chunk holds whole lines: they are cut out of it directly;
    only a line that spans chunks is put together in a buffer."""

    def __init__(self, max_message_bytes: int) -> None:
        self._limit = max_message_bytes
        self._chunk = b""  # the latest chunk, taken up to `_start`
        self._start = 0
        self._buffer = bytearray()  # input not yet taken when the latest chunk came: a line spanning chunks
        self._discarding = False  # inside a line that already went over the limit
        self._head = b""
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        if self._buffer or self._start < len(self._chunk):
            self._buffer += self._chunk[self._start :]
            self._buffer += chunk
            self._chunk, self._start = b"", 0
        else:
            self._chunk, self._start = chunk, 0

    def next_line(self) -> bytes | None:
        """The next complete line, or None until more input arrives; raises OversizedMessage for a discarded one."""
        if not self._buffer:
            chunk, start = self._chunk, self._start
            while (end := chunk.find(b"\n", start)) >= 0:
                line = chunk[start:end]
                self._start = start = end + 1
                if line and not self._discarding and len(line) <= self._limit and not line.isspace():
                    return line
                if (taken := self._take(line)) is not None:
                    return taken
            if start < len(chunk):
                self._buffer += chunk[start:]  # the beginning of a line still on its way
                self._chunk, self._start = b"", 0
            elif not self._buffer and not self._discarding:
                return None
        return self._next_buffered_line()

    def _next_buffered_line(self) -> bytes | None:
        buffer = self._buffer
        while (end := buffer.find(b"\n")) >= 0:
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            if (taken := self._take(line)) is not None:
                return taken
        if len(buffer) > self._limit or (self._discarding and buffer):
            # No newline yet and already too long: keep only what identifies the message.
            if not self._discarding:
                self._head = bytes(buffer[:SNIFF_BYTES])
            self._tail = (self._tail + bytes(buffer))[-SNIFF_BYTES:]
            self._discarding = True
            buffer.clear()
        return None

    def _take(self, line: bytes) -> bytes | None:
        """A complete line: itself, None if blank; OversizedMessage if over the limit (or the end of a discarded one)."""
        if self._discarding:
            self._discarding = False
            raise self._too_large(line)
        if len(line) > self._limit:
            self._head = line[:SNIFF_BYTES]
            raise self._too_large(line)
        return None if not line or line.isspace() else line

    def has_line(self) -> bool:
        """A complete line (or the end of a discarded one) is waiting."""
        return b"\n" in self._buffer or self._chunk.find(b"\n", self._start) >= 0

    @property
    def buffered_bytes(self) -> int:
        return len(self._buffer) + len(self._chunk) - self._start

    def last_line(self) -> bytes | None:
        """At end of input, after `next_line` returned None: the final line without a newline, if any."""
        if self._discarding:
            self._discarding = False
            rest = bytes(self._buffer)
            self._buffer.clear()
            raise self._too_large(rest)
        line = bytes(self._buffer).strip()
        self._buffer.clear()
        return line or None

    def _too_large(self, rest: bytes) -> OversizedMessage:
        error = OversizedMessage(self._limit, self._head, (self._tail + rest)[-SNIFF_BYTES:])
        self._head = self._tail = b""
        return error
