"""File changes of the scripted agent: confinement to the workspace, unified diffs, applying.

Paths are taken relative to the thread's cwd and resolved with symlinks followed; anything that
resolves outside the workspace root is refused before a byte is read or written.
"""

from __future__ import annotations

import difflib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

NO_NEWLINE = "\\ No newline at end of file\n"


class FileChangeError(Exception):
    """A change that cannot be planned or applied; the message is shown to the user."""


@dataclass(frozen=True)
class PlannedChange:
    target: Path
    path: str
    """As shown on the wire (the user's path, normalized)."""
    kind: str
    """add | update | delete"""
    old: str | None
    new: str | None
    diff: str

    def wire(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind, "diff": self.diff}


def resolve_inside(workspace_root: str, cwd: str, path: str) -> Path:
    root = Path(workspace_root).resolve()
    target = (Path(cwd) / path).resolve()
    if target == root or not target.is_relative_to(root):
        raise FileChangeError(f"refused: {path} resolves to {target}, outside the workspace root {root}")
    return target


def display_path(path: str) -> str:
    return os.path.normpath(path)


def plan_write(workspace_root: str, cwd: str, path: str, content: str) -> PlannedChange:
    target = resolve_inside(workspace_root, cwd, path)
    if target.is_dir():
        raise FileChangeError(f"cannot write {path}: it is a directory")
    old = _read_text(target, path) if target.exists() else None
    shown = display_path(path)
    return PlannedChange(target, shown, "add" if old is None else "update", old, content, unified_diff(shown, old, content))


def plan_delete(workspace_root: str, cwd: str, path: str) -> PlannedChange:
    target = resolve_inside(workspace_root, cwd, path)
    if not target.is_file():
        raise FileChangeError(f"cannot delete {path}: no such file")
    old = _read_text(target, path)
    shown = display_path(path)
    return PlannedChange(target, shown, "delete", old, None, unified_diff(shown, old, None))


def apply_change(change: PlannedChange) -> None:
    """Apply the change; raises FileChangeError with a readable reason."""
    try:
        if change.new is None:
            change.target.unlink()
        else:
            _write_atomically(change.target, change.new)
    except OSError as error:
        raise FileChangeError(f"cannot {'delete' if change.new is None else 'write'} {change.path}: {error.strerror or error}") from error


def unified_diff(path: str, old: str | None, new: str | None) -> str:
    """A unified diff; /dev/null stands for the missing side of an add or a delete."""
    before = "/dev/null" if old is None else f"a/{path}"
    after = "/dev/null" if new is None else f"b/{path}"
    lines = difflib.unified_diff((old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True), before, after)
    text = "".join(line if line.endswith("\n") else line + "\n" + NO_NEWLINE for line in lines)
    # difflib prints nothing for an empty new file; keep the headers so the add is visible.
    return text or f"--- {before}\n+++ {after}\n"


@dataclass
class TurnDiff:
    """The turn's aggregated diff: every touched file, from its state before the turn to now."""

    _baseline: dict[Path, tuple[str, str | None]] = field(default_factory=dict)

    def remember(self, change: PlannedChange) -> None:
        self._baseline.setdefault(change.target, (change.path, change.old))

    def render(self) -> str:
        parts = []
        for target, (path, before) in self._baseline.items():
            now = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else None
            if now != before:
                parts.append(unified_diff(path, before, now))
        return "".join(parts)


def _read_text(target: Path, path: str) -> str:
    try:
        return target.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FileChangeError(f"cannot change {path}: it is not a UTF-8 text file") from None
    except OSError as error:
        raise FileChangeError(f"cannot read {path}: {error.strerror or error}") from error


def _write_atomically(target: Path, content: str) -> None:
    """Write a sibling temporary file, then rename it over the target: readers never see half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    # 0o666 lets the umask decide, like any new file; an existing file keeps its mode.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
