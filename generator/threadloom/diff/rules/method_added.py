"""A client -> server method was added.

Old clients do not call it. New clients calling an old server get MethodNotFound, which is
expected when the method is marked `since` the new version (they see the negotiated version).
"""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level, method_hit
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import added, describe, is_experimental
from threadloom.model import Direction

RULE = RuleInfo("method-added", "a client -> server method was added", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for method in added(ctx):
        if method.direction is Direction.CLIENT_TO_SERVER:
            gated = ctx.is_gated(method.since)
            if gated:
                note = f" (since v{method.since})"
            else:
                marked = f"marked since v{method.since}: " if ctx.tracks_since else ""
                note = f" ({marked}old servers answer MethodNotFound)"
            hit = method_hit(f"new {describe(method)}{note}", Level.INFO, Level.INFO if gated else Level.WARN)
            yield Placed(hit, "/x-methods", method.pointer, (method.name,), is_experimental(method))
