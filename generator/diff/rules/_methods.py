"""Helpers shared by the method-table rules (not a rule)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.generator.diff.context import DiffContext
from threadloom.generator.model import Direction, Method, Stability


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
