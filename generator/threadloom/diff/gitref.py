"""`threadloom diff --against REF`: the same protocol path as it is at a git ref.

The path is exported with `git archive` into a temporary folder (no hand-made copies, no
checkout of the working tree), so the old side is read by the same loader as the new one.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from threadloom.errors import InputError

GIT_HINT = "give a branch, tag or commit, e.g. --against main or --against origin/main"


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise InputError("git", "git is not installed", hint="--against needs git on PATH") from None


def _existing_folder(path: Path) -> Path:
    """The folder git runs in: the path itself, or its nearest existing parent."""
    folder = path if path.is_dir() else path.parent
    while not folder.is_dir():
        folder = folder.parent
    return folder


def repository_root(path: Path) -> Path:
    folder = _existing_folder(path.resolve())
    done = _git(folder, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise InputError(path, "not inside a git repository", hint="--against compares with a git ref; give OLD and NEW paths instead")
    return Path(done.stdout.decode().strip())


def resolve_commit(root: Path, ref: str) -> str:
    if ref.startswith("-"):
        raise InputError("--against", f"`{ref}` is not a git ref", hint=GIT_HINT)
    done = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise InputError("--against", f"unknown git ref `{ref}` in {root}", hint=GIT_HINT)
    return done.stdout.decode().strip()


def export_at_ref(path: Path, ref: str, into: Path) -> Path:
    """Write `path` (a file or folder of the working tree) as it is at `ref` under `into`; return
    where it now lives there. Exit-2 errors for: not a git repository, unknown ref, path absent."""
    root = repository_root(path)
    commit = resolve_commit(root, ref)
    relative = path.resolve().relative_to(root).as_posix()
    spec = relative if relative != "." else "."
    done = _git(root, "archive", "--format=tar", commit, "--", spec)
    if done.returncode != 0:
        raise InputError(path, f"does not exist at `{ref}` ({commit[:12]})", hint="is the path the same on both sides?")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into / relative
