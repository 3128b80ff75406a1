"""`threadloom diff`: classify every change between two protocol versions.

Entry points: `diff_paths(old, new)` for files or version folders, `diff_protocols(old, new)`
for loaded protocols. Rules live in `rules/` (one module each), output formats in `report/`.
"""

from __future__ import annotations

from pathlib import Path

from threadloom.diff.context import Options
from threadloom.diff.engine import diff_protocols
from threadloom.diff.findings import Audience, DiffFinding, Level, Role
from threadloom.loader import load_protocols
from threadloom.model import Protocol

__all__ = ["Audience", "DiffFinding", "Level", "Options", "Role", "diff_paths", "diff_protocols", "load_side"]


def load_side(path: Path, format: str | None = None) -> Protocol:
    """One side of a diff: the latest version `path` holds, in any format the loader knows (a
    document, a version folder, a folder of versions, another vendor's export)."""
    return load_protocols(path, format)[-1]


def diff_paths(old: Path, new: Path, options: Options | None = None) -> tuple[Protocol, Protocol, list[DiffFinding]]:
    before, after = load_side(old), load_side(new)
    return before, after, diff_protocols(before, after, options)
