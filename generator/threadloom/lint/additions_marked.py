"""Lint rule `additions-marked`: what a version adds carries the version it appeared in.

protocol/README.md promises it ("Additions are marked"): servers speaking an older version to a
client leave out what that version does not have, and they can only do so when each addition says
when it appeared. Unlike the other lint rules this one needs the previous version, so `check` runs
it on every consecutive pair (threadloom/compat.py), on the additions the diff finds:

- a definition, a property: `x-since` on it;
- a union variant: `x-since` on the variant's definition;
- an enum value: `x-enum-since: {"value": N}` on the enum (JSON Schema has no place per value);
- a method: its `since`.

The mark must be newer than the previous version. Only formats that have these marks are judged
(Threadloom's own); adapters of other vendors' exports have no `since` to check.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from threadloom.diff.context import FORMATS_WITH_SINCE
from threadloom.diff.findings import DiffFinding
from threadloom.findings import Finding, display_path
from threadloom.model import Protocol

RULE_ID = "additions-marked"
ADDITION_RULES = frozenset(
    {
        "definition-added",
        "property-optional-added",
        "property-required-added",
        "union-variant-added",
        "enum-value-added",
        "method-added",
        "server-notification-added",
        "server-request-added",
    }
)


def unmarked_additions(old: Protocol, new: Protocol, diffs: Iterable[DiffFinding]) -> list[Finding]:
    if new.format not in FORMATS_WITH_SINCE:
        return []
    seen: set[str] = set()
    findings = []
    for diff in diffs:
        if diff.rule not in ADDITION_RULES or diff.new_pointer in seen:
            continue
        seen.add(diff.new_pointer)
        for message, hint in _problems(old, new, diff):
            findings.append(Finding(display_path(new.source), diff.new_pointer, RULE_ID, message, hint))
    return findings


def _problems(old: Protocol, new: Protocol, diff: DiffFinding) -> Iterator[tuple[str, str]]:
    parent, _, last = diff.new_pointer.rpartition("/")
    node = resolve(new.document, diff.new_pointer)
    if diff.rule == "enum-value-added":
        marks = resolve(new.document, parent.rsplit("/", 1)[0]).get("x-enum-since", {})
        mark, where = marks.get(node) if isinstance(marks, dict) else None, f"enum value `{node}`"
        fix = f'add `"x-enum-since": {{"{node}": {new.version}}}` to the enum'
    elif diff.rule == "union-variant-added":
        target = new.definitions.get(str(node.get("$ref", "")).rsplit("/", 1)[-1]) if isinstance(node, dict) else None
        mark, where = (target.schema.get("x-since") if target else None), f"union variant `{target.name if target else last}`"
        fix = f'add `"x-since": {new.version}` to the variant\'s definition'
    elif diff.rule.endswith("-added") and diff.new_pointer.startswith("/x-methods/"):
        mark, where = node.get("since"), f"method `{node.get('method')}`"
        fix = f'set `"since": {new.version}`'
    else:
        mark, where = node.get("x-since") if isinstance(node, dict) else None, _what(diff.rule, last)
        fix = f'add `"x-since": {new.version}`'
    if not isinstance(mark, int) or mark <= old.version:
        shown = "no mark" if mark is None else f"marked {mark}"
        yield f"{where} is new in {new.label} but has {shown}", fix


def _what(rule: str, name: str) -> str:
    return f"definition `{name}`" if rule == "definition-added" else f"property `{name}`"


def resolve(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node.get(key, {}) if isinstance(node, dict) else {}
    return node
