"""`make bench`: run every suite, print the table, write bench/RESULTS.md.

Usage: python -m bench [--runs N] [--only SUITE ...] [--no-write]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from bench.harness import HEADER, ROOT, Figure, machine, table, write_results

SUITES = ["stdio", "streaming", "http", "hostile", "store", "memory", "codegen", "diff", "runtime", "codex", "codex_bindings", "vs_codex"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=7, help="runs per figure; the median is reported")
    parser.add_argument("--only", nargs="*", choices=SUITES, help="run only these suites")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite bench/RESULTS.md")
    args = parser.parse_args()
    print(f"machine: {machine()}", file=sys.stderr)
    figures: list[Figure] = []
    failed: list[str] = []
    for name in args.only or SUITES:
        try:
            module = importlib.import_module(f"bench.suite_{name}")
        except ModuleNotFoundError as missing:
            if missing.name != f"bench.suite_{name}":
                raise
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            figures += module.run(args.runs)
        except Exception:
            failed.append(name)
            traceback.print_exc()
    print(table([HEADER, *(f.row() for f in figures)]))
    if not args.no_write and not args.only:
        notes_file = ROOT / "bench" / "NOTES.md"
        write_results(figures, ROOT / "bench" / "RESULTS.md", notes_file.read_text() if notes_file.exists() else "")
    if failed:
        print(f"suites that could not run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
