"""A method was removed (or renamed).

Old clients calling a removed client -> server method break, unless it was deprecated and its
announced removal version has come. New clients meeting an old server may still receive a removed
server -> client method.
"""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import DiffContext, Placed
from threadloom.diff.findings import Hit, Level, method_hit
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._methods import is_experimental
from threadloom.model import Direction, Kind, Method

RULE = RuleInfo("method-removed", "a method was removed or renamed", "protocol")


def check(ctx: DiffContext) -> Iterator[Placed]:
    for method in ctx.old.methods:
        if ctx.new.method(method.name) is not None:
            continue
        remove_in = method.deprecation.remove_in if method.deprecation else None
        window_passed = remove_in is not None and remove_in <= ctx.new.version
        text = f"{method.kind} `{method.name}` removed"
        if window_passed:
            text += f", deprecated for removal in v{remove_in}"
        elif remove_in is not None:
            text += f" before its announced removal in v{remove_in}"
        yield Placed(_levels(method, text, window_passed), method.pointer, "/x-methods", (method.name,), is_experimental(method))


def _levels(method: Method, text: str, window_passed: bool) -> Hit:
    if method.direction is Direction.CLIENT_TO_SERVER:
        return method_hit(text, Level.INFO if window_passed else Level.ERR, None)
    still_sent = Level.ERR if method.kind is Kind.REQUEST else Level.WARN
    return method_hit(text, Level.INFO, Level.INFO if window_passed else still_sent)
