"""`threadloom ci`: glue for CI systems (hidden from --help; used by action.yml).

`threadloom ci check-report CHECK_JSON` turns the output of `threadloom check --format json` into
GitHub workflow annotations (one per finding, at the line of its JSON pointer) and, with
`--summary FILE`, appends a Markdown section for the job summary.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from threadloom.errors import InputError


@click.group(name="ci", hidden=True)
def command() -> None:
    """Helpers for CI systems (annotations, job summaries)."""


@command.command(name="check-report")
@click.argument("report", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--summary", type=click.Path(path_type=Path, dir_okay=False), help="Append a Markdown section to this file (e.g. $GITHUB_STEP_SUMMARY).")
def check_report(report: Path, summary: Path | None) -> None:
    """Annotations (stdout) and a summary section from a `threadloom check --format json` report."""
    findings = _read_findings(report)
    for finding in findings:
        click.echo(check_annotation(finding))
    if summary:
        with summary.open("a", encoding="utf-8") as out:
            out.write(check_summary(findings))


def _read_findings(report: Path) -> list[dict[str, str]]:
    try:
        data: Any = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(report, f"not a `threadloom check --format json` report: {error}") from None
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list):
        raise InputError(report, "not a `threadloom check --format json` report: no `findings` list")
    return [f for f in findings if isinstance(f, dict)]


def check_annotation(finding: dict[str, str]) -> str:
    from threadloom.diff.report.github import escape_data, escape_property, line_of

    file, pointer = finding.get("file", ""), finding.get("pointer", "")
    properties = [f"file={escape_property(file)}"]
    line = line_of(Path(file), pointer)
    if line:
        properties.append(f"line={line}")
    properties.append(f"title={escape_property('threadloom check: ' + finding.get('rule', ''))}")
    text = f"{finding.get('message', '')} (#{pointer})" + (f"\nfix: {finding['hint']}" if finding.get("hint") else "")
    return f"::error {','.join(properties)}::{escape_data(text)}"


def check_summary(findings: list[dict[str, str]]) -> str:
    if not findings:
        return "### threadloom check\n\nProtocol OK.\n\n"
    rows = [
        f"| `{f.get('file', '')}#{f.get('pointer', '')}` | `{f.get('rule', '')}` | {_cell(f.get('message', ''))} | {_cell(f.get('hint', ''))} |"
        for f in findings
    ]
    return "\n".join(["### threadloom check", "", f"{len(findings)} finding(s).", "", "| where | rule | problem | fix |", "|---|---|---|---|", *rows, "", ""])


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
