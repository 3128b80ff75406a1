"""`threadloom diff`: classify every change between two protocol versions.

Entry points: `diff_paths(old, new)` for files or version folders, `diff_protocols(old, new)`
for loaded protocols. Rules live in `rules/` (one module each), output formats in `report/`.
"""

from __future__ import annotations

from pathlib import Path

from threadloom.diff.context import Options
from threadloom.diff.engine import diff_protocols
from threadloom.diff.findings import Audience, DiffFinding, Level, Role
from threadloom.loader import DOCUMENT_NAME, discover_versions, load_protocol
from threadloom.model import Protocol

__all__ = ["Audience", "DiffFinding", "Level", "Options", "Role", "diff_paths", "diff_protocols", "load_side"]


def load_side(path: Path) -> Protocol:
    """One side of a diff: a document in any format the loader knows, a version folder, or a folder
    of versions (`protocol/`: its latest version)."""
    if path.is_dir() and not (path / DOCUMENT_NAME).exists():
        versions = discover_versions(path)
        if versions:
            return load_protocol(versions[-1])
    return load_protocol(path)


def diff_paths(old: Path, new: Path, options: Options | None = None) -> tuple[Protocol, Protocol, list[DiffFinding]]:
    before, after = load_side(old), load_side(new)
    return before, after, diff_protocols(before, after, options)
