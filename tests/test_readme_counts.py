"""The finding counts the README states for the real releases are the ones the reports say."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = {
    "Codex 0.100.0 → 0.130.0": "codex-0.100.0-to-0.130.0.md",
    "Codex 0.130.0 → 0.169.0": "codex-0.130.0-to-0.169.0.md",
    "Codex 0.169.0 → 0.171.0": "codex-0.169.0-to-0.171.0.md",
    "ACP sdk 0.4.5 → 2.4.0 (protocol v1)": "acp-0.4.5-to-2.4.0.md",
}
SUMMARY = re.compile(
    r"^(\d+) breaking, (\d+) possibly breaking, (\d+) compatible change\(s\)\. "
    r"(?:(\d+) change\(s\) break old clients|Old clients keep working)",
    re.M,
)


def readme_rows() -> dict[str, list[int]]:
    rows = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells and cells[0] in REPORTS:
            rows[cells[0]] = [int(cell) for cell in cells[1:]]
    return rows


def report_counts(name: str) -> list[int]:
    match = SUMMARY.search((ROOT / "docs" / "real-world" / name).read_text(encoding="utf-8"))
    assert match, f"{name} has no summary line"
    return [int(match[1]), int(match[2]), int(match[3]), int(match[4] or 0)]


def test_the_readme_states_each_reports_counts() -> None:
    rows = readme_rows()
    assert set(rows) == set(REPORTS)
    for label, report in REPORTS.items():
        assert rows[label] == report_counts(report), label
