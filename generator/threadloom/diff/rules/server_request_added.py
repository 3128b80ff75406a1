"""A server -> client request was added: old clients cannot answer it, unless it is version-gated."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import server_methods_added
from threadloom.model import Kind

RULE = RuleInfo("server-request-added", "a server -> client request was added: old clients cannot answer it", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    return server_methods_added(ctx, Kind.REQUEST, Level.ERR)
