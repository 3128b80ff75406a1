"""Builds tests/diff/regressions/<case>/{previous,current}/protocol.json: one fixture per wrong answer
`diff` or `check` used to give (issue 15). Each is a small change to the rule fixtures' BASE.

Run `python -m tests.diff.regression_builder` after editing; a test checks that the committed
fixtures match. The verdicts they must produce are asserted in tests/diff/test_regressions.py.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from tests.diff.fixture_builder import BASE, Doc, Mutation, _noop, _obj, _string, defs, write_files

REGRESSIONS_DIR = Path(__file__).parent / "regressions"
PR = "/$defs/PingResult"


def _declared_required_count(doc: Doc) -> None:
    """Making a property required, declared on purpose: still a break, with its reason."""
    defs(doc)["PingParams"]["required"].append("count")
    doc["x-protocol"]["breaks"] = [
        {"rule": "property-became-required", "pointer": "/$defs/PingParams/properties/count", "reason": "servers need the count to size the reply"}
    ]


def _mode_in_both_roles(doc: Doc) -> None:
    """`Mode` is read (PingParams) and written (PingResult) by the server."""
    defs(doc)["PingResult"]["properties"]["mode"] = {"$ref": "#/$defs/Mode"}


def _mode_gains_a_value(doc: Doc) -> None:
    _mode_in_both_roles(doc)
    defs(doc)["Mode"]["enum"].append("medium")
    defs(doc)["Mode"]["x-enum-since"] = {"medium": 2}


def _message_removed_declared_at_parent(doc: Doc) -> None:
    """The old suggested fix: a declaration at the parent's pointer."""
    del defs(doc)["PingResult"]["properties"]["message"]
    defs(doc)["PingResult"]["required"].remove("message")
    doc["x-protocol"]["breaks"] = [{"rule": "property-removed", "pointer": PR, "reason": "replaced by status"}]


def _open_item_union(doc: Doc) -> None:
    defs(doc)["Item"]["x-open"] = True


def _unmarked_additions(doc: Doc) -> None:
    """A new property and a new union variant (with its definition), none marked `x-since`."""
    _open_item_union(doc)
    defs(doc)["PingResult"]["properties"]["note"] = _string("A remark.")
    video = {"type": {"const": "video", "description": "Always `video`."}, "url": _string("Where.")}
    defs(doc)["VideoItem"] = _obj("A video.", video, ["type", "url"])
    defs(doc)["Item"]["oneOf"].append({"$ref": "#/$defs/VideoItem"})


CASES: dict[str, tuple[Mutation, Mutation]] = {
    # name: (previous, current)
    "declared-break": (_noop, _declared_required_count),
    "duplicate-change": (_mode_in_both_roles, _mode_gains_a_value),
    "declaration-at-parent": (_noop, _message_removed_declared_at_parent),
    "unmarked-addition": (_open_item_union, _unmarked_additions),
}


def build(case: str) -> tuple[Doc, Doc]:
    previous_edit, current_edit = CASES[case]
    previous, current = copy.deepcopy(BASE), copy.deepcopy(BASE)
    previous_edit(previous)
    current_edit(current)
    current["x-protocol"]["version"] = 2
    return previous, current


def rendered_files() -> dict[Path, str]:
    files = {}
    for case in CASES:
        for side, document in zip(("previous", "current"), build(case), strict=True):
            files[REGRESSIONS_DIR / case / side / "protocol.json"] = json.dumps(document, indent=2) + "\n"
    return files


def main() -> None:
    write_files(rendered_files())


if __name__ == "__main__":
    main()
