"""`LineFramer`: however the input is cut into chunks, the same lines (and oversized refusals) come out."""

from __future__ import annotations

import random

import pytest

from threadloom_runtime.framing import SNIFF_BYTES, LineFramer, OversizedMessage

LIMIT = 5000


def expected(data: bytes) -> list[object]:
    """What a framer must produce for `data` followed by end of input, computed the plain way."""
    *complete, last = data.split(b"\n")
    out: list[object] = []
    for line in complete:
        if len(line) > LIMIT:
            out.append(("too large", line[:SNIFF_BYTES], line[-SNIFF_BYTES:]))
        elif line.strip():
            out.append(line)
    if len(last) > LIMIT:
        out.append(("too large", last[:SNIFF_BYTES], last[-SNIFF_BYTES:]))
    elif last.strip():
        out.append(last.strip())
    return out


def framed(chunks: list[bytes]) -> list[object]:
    framer = LineFramer(LIMIT)
    out: list[object] = []

    def drain(at_end: bool) -> None:
        while True:
            try:
                line = framer.next_line()
                if line is None and at_end:
                    line = framer.last_line()
                    if line is None:
                        return
            except OversizedMessage as refused:
                out.append(("too large", refused.head, refused.tail))
                continue
            if line is None:
                return
            out.append(line)

    for chunk in chunks:
        framer.feed(chunk)
        drain(at_end=False)
        assert framer.buffered_bytes <= LIMIT + len(chunk)  # bounded, whatever the line lengths
    drain(at_end=True)
    return out


def random_input(rng: random.Random) -> bytes:
    lines = []
    for index in range(rng.randint(1, 40)):
        kind = rng.random()
        if kind < 0.1:
            lines.append(rng.choice([b"", b"  ", b"\t \r"]))
        elif kind < 0.2:
            lines.append(b'{"big":"' + bytes([97 + index % 26]) * rng.randint(LIMIT - 20, 3 * LIMIT) + b'"}')
        else:
            lines.append(b'{"id":%d,"pad":"%s"}' % (index, b"x" * rng.randint(0, 300)))
    return b"\n".join(lines) + rng.choice([b"\n", b"", b"\n\n", b"  "])


def random_chunks(rng: random.Random, data: bytes) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), k=min(len(data) - 1, rng.randint(0, 30)))) if len(data) > 1 else []
    return [data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@pytest.mark.parametrize("seed", range(40))
def test_any_chunking_gives_the_lines_of_the_whole_input(seed: int) -> None:
    rng = random.Random(seed)
    data = random_input(rng)
    assert framed(random_chunks(rng, data)) == expected(data)


def test_a_line_split_at_every_byte_and_chunks_of_many_lines() -> None:
    data = b'{"a":1}\n\n{"b":2}\n' + b"y" * (LIMIT + 1) + b'\n{"c":3}'
    assert framed([data[i : i + 1] for i in range(len(data))]) == expected(data)
    assert framed([data]) == expected(data)
