"""A server -> client notification was added: old clients receive a method they do not know."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.generator.diff.context import DiffContext, Placed
from threadloom.generator.diff.findings import Level
from threadloom.generator.diff.rules import RuleInfo
from threadloom.generator.diff.rules._methods import server_methods_added
from threadloom.generator.model import Kind

RULE = RuleInfo("server-notification-added", "a server -> client notification was added: old clients receive an unknown method", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    return server_methods_added(ctx, Kind.NOTIFICATION, Level.WARN)
