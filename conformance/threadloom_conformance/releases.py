"""Pinned real releases of the protocols Threadloom reads, fetched from npm into a shared cache.

Every release lives in its own folder, `~/.cache/threadloom/releases/<name>@<version>/` (or under
`$THREADLOOM_RELEASES`), outside the repository and shared by every checkout on the machine. A
folder is built in a temporary sibling and renamed into place in one step, so a reader never sees
half a release and two processes fetching the same release at once both end up with a complete one.

Codex (`@openai/codex`), folder `codex@<version>/`:

    package/                  the npm install prefix (node_modules/... holds the binary)
    schema/                   `codex app-server generate-json-schema --out schema`
    schema-experimental/      the same with `--experimental`
    */threadloom-release.json marker the Codex adapter reads: package, version, experimental flag
                              and (experimental export) where the stable export of that release is

API: `codex_binary(version)`, `codex_export(version, experimental=False)`. CLI:

    python -m threadloom_conformance.releases codex 0.100.0 0.169.0 [--experimental]   # prints export paths
    python -m threadloom_conformance.releases report codex                             # docs/real-world/*.md

Extension point for another protocol (ACP): add a fetch function that builds its folder with
`_build_atomically(folder_name, build)` and register it in `FETCHERS` (CLI `python -m ...
releases <kind> VERSION...`), its pinned versions in `PINNED`, and a report writer in `REPORTERS`
(`_write_report` does the work given two loaded protocols).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from threadloom.errors import EXIT_OK, EXIT_USAGE, InputError

if TYPE_CHECKING:
    from threadloom.model import Protocol

CODEX_PACKAGE = "@openai/codex"
MARKER = "threadloom-release.json"  # read by generator/threadloom/formats/codex.py
STABLE_DIR = "schema"
EXPERIMENTAL_DIR = "schema-experimental"
# Releases the real-world tests and reports use, oldest first: far apart, so that the diffs between
# consecutive ones have much to find (0.100.0 still has the root/v2 name clashes).
PINNED: dict[str, tuple[str, ...]] = {
    "codex": ("0.100.0", "0.130.0", "0.169.0", "0.171.0"),
}
# npm and the binary only hang when something is wrong: generous limits that only detect a hang.
INSTALL_TIMEOUT_S = 1800
EXPORT_TIMEOUT_S = 600


class ReleaseError(InputError):
    """A release that cannot be fetched or exported (no network, unknown version, ...)."""


def cache_root() -> Path:
    configured = os.environ.get("THREADLOOM_RELEASES")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "threadloom" / "releases"


def release_folder(name: str, version: str) -> Path:
    return cache_root() / f"{name}@{version}"


def codex_folder(version: str) -> Path:
    """The complete release folder of one Codex version, fetched and exported if not cached."""
    return _build_atomically(f"codex@{version}", lambda tmp: _build_codex(version, tmp))


def codex_binary(version: str) -> Path:
    return _find_codex_binary(codex_folder(version) / "package")


def codex_export(version: str, experimental: bool = False) -> Path:
    """The folder written by `codex app-server generate-json-schema` (with `--experimental`)."""
    return codex_folder(version) / (EXPERIMENTAL_DIR if experimental else STABLE_DIR)


def _build_atomically(folder_name: str, build: Callable[[Path], None]) -> Path:
    """Build into a temporary sibling, then rename into place; a complete folder is never rebuilt."""
    final = cache_root() / folder_name
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder_name}.", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the cache is shared
    try:
        build(tmp)
        try:
            tmp.rename(final)
        except OSError:
            if not final.is_dir():  # not a lost race with another fetch of the same release
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _build_codex(version: str, folder: Path) -> None:
    package = folder / "package"
    spec = f"{CODEX_PACKAGE}@{version}"
    _run(["npm", "install", "--prefix", str(package), "--no-audit", "--no-fund", "--loglevel=error", spec], INSTALL_TIMEOUT_S, spec)
    binary = _find_codex_binary(package)
    for directory, experimental in ((STABLE_DIR, False), (EXPERIMENTAL_DIR, True)):
        out = folder / directory
        command = [str(binary), "app-server", "generate-json-schema", "--out", str(out)]
        _run([*command, "--experimental"] if experimental else command, EXPORT_TIMEOUT_S, str(binary))
        marker = {"package": CODEX_PACKAGE, "version": version, "experimental": experimental}
        if experimental:
            marker["stableExport"] = f"../{STABLE_DIR}"
        (out / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _find_codex_binary(package: Path) -> Path:
    """The Linux x86-64 binary: `.../x86_64-unknown-linux-musl/codex/codex` (older: `.../bin/codex`)."""
    modules = package / "node_modules"
    candidates = sorted(p for p in modules.rglob("codex") if p.is_file() and "x86_64-unknown-linux-musl" in p.parts and os.access(p, os.X_OK))
    if not candidates:
        raise ReleaseError(modules, "no x86_64-unknown-linux-musl codex binary in the installed package")
    return candidates[0]


def _run(command: list[str], timeout: float, what: str) -> None:
    env = {**os.environ, "CODEX_HOME": tempfile.mkdtemp(prefix="threadloom-codex-home.")}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except FileNotFoundError:
        raise ReleaseError(what, f"cannot run {command[0]!r}: not installed") from None
    except subprocess.TimeoutExpired:
        raise ReleaseError(what, f"`{' '.join(command)}` hung for {timeout:.0f} s") from None
    finally:
        shutil.rmtree(env["CODEX_HOME"], ignore_errors=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise ReleaseError(what, f"`{' '.join(command)}` failed ({done.returncode}): {' | '.join(tail)}")


def codex_reports(out: Path) -> list[Path]:
    """docs/real-world/codex-<a>-to-<b>.md: the diff between consecutive pinned releases."""
    from threadloom.formats import codex

    protocols = [codex.load(codex_export(version))[0] for version in PINNED["codex"]]
    return [_write_report(out, "codex", CODEX_PACKAGE, old, new) for old, new in itertools.pairwise(protocols)]


def _write_report(out: Path, kind: str, package: str, old: Protocol, new: Protocol) -> Path:
    from threadloom.diff import diff_protocols
    from threadloom.diff.report import Report, Side
    from threadloom.diff.report.markdown import render

    findings = diff_protocols(old, new)
    sides = [Side(p.release, f"{package}@{p.release}") for p in (old, new)]
    counts = Counter((f.level.name, f.audience.value) for f in findings)
    table = "".join(f"| {level} | {counts[(level, 'old-clients')]} | {counts[(level, 'new-clients')]} |\n" for level in ("ERR", "WARN", "INFO"))
    preface = (
        f"<!-- generated by `python -m threadloom_conformance.releases report {kind}`: do not edit -->\n\n"
        f"Releases `{package}@{old.release}` and `{package}@{new.release}` (stable exports of `codex app-server "
        f"generate-json-schema`), read by the `{kind}` adapter and compared by `threadloom diff`: "
        f"{len(findings)} findings.\n\n| level | old clients | new clients |\n|---|---|---|\n{table}\n"
    )
    body = render(Report(sides[0], sides[1], findings, name=f"{package}"))
    path = out / f"{kind}-{old.release}-to-{new.release}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(preface + body.rstrip("\n") + "\n", encoding="utf-8")
    return path


# kind -> function(out folder) -> report files written; ACP adds its own entry.
REPORTERS: dict[str, Callable[[Path], list[Path]]] = {"codex": codex_reports}

# kind -> function(version, experimental) -> path printed by the CLI; ACP adds its own entry.
FETCHERS: dict[str, Callable[[str, bool], Path]] = {
    "codex": lambda version, experimental: codex_export(version, experimental),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m threadloom_conformance.releases", description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", help=f"{', '.join(sorted(FETCHERS))}, or `report` to rewrite docs/real-world/")
    parser.add_argument("versions", nargs="*", help="versions to fetch (default: the pinned ones); for `report`: the kind")
    parser.add_argument("--experimental", action="store_true", help="print the experimental export's path")
    parser.add_argument("--out", type=Path, default=Path("docs/real-world"), help="`report`: the folder of the reports")
    args = parser.parse_args(argv)
    try:
        if args.kind == "report":
            for kind in args.versions or sorted(REPORTERS):
                if kind not in REPORTERS:
                    parser.error(f"no reports for {kind!r} (known: {', '.join(sorted(REPORTERS))})")
                for path in REPORTERS[kind](args.out):
                    print(path)
            return EXIT_OK
        fetch = FETCHERS.get(args.kind)
        if fetch is None:
            parser.error(f"unknown kind {args.kind!r} (known: {', '.join(sorted(FETCHERS))}, report)")
        for version in args.versions or PINNED[args.kind]:
            print(fetch(version, args.experimental))
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
