"""Helpers shared by the method-table rules (not a rule)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level, method_hit
from threadloom.model import Direction, Kind, Method, Stability


def added(ctx: DiffContext) -> Iterator[Method]:
    for method in ctx.new.methods:
        if ctx.old.method(method.name) is None:
            yield method


def kept(ctx: DiffContext) -> Iterator[tuple[Method, Method]]:
    for new in ctx.new.methods:
        old = ctx.old.method(new.name)
        if old is not None:
            yield old, new


def is_experimental(*methods: Method) -> bool:
    return any(m.stability is Stability.EXPERIMENTAL for m in methods)


def arrow(method: Method) -> str:
    return "client → server" if method.direction is Direction.CLIENT_TO_SERVER else "server → client"


def describe(method: Method) -> str:
    """`request `thread/fork``, with the stability when it is not stable."""
    stability = f"{method.stability} " if method.stability is not Stability.STABLE else ""
    return f"{stability}{method.kind} `{method.name}`"


def server_methods_added(ctx: DiffContext, kind: Kind, ungated: Level) -> Iterator[Placed]:
    """New server -> client methods of one kind. Old clients get `ungated` unless the method is
    newer than their version, in which case servers only send it to clients that negotiated it."""
    for method in added(ctx):
        if method.direction is Direction.SERVER_TO_CLIENT and method.kind is kind:
            gated = ctx.is_gated(method.since)
            note = f" (since v{method.since}: sent only to clients that negotiated it)" if gated else ""
            hit = method_hit(f"new server {describe(method)}{note}", Level.INFO if gated else ungated, Level.INFO)
            yield Placed(hit, "/x-methods", method.pointer, (method.name,), is_experimental(method))
