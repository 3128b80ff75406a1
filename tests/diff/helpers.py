"""Shared helpers for the diff tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from tests.diff.fixture_builder import FIXTURES_DIR
from threadloom.cli import main

ROOT = Path(__file__).resolve().parents[2]


def fixture(rule: str, side: str) -> Path:
    return FIXTURES_DIR / rule / side / "protocol.json"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["diff", *map(str, args)])


def run_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = run(*args, "--format", "json")
    data: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, data


def write_document(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def load_document(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
