"""What every benchmark shares: figures with a target and a baseline from the same run, medians,
the printed table and bench/RESULTS.md.

A benchmark never fails the build: it prints what it measured, next to its target and to a
baseline measured on the same machine in the same run, so a slow machine shows as a slow baseline
rather than as a regression.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: float | None = None  # None: reported, no target
    higher_is_better: bool = True
    baseline_name: str = ""
    baseline_value: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def row(self) -> list[str]:
        target = "" if self.target is None else f"{'>=' if self.higher_is_better else '<='} {fmt(self.target)}"
        baseline = f"{self.baseline_name} {fmt(self.baseline_value)}" if self.baseline_value is not None else ""
        ratio = f"{self.ratio:.2f}x" if self.ratio is not None else ""
        verdict = {True: "ok", False: "MISS", None: ""}[self.met]
        return [self.name, f"{fmt(self.value)} {self.unit}", target, baseline, ratio, verdict, self.note]


HEADER = ["figure", "value", "target", "baseline (same run)", "ratio", "", "note"]


def fmt(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip() or "no node"
    return f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; Node {node}; {platform.system()} {platform.release()}"


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows)


def markdown(figures: list[Figure]) -> str:
    lines = ["| " + " | ".join(h or "met" for h in HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in f.row()) + " |" for f in figures]
    return "\n".join(lines)


def write_results(figures: list[Figure], path: Path, notes: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"# Benchmark results\n\nMeasured {stamp} by `make bench` on: {machine()}.\n\n{markdown(figures)}\n"
    if notes:
        text += f"\n{notes.strip()}\n"
    path.write_text(text, encoding="utf-8")
