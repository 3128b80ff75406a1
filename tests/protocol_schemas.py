"""What many tests share: the protocol documents, standard validators for their definitions, and a
runner for test coroutines."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
import orjson

from tests.hang import RUN_HANG_LIMIT

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a test coroutine. The whole run is bounded only to stop a hung test (`RUN_HANG_LIMIT`);
    each wait inside has its own hang limit, and no assertion depends on timing."""
    return asyncio.run(asyncio.wait_for(coroutine, RUN_HANG_LIMIT))


@cache
def document(version: int) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads((ROOT / "protocol" / f"v{version}" / "protocol.json").read_bytes())
    return loaded


@cache
def validator(version: int, definition: str) -> jsonschema.Draft202012Validator:
    """A standard validator for one definition of one version (its `$ref`s resolved in the document)."""
    schema = {key: value for key, value in document(version).items() if not key.startswith("x-") and key != "anyOf"}
    schema["$ref"] = f"#/$defs/{definition}"
    return jsonschema.Draft202012Validator(schema)


def schema_errors(version: int, definition: str, value: Any) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator(version, definition).iter_errors(value)]
