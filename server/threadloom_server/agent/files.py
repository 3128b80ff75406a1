"""File changes of the scripted agent: confinement to the workspace, unified diffs, applying.

Paths are taken relative to the thread's cwd and resolved with symlinks followed; anything that
resolves outside the workspace root is refused before a byte is read or written. Confinement holds
at use too: every read, write and delete walks from a descriptor of the root one component at a
time without following links (O_NOFOLLOW, *at() calls), so swapping a directory for a symlink while
an approval is pending makes the change fail instead of escaping the workspace.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

NO_NEWLINE = "\\ No newline at end of file\n"


class FileChangeError(Exception):
    """A change that cannot be planned or applied; the message is shown to the user."""


@dataclass(frozen=True)
class PlannedChange:
    target: Path
    root: Path
    path: str
    """As shown on the wire (the user's path, normalized)."""
    kind: str
    """add | update | delete"""
    old: str | None
    new: str | None
    diff: str

    def wire(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind, "diff": self.diff}


def os_problem(text: str) -> str | None:
    """Why `text` cannot reach the OS exactly as shown (a NUL cuts it, a lone surrogate cannot be encoded)."""
    if "\x00" in text:
        return "it contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "it contains a lone surrogate (not valid Unicode)"
    return None


def resolve_inside(workspace_root: str, cwd: str, path: str) -> Path:
    problem = os_problem(path)
    if problem is not None:
        raise FileChangeError(f"refused: the path {path!r} cannot be used: {problem}")
    root = Path(workspace_root).resolve()
    target = (Path(cwd) / path).resolve()
    if target == root or not target.is_relative_to(root):
        raise FileChangeError(f"refused: {path} resolves to {target}, outside the workspace root {root}")
    return target


# ------------------------------------------------------------------ confined file access


def _parts(root: Path, target: Path) -> tuple[str, ...]:
    return target.relative_to(root).parts


def _open_parent(root: Path, target: Path, *, create: bool = False) -> int:
    """A descriptor of the target's directory, reached from the root without following any link."""
    descriptor = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in _parts(root, target)[:-1]:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, dir_fd=descriptor)
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


@contextlib.contextmanager
def _parent(root: Path, target: Path, *, create: bool = False) -> Iterator[int]:
    descriptor = _open_parent(root, target, create=create)
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def confined_stat(root: Path, target: Path) -> os.stat_result | None:
    """lstat of the target through the confined walk; None when it does not exist."""
    try:
        with _parent(root, target) as parent:
            return os.stat(target.name, dir_fd=parent, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):  # a file on the way: applying will say so
        return None


def confined_read(root: Path, target: Path) -> bytes:
    with _parent(root, target) as parent:
        descriptor = os.open(target.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=parent)
        with os.fdopen(descriptor, "rb") as handle:
            return handle.read()


def display_path(path: str) -> str:
    return os.path.normpath(path)


def _stat(root: Path, target: Path, path: str) -> os.stat_result | None:
    try:
        return confined_stat(root, target)
    except OSError as error:
        raise FileChangeError(f"cannot change {path}: {error.strerror or error}") from error


def plan_write(workspace_root: str, cwd: str, path: str, content: str) -> PlannedChange:
    problem = os_problem(content)
    if problem is not None and "NUL" not in problem:
        raise FileChangeError(f"refused: the content for {path} cannot be written: {problem}")
    target = resolve_inside(workspace_root, cwd, path)
    root = Path(workspace_root).resolve()
    found = _stat(root, target, path)
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise FileChangeError(f"cannot write {path}: it is a directory")
    old = _read_text(root, target, path) if found is not None else None
    shown = display_path(path)
    return PlannedChange(target, root, shown, "add" if old is None else "update", old, content, unified_diff(shown, old, content))


def plan_delete(workspace_root: str, cwd: str, path: str) -> PlannedChange:
    target = resolve_inside(workspace_root, cwd, path)
    root = Path(workspace_root).resolve()
    found = _stat(root, target, path)
    if found is None or not stat.S_ISREG(found.st_mode):
        raise FileChangeError(f"cannot delete {path}: no such file")
    old = _read_text(root, target, path)
    shown = display_path(path)
    return PlannedChange(target, root, shown, "delete", old, None, unified_diff(shown, old, None))


def apply_change(change: PlannedChange) -> None:
    """Apply the change inside the root (no link followed); raises FileChangeError with a readable reason."""
    try:
        if change.new is None:
            with _parent(change.root, change.target) as parent:
                os.unlink(change.target.name, dir_fd=parent)
        else:
            _write_atomically(change.root, change.target, change.new)
    except OSError as error:
        swapped = error.errno == errno.ELOOP
        reason = "a directory on the way was replaced by a link since the change was planned" if swapped else error.strerror or error
        raise FileChangeError(f"cannot {'delete' if change.new is None else 'write'} {change.path}: {reason}") from error


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

    _baseline: dict[Path, tuple[Path, str, str | None]] = field(default_factory=dict)

    def remember(self, change: PlannedChange) -> None:
        self._baseline.setdefault(change.target, (change.root, change.path, change.old))

    def render(self) -> str:
        parts = []
        for target, (root, path, before) in self._baseline.items():
            try:
                now: str | None = confined_read(root, target).decode("utf-8", errors="replace")
            except OSError:
                now = None
            if now != before:
                parts.append(unified_diff(path, before, now))
        return "".join(parts)


def _read_text(root: Path, target: Path, path: str) -> str:
    try:
        return confined_read(root, target).decode("utf-8")
    except UnicodeDecodeError:
        raise FileChangeError(f"cannot change {path}: it is not a UTF-8 text file") from None
    except OSError as error:
        raise FileChangeError(f"cannot read {path}: {error.strerror or error}") from error


def _write_atomically(root: Path, target: Path, content: str) -> None:
    """Write a sibling temporary file, then rename it over the target: readers never see half a file.

    Both names live in a directory reached without following links; the rename replaces whatever
    the target name is (a link too) instead of writing through it.
    """
    with _parent(root, target, create=True) as parent:
        existing = _lstat_or_none(target.name, parent)
        mode = existing.st_mode & 0o7777 if existing is not None and stat.S_ISREG(existing.st_mode) else None
        temporary = f".{target.name}.{uuid.uuid4().hex}.tmp"
        # 0o666 lets the umask decide, like any new file; an existing file keeps its mode.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666, dir_fd=parent)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
                if mode is not None:
                    os.fchmod(handle.fileno(), mode)
                handle.write(content)
            os.replace(temporary, target.name, src_dir_fd=parent, dst_dir_fd=parent)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=parent)
            raise


def _lstat_or_none(name: str, parent: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None
