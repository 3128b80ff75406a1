"""The size contract: the server never sends a message larger than the stated limit.

`--max-message-bytes` (8 MiB by default) bounds every message in both directions. What the
server controls is shaped to fit before it is sent (server/README.md, "Limits and guarantees"):
- a turn's input, a command and a diff an approval must show in full are refused beyond
  `shown_budget` (a quarter of the limit), so approvals never show a cut text;
- an item, a turn and a thread's history that would not fit have their long strings cut with a
  marker (`[threadloom: N more bytes not shown ...]`); when cutting strings is not enough, the
  oldest turns of a history are returned without their items;
- a `thread/list` page stops early (with a `nextCursor`) before it outgrows the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

JsonDict = dict[str, Any]
UNCUT_KEYS = frozenset({"id", "type", "status", "kind", "path", "threadId", "turnId", "itemId", "cwd"})
STRING_CAPS = (1024 * 1024, 64 * 1024, 8 * 1024, 1024, 256)


def envelope_bytes(max_message_bytes: int) -> int:
    """Room left for the JSON-RPC envelope and the ids around a payload."""
    return min(4096, max_message_bytes // 4)


def payload_budget(max_message_bytes: int) -> int:
    return max_message_bytes - envelope_bytes(max_message_bytes)


def shown_budget(max_message_bytes: int) -> int:
    """Largest turn input, command or diff: shown whole in one message, with room to spare."""
    return max(256, max_message_bytes // 4)


def size(value: Any) -> int:
    return len(orjson.dumps(value))


def marker(cut: int) -> str:
    return f"\u2026[threadloom: {cut} more bytes not shown; the message size limit applies]"


def cut_string(text: str, cap: int) -> str:
    data = text.encode()
    if len(data) <= cap:
        return text
    return data[:cap].decode(errors="ignore") + marker(len(data) - cap)


def cut_strings(value: Any, cap: int, key: str | None = None) -> Any:
    """`value` with every string longer than `cap` bytes cut (ids and other short keys kept whole)."""
    if isinstance(value, str):
        return value if key in UNCUT_KEYS else cut_string(value, cap)
    if isinstance(value, dict):
        return {name: cut_strings(inner, cap, name) for name, inner in value.items()}
    if isinstance(value, list):
        return [cut_strings(inner, cap, key) for inner in value]
    return value


def fit(value: Any, budget: int) -> Any:
    """`value` itself when it fits `budget` bytes, else with its long strings cut until it does (or cannot)."""
    if size(value) <= budget:
        return value
    for cap in STRING_CAPS:
        smaller = cut_strings(value, cap)
        if size(smaller) <= budget:
            return smaller
    return cut_strings(value, STRING_CAPS[-1])


def fit_turns(turns: list[JsonDict], budget: int) -> list[JsonDict]:
    """A history that fits: long strings cut first, then the oldest turns lose their items."""
    fitted: list[JsonDict] = fit(turns, budget)
    index = 0
    while size(fitted) > budget and index < len(fitted):
        fitted[index] = {**fitted[index], "items": []}
        index += 1
    return fitted


def fit_thread(thread: JsonDict, budget: int) -> JsonDict:
    turns = thread.get("turns")
    if not isinstance(turns, list):
        return thread
    rest = {key: value for key, value in thread.items() if key != "turns"}
    return {**rest, "turns": fit_turns(turns, budget - size(rest))}


def fit_page(page: JsonDict, budget: int, cursor_of: Callable[[JsonDict], str]) -> JsonDict:
    """A `thread/list` page cut short (with a cursor to the rest) when it would outgrow the budget."""
    kept: list[JsonDict] = []
    used = size({"data": [], "nextCursor": "x" * 128})
    for thread in page["data"]:
        thread = fit(thread, budget - used)  # a thread stored before names were bounded may alone be too big
        used += size(thread) + 1
        if used > budget and kept:
            return {"data": kept, "nextCursor": cursor_of(kept[-1])}
        kept.append(thread)
    return {**page, "data": kept}
