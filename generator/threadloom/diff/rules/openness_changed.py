"""An enum or union switched between closed and open (`x-open`)."""

from __future__ import annotations

from collections.abc import Iterator

from threadloom.diff.context import SchemaPair
from threadloom.diff.findings import Hit, Level, compat
from threadloom.diff.rules import RuleInfo
from threadloom.diff.rules._schema import label

RULE = RuleInfo("openness-changed", "an enum or union became open or closed: readers built for a closed set may not tolerate unknown members", "schema")


def check(pair: SchemaPair) -> Iterator[Hit]:
    old, new = pair.old, pair.new
    if not (isinstance(old, dict) and isinstance(new, dict) and ("enum" in new or "oneOf" in new)):
        return
    was_open, is_open = bool(old.get("x-open")), bool(new.get("x-open"))
    if was_open == is_open:
        return
    what = f"`{label(pair, pair.new_pointer)}`"
    if is_open:
        # Opening adds no member today, but it licenses additions that this diff will then call
        # compatible; readers generated from the closed schema have no unknown-member handling.
        message = f"{what} became open: later versions may add members that readers of the closed set reject"
        yield compat(message, backward=Level.INFO, forward=Level.WARN, old_pointer=pair.old_pointer, new_pointer=pair.new_pointer + "/x-open")
    else:
        message = f"{what} became closed: no member may be added any more without a breaking change"
        yield compat(message, backward=Level.INFO, forward=Level.INFO, old_pointer=pair.old_pointer + "/x-open", new_pointer=pair.new_pointer)
