"""`threadloom ci check-report`: check's JSON report as annotations and a summary section."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from threadloom.cli import main


def test_findings_become_annotations_and_a_summary_table(tmp_path: Path) -> None:
    document = tmp_path / "protocol.json"
    document.write_text('{\n  "a": {\n    "b": 1\n  }\n}\n', encoding="utf-8")
    report = tmp_path / "check.json"
    finding = {"file": str(document), "pointer": "/a/b", "rule": "naming", "message": "bad | name", "hint": "rename it"}
    report.write_text(json.dumps({"ok": False, "findings": [finding]}), encoding="utf-8")
    summary = tmp_path / "summary.md"
    result = CliRunner().invoke(main, ["ci", "check-report", str(report), "--summary", str(summary)])
    assert result.exit_code == 0
    assert result.stdout == f"::error file={document},line=3,title=threadloom check%3A naming::bad | name (#/a/b)%0Afix: rename it\n"
    assert f"| `{document}#/a/b` | `naming` | bad \\| name | rename it |" in summary.read_text(encoding="utf-8")


def test_an_empty_report_says_ok(tmp_path: Path) -> None:
    report = tmp_path / "check.json"
    report.write_text('{"ok": true, "findings": []}', encoding="utf-8")
    summary = tmp_path / "summary.md"
    result = CliRunner().invoke(main, ["ci", "check-report", str(report), "--summary", str(summary)])
    assert (result.exit_code, result.stdout) == (0, "")
    assert "Protocol OK." in summary.read_text(encoding="utf-8")


def test_a_report_that_is_not_check_json_is_an_input_error(tmp_path: Path) -> None:
    for content in ("", "[]", '{"findings": 3}'):
        report = tmp_path / "check.json"
        report.write_text(content, encoding="utf-8")
        result = CliRunner().invoke(main, ["ci", "check-report", str(report)])
        assert result.exit_code == 2, content
        assert str(report) in result.stderr and "threadloom check --format json" in result.stderr
