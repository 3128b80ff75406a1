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
    def __init__(self, max_message_bytes: int) -> None:
        self._limit = max_message_bytes
        self._buffer = bytearray()
        self._discarding = False  # inside a line that already went over the limit
        self._head = b""
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk

    def next_line(self) -> bytes | None:
        """The next complete line, or None until more input arrives; raises OversizedMessage for a discarded one."""
        buffer = self._buffer
        while (end := buffer.find(b"\n")) >= 0:
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            if self._discarding:
                self._discarding = False
                raise self._too_large(line)
            if len(line) > self._limit:
                self._head = line[:SNIFF_BYTES]
                raise self._too_large(line)
            if line.strip():
                return line
        if len(buffer) > self._limit or (self._discarding and buffer):
            # No newline yet and already too long: keep only what identifies the message.
            if not self._discarding:
                self._head = bytes(buffer[:SNIFF_BYTES])
            self._tail = (self._tail + bytes(buffer))[-SNIFF_BYTES:]
            self._discarding = True
            buffer.clear()
        return None

    def has_line(self) -> bool:
        """A complete line (or the end of a discarded one) is waiting."""
        return b"\n" in self._buffer

    @property
    def buffered_bytes(self) -> int:
        return len(self._buffer)

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
