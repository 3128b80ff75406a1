"""The engine validates against documents in other shapes than Threadloom's own: a draft-07 export
with `definitions`, inline union variants tagged by one-value enums and no `discriminator` (the
shape of Codex's `generate-json-schema` export), reached through definition pointers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from threadloom_conformance.protocol import ProtocolDoc

ITEM_VARIANTS: list[dict[str, Any]] = [
    {
        "title": "AgentMessageThreadItem",
        "type": "object",
        "properties": {"type": {"type": "string", "enum": ["agentMessage"]}, "id": {"type": "string"}, "text": {"type": "string"}},
        "required": ["type", "id", "text"],
    },
    {
        "title": "ReasoningThreadItem",
        "type": "object",
        "properties": {"type": {"type": "string", "enum": ["reasoning"]}, "id": {"type": "string"}, "summary": {"type": "array", "items": {"type": "string"}}},
        "required": ["type", "id", "summary"],
    },
]
DOCUMENT = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "definitions": {
        "ThreadItem": {"oneOf": ITEM_VARIANTS},
        "ItemStartedNotification": {"type": "object", "properties": {"item": {"$ref": "#/definitions/ThreadItem"}}, "required": ["item"]},
    },
}
DOC = ProtocolDoc(
    path=Path("codex.json"), document=DOCUMENT, name="codex-app-server", version=1, pointers={"ItemStartedNotification": "/definitions/ItemStartedNotification"}
)


def problems(params: dict[str, Any]) -> list[tuple[tuple[str | int, ...], bool]]:
    return [(issue.path, issue.undeclared) for issue in DOC.validate("ItemStartedNotification", params, ("params",))]


def test_a_valid_item_passes() -> None:
    assert problems({"item": {"type": "reasoning", "id": "i1", "summary": ["thinking"]}}) == []


def test_an_error_points_at_the_field_of_the_variant_its_tag_picks() -> None:
    assert problems({"item": {"type": "agentMessage", "id": "i1", "text": 42}}) == [(("params", "item", "text"), False)]


def test_an_unknown_tag_is_undeclared() -> None:
    assert problems({"item": {"type": "plan", "id": "i1"}}) == [(("params", "item", "type"), True)]
