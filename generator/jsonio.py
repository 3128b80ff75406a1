"""Reading and writing JSON the same way everywhere (stable formatting, clear errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from threadloom.generator.errors import InputError


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, expected a JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def dumps_stable(value: Any) -> str:
    """The one JSON text format for files Threadloom writes: 2-space indent, trailing newline."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
