"""A server -> client notification was added: old clients receive a method they do not know."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.generator.diff.context import DiffContext, Placed
from threadloom.generator.diff.findings import Level, method_hit
from threadloom.generator.diff.rules import RuleInfo
from threadloom.generator.diff.rules._methods import added, describe, is_experimental
from threadloom.generator.model import Direction, Kind

RULE = RuleInfo("server-notification-added", "a server -> client notification was added: old clients receive an unknown method", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for method in added(ctx):
        if method.direction is Direction.SERVER_TO_CLIENT and method.kind is Kind.NOTIFICATION:
            gated = ctx.is_gated(method.since)
            note = f" (since v{method.since}: sent only to clients that negotiated it)" if gated else ""
            hit = method_hit(f"new server {describe(method)}{note}", Level.INFO if gated else Level.WARN, Level.INFO)
            yield Placed(hit, "/x-methods", method.pointer, (method.name,), is_experimental(method))
