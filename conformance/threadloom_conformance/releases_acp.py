"""Pinned ACP releases from npm, unpacked once into the shared cache.

`acp_package_dir("2.4.0")` runs `npm pack @agentclientprotocol/sdk@2.4.0` (the tarball ships the
schema; see docs/real-world/acp-mapping.md for which file is which) and unpacks it to
`~/.cache/threadloom/releases/acp-sdk@<version>/package/`. Several processes may ask at once: each
unpacks into its own temporary folder and renames it into place; the first rename wins.

`python -m threadloom_conformance.releases_acp 0.4.5 2.4.0` prints the folders (fetching them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@agentclientprotocol/sdk"
CACHE_ENV = "THREADLOOM_RELEASES"
# Generous: only detects a hung npm, never a slow one.
NPM_TIMEOUT_SECONDS = 600


class ReleaseError(Exception):
    """A release that cannot be fetched (no npm, no network, unknown version)."""


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "threadloom" / "releases")


def acp_package_dir(version: str) -> Path:
    """The unpacked npm package (`.../package`) of `@agentclientprotocol/sdk@<version>`."""
    final = cache_root() / f"acp-sdk@{version}"
    if (final / "package" / "package.json").is_file():
        return final / "package"
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final.parent, prefix=f".acp-sdk-{version}-") as scratch:
        work = Path(scratch)
        tarball = _npm_pack(version, work)
        staged = work / "unpacked"
        with tarfile.open(tarball) as archive:
            archive.extractall(staged, filter="data")
        try:
            staged.rename(final)
        except OSError:
            if not (final / "package" / "package.json").is_file():
                raise
    return final / "package"


def acp_schema_dir(version: str) -> Path:
    """The package's `schema/` folder (what `threadloom --protocol` reads)."""
    return acp_package_dir(version) / "schema"


def _npm_pack(version: str, into: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise ReleaseError("npm is not installed: it fetches the pinned ACP releases")
    try:
        done = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{version}", "--silent", "--pack-destination", str(into)],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"npm pack {PACKAGE}@{version} did not finish in {NPM_TIMEOUT_SECONDS} s") from None
    tarballs = sorted(into.glob("*.tgz"))
    if done.returncode != 0 or not tarballs:
        raise ReleaseError(f"npm pack {PACKAGE}@{version} failed: {done.stderr.strip()[-500:]}")
    return tarballs[0]


if __name__ == "__main__":
    for wanted in sys.argv[1:]:
        print(acp_package_dir(wanted))
