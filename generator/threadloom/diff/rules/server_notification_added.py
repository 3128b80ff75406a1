"""A server -> client notification was added: old clients receive a method they do not know."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Level
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import server_methods_added
from threadloom.model import Kind

RULE = RuleInfo("server-notification-added", "a server -> client notification was added: old clients receive an unknown method", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    return server_methods_added(ctx, Kind.NOTIFICATION, Level.WARN)
