"""A throw-away git repository for tests of `diff --against` and of the GitHub Action."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Isolated from the user's and the machine's git configuration, with a fixed identity.
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Threadloom Tests",
    "GIT_AUTHOR_EMAIL": "tests@threadloom.invalid",
    "GIT_COMMITTER_NAME": "Threadloom Tests",
    "GIT_COMMITTER_EMAIL": "tests@threadloom.invalid",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def init(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "--quiet", "--initial-branch=main")
    return repo


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD")
