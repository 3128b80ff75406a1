"""Pinned ACP releases from npm, unpacked once into the shared cache.

`acp_package_dir("2.4.0")` runs `npm pack @agentclientprotocol/sdk@2.4.0` (the tarball ships the
schema; see docs/real-world/acp-mapping.md for which file is which) and unpacks it to
`~/.cache/threadloom/releases/acp-sdk@<version>/package/`. Several processes may ask at once: each
unpacks into its own temporary folder and renames it into place; the first rename wins.

`python -m threadloom_conformance.releases_acp 0.4.5 2.4.0` prints the folders (fetching them);
`python -m threadloom_conformance.releases_acp report 0.4.5 2.4.0` (re)writes the breaking-change
report docs/real-world/acp-0.4.5-to-2.4.0.md (protocol version 1 of both releases).
"""

from __future__ import annotations

import argparse
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
            [npm, "pack", f"{PACKAGE}@{version}", "--loglevel=error", "--pack-destination", str(into)],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"npm pack {PACKAGE}@{version} did not finish in {NPM_TIMEOUT_SECONDS} s") from None
    tarballs = sorted(into.glob("*.tgz"))
    if done.returncode != 0 or not tarballs:
        raise ReleaseError(f"npm pack {PACKAGE}@{version} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return tarballs[0]


REPORT_DIR = Path("docs") / "real-world"


def report_path(old: str, new: str, root: Path = Path(".")) -> Path:
    return root / REPORT_DIR / f"acp-{old}-to-{new}.md"


def render_report(old: str, new: str, protocol_version: int = 1) -> str:
    """The markdown diff of one protocol version between two releases (no local paths in it)."""
    from threadloom.diff import diff_protocols
    from threadloom.diff.report import Report, Side, render
    from threadloom.formats import acp

    sides = []
    for release in (old, new):
        protocol = next(p for p in acp.load(acp_package_dir(release)) if p.version == protocol_version)
        sides.append(protocol)
    findings = diff_protocols(sides[0], sides[1])
    labels = [Side(label=release, source=f"{PACKAGE}@{release} (ACP protocol version {protocol_version})") for release in (old, new)]
    return render("markdown", Report(labels[0], labels[1], findings, name="Agent Client Protocol"))


def write_report(old: str, new: str, root: Path = Path(".")) -> Path:
    target = report_path(old, new, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(old, new), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """`VERSION...` prints (fetching) the package folders; `report OLD NEW` rewrites the report."""
    parser = argparse.ArgumentParser(
        prog="python -m threadloom_conformance.releases_acp",
        description=__doc__.split("\n\n")[0],
        epilog=(
            "examples:\n"
            "  ... releases_acp 0.4.5 2.4.0          print the package folders\n"
            "  ... releases_acp report 0.4.5 2.4.0   rewrite docs/real-world/acp-0.4.5-to-2.4.0.md"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("versions", nargs="+", metavar="VERSION", help="sdk versions to fetch and print; or: report OLD NEW")
    args = parser.parse_args(argv)
    try:
        if args.versions[0] == "report":
            if len(args.versions) != 3:
                parser.error("report takes two versions: report OLD NEW (e.g. report 0.4.5 2.4.0)")
            print(write_report(args.versions[1], args.versions[2]))
            return 0
        for version in args.versions:
            print(acp_package_dir(version))
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
