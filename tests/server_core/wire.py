"""Validation of store and agent output against the v2 protocol document's definitions."""

from __future__ import annotations

from typing import Any

import jsonschema

from tests.protocol_schemas import document, validator


def _definitions() -> dict[str, Any]:
    definitions: dict[str, Any] = document(2)["$defs"]
    return definitions


def _validator(name: str) -> jsonschema.Draft202012Validator:
    return validator(2, name)


def assert_wire(name: str, instance: Any) -> None:
    """Fail with every schema violation of `instance` as a v2 `name`."""
    errors = sorted(_validator(name).iter_errors(instance), key=lambda error: list(error.absolute_path))
    assert not errors, f"not a valid v2 {name}: " + "; ".join(f"{list(error.absolute_path)}: {error.message}" for error in errors)


def assert_strict_item(item: dict[str, Any]) -> None:
    """A ThreadItem that matches its variant exactly, with no member the variant does not declare."""
    assert_wire("ThreadItem", item)
    variant = {"userMessage": "UserMessageItem", "agentMessage": "AgentMessageItem", "commandExecution": "CommandExecutionItem"}.get(item["type"])
    variant = variant or {"fileChange": "FileChangeItem", "reasoning": "ReasoningItem", "plan": "PlanItem"}[item["type"]]
    declared = set(_definitions()[variant]["properties"])
    assert set(item) <= declared, f"{item['type']} has undeclared members {set(item) - declared}"
