"""A transport of the `x-protocol` header was removed or changed (framing, paths, headers, limits)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Hit, Level, method_hit
from threadloom.diff.rules import RuleInfo
from threadloom.errors import pointer_join

RULE = RuleInfo("transport-changed", "a transport was removed or its settings changed: peers built for the old settings may fail to connect", "protocol")

LIMIT = "maxMessageBytes"


def check(ctx: DiffContext) -> Iterator[Placed]:
    old_transports: dict[str, Any] = ctx.old.transports or {}
    new_transports: dict[str, Any] = ctx.new.transports or {}
    for name, old in old_transports.items():
        where = pointer_join("x-protocol", "transports", name)
        new = new_transports.get(name)
        if not isinstance(new, dict):
            yield Placed(method_hit(f"transport `{name}` was removed", Level.ERR, None), where, "/x-protocol/transports")
            continue
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                yield Placed(_setting_hit(name, key, old.get(key), new.get(key)), where + pointer_join(key), where + pointer_join(key))


def _setting_hit(transport: str, key: str, before: Any, after: Any) -> Hit:
    text = f"transport `{transport}`: `{key}` {before!r} -> {after!r}"
    if key == LIMIT and isinstance(before, int) and isinstance(after, int):
        # A smaller limit refuses messages old clients could send; a larger one lets new clients
        # send messages an old server refuses.
        return method_hit(text, Level.WARN if after < before else Level.INFO, Level.WARN if after > before else Level.INFO)
    return method_hit(text, Level.ERR, Level.ERR)
