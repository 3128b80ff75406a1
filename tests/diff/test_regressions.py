"""One fixture per wrong answer `diff` and `check` used to give (issue 15), each verdict asserted in
every output format: diff's text, markdown, json, junit and github, the generated changelog, and
check's text and json."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.diff.helpers import run
from tests.diff.regression_builder import CASES, REGRESSIONS_DIR, rendered_files
from threadloom.cli import main
from threadloom.loader import load_protocol
from threadloom.plugins.changelog import changelog

DECLARED_REASON = "servers need the count to size the reply"


def sides(case: str) -> tuple[Path, Path]:
    return REGRESSIONS_DIR / case / "previous", REGRESSIONS_DIR / case / "current"


def diff_outputs(case: str, *extra: str) -> dict[str, tuple[int, str]]:
    """Exit code and output of `threadloom diff` in every format, plus the generated changelog."""
    outputs = {}
    for fmt in ("text", "markdown", "json", "junit", "github"):
        result = run(*sides(case), "--format", fmt, *extra)
        outputs[fmt] = (result.exit_code, result.stdout)
    outputs["changelog"] = (0, changelog(*(load_protocol(side) for side in sides(case))))
    return outputs


def check_outputs(case: str, tmp_path: Path, current: dict[str, Any] | None = None) -> dict[str, tuple[int, str]]:
    """`threadloom check` on a protocol folder holding the case as v1 and v2."""
    previous_side, current_side = sides(case)
    shutil.copytree(previous_side, tmp_path / "v1")
    shutil.copytree(current_side, tmp_path / "v2")
    if current is not None:
        (tmp_path / "v2" / "protocol.json").write_text(json.dumps(current, indent=2), encoding="utf-8")
    outputs = {}
    for fmt in ("text", "json"):
        result = CliRunner().invoke(main, ["check", "--protocol", str(tmp_path), "--format", fmt])
        outputs[fmt] = (result.exit_code, result.stdout + result.stderr)
    return outputs


def test_committed_regression_fixtures_match_the_builder() -> None:
    stale = [str(p.relative_to(REGRESSIONS_DIR)) for p, text in rendered_files().items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"run `python -m tests.diff.regression_builder`: {stale}"
    assert sorted(CASES) == sorted(p.name for p in REGRESSIONS_DIR.iterdir() if p.is_dir())


# --- A declared break is still a break (it used to be INFO, "0 breaking", "Old clients keep working").


def test_declared_break_is_a_break_with_its_reason_in_every_diff_format() -> None:
    out = diff_outputs("declared-break")
    assert {fmt: code for fmt, (code, _) in out.items() if fmt != "changelog"} == dict.fromkeys(("text", "markdown", "json", "junit", "github"), 1)

    text = out["text"][1]
    assert text.startswith("ERR  property-became-required: `PingParams.count` is now required")
    assert f"declared break (x-protocol.breaks): {DECLARED_REASON}" in text
    assert text.rstrip().endswith("1 ERR, 0 WARN, 0 INFO; 1 declared on purpose")

    data = json.loads(out["json"][1])
    assert data["summary"] == {"ERR": 1, "WARN": 0, "INFO": 0, "declared": 1}
    [change] = data["changes"]
    assert (change["level"], change["declared"], change["failed"]) == ("ERR", DECLARED_REASON, True)
    assert {(f["audience"], f["level"], f["declared"]) for f in data["findings"]} == {("old-clients", "ERR", DECLARED_REASON), ("new-clients", "INFO", None)}

    suite = ET.fromstring(out["junit"][1]).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.get("type") == "ERR" and DECLARED_REASON in (failure.text or "")

    assert re.fullmatch(r"::error file=[^,]+,line=\d+,title=property-became-required \(declared break\)::.+\n", out["github"][1])
    assert DECLARED_REASON in out["github"][1]

    for fmt in ("markdown", "changelog"):
        document = out[fmt][1]
        assert "1 breaking, 0 possibly breaking, 0 compatible change(s). 1 change(s) break old clients (1 declared on purpose)." in document
        assert "Old clients keep working" not in document
        breaking = document[document.index("## Breaking changes") : document.index("## Possibly breaking changes")]
        assert "`PingParams.count` is now required" in breaking and f"**Declared break:** {DECLARED_REASON}." in breaking
        assert "## Compatible changes\n\nNone." in document


def test_allow_declared_passes_the_run_but_still_reports_the_break() -> None:
    out = diff_outputs("declared-break", "--allow-declared")
    assert {code for fmt, (code, _) in out.items() if fmt != "changelog"} == {0}
    assert json.loads(out["json"][1])["changes"][0]["declared"] == DECLARED_REASON
    assert out["github"][1].startswith("::warning ")  # visible, not failing
    suite = ET.fromstring(out["junit"][1]).find("testsuite")
    assert suite is not None and suite.get("failures") == "0"


def test_declaring_lets_check_pass(tmp_path: Path) -> None:
    out = check_outputs("declared-break", tmp_path)
    assert out["text"][0] == out["json"][0] == 0
    assert json.loads(out["json"][1]) == {"ok": True, "checked": [], "findings": []}


# --- One change appears once, with its roles (it used to be 4 identical lines, duplicate JUnit names).


def test_a_change_in_both_roles_appears_once_with_every_verdict_in_every_diff_format() -> None:
    out = diff_outputs("duplicate-change")
    verdicts = ["new clients WARN (read by the server)", "old clients WARN (written by the server)", "new clients INFO (written by the server)"]
    verdicts.append("old clients INFO (read by the server)")

    text = out["text"][1]
    assert text.count("gained the value `medium`") == 1
    assert all(v in text for v in verdicts)

    data = json.loads(out["json"][1])
    [change] = data["changes"]
    assert {(v["audience"], v["role"], v["level"]) for v in change["verdicts"]} == {
        ("new-clients", "read", "WARN"),
        ("old-clients", "written", "WARN"),
        ("new-clients", "written", "INFO"),
        ("old-clients", "read", "INFO"),
    }
    assert len({v["fingerprint"] for v in change["verdicts"]}) == 4

    suite = ET.fromstring(out["junit"][1]).find("testsuite")
    assert suite is not None
    assert [case.get("name") for case in suite.findall("testcase")] == ["enum-value-added /$defs/Mode/enum/2"]

    [annotation] = out["github"][1].splitlines()
    assert annotation.startswith("::warning ") and all(v in annotation for v in verdicts)

    for fmt in ("markdown", "changelog"):
        assert out[fmt][1].count("gained the value `medium`") == 1
        assert "; ".join(verdicts) in out[fmt][1]


def test_junit_names_are_unique_when_changes_share_a_rule_and_pointer() -> None:
    from threadloom.diff.findings import Audience, DiffFinding, Level, Role
    from threadloom.diff.report import group_changes
    from threadloom.diff.report.junit import case_names

    def removal(name: str) -> DiffFinding:
        return DiffFinding("property-removed", Level.WARN, Audience.OLD_CLIENTS, Role.READ, f"lost `{name}`", "/$defs/A", "/$defs/A")

    names = case_names(group_changes([removal("x"), removal("y"), removal("z")]))
    assert len(set(names)) == 3


# --- check's suggested declaration names the change's own pointer; a parent pointer declares nothing.


def test_parent_pointer_declaration_is_rejected_and_the_suggestion_is_exact(tmp_path: Path) -> None:
    out = check_outputs("declaration-at-parent", tmp_path)
    assert out["text"][0] == out["json"][0] == 1
    findings = json.loads(out["json"][1])["findings"]
    assert [(f["rule"], f["pointer"]) for f in findings] == [("compat/property-removed", "/$defs/PingResult"), ("compat/declaration", "/x-protocol/breaks/0")]
    suggested = json.loads(findings[0]["hint"].split("x-protocol.breaks: ", 1)[1])
    assert suggested["pointer"] == "/$defs/PingResult/properties/message"
    assert "/$defs/PingResult/properties/message" in findings[1]["hint"]
    assert "[compat/declaration] declared break matches no `property-removed` break at `/$defs/PingResult`" in out["text"][1]

    # The diff does not mark the break declared, in any format.
    diff = diff_outputs("declaration-at-parent")
    assert json.loads(diff["json"][1])["changes"][0]["declared"] is None
    assert "declared" not in diff["text"][1].split("\n", 2)[1]
    assert "Declared break" not in diff["markdown"][1] and "(declared break)" not in diff["github"][1]

    # Pasting the suggestion makes check pass.
    current = json.loads((sides("declaration-at-parent")[1] / "protocol.json").read_text(encoding="utf-8"))
    current["x-protocol"]["breaks"] = [{**suggested, "reason": "replaced by status"}]
    fixed = check_outputs("declaration-at-parent", tmp_path / "fixed", current)
    assert fixed["json"][0] == 0, fixed["json"][1]


# --- Additions are marked (x-since): protocol/README.md promised it, check did not enforce it.


def test_unmarked_additions_are_check_findings(tmp_path: Path) -> None:
    out = check_outputs("unmarked-addition", tmp_path)
    assert out["text"][0] == out["json"][0] == 1
    findings = json.loads(out["json"][1])["findings"]
    assert {(f["rule"], f["pointer"]) for f in findings} == {
        ("additions-marked", "/$defs/Item/oneOf/2"),
        ("additions-marked", "/$defs/PingResult/properties/note"),
        ("additions-marked", "/$defs/VideoItem"),
    }
    assert "[additions-marked] property `note` is new in v2 but has no mark" in out["text"][1]


@pytest.mark.parametrize("mark", [2, 1])
def test_marked_additions_pass_and_a_stale_mark_does_not(tmp_path: Path, mark: int) -> None:
    current = json.loads((sides("unmarked-addition")[1] / "protocol.json").read_text(encoding="utf-8"))
    current["$defs"]["PingResult"]["properties"]["note"]["x-since"] = mark
    current["$defs"]["VideoItem"]["x-since"] = mark
    out = check_outputs("unmarked-addition", tmp_path, current)
    findings = json.loads(out["json"][1])["findings"]
    if mark == 2:
        assert out["json"][0] == 0 and findings == []
    else:  # since-valid accepts 1, but an addition in v2 marked 1 claims v1 clients have it
        assert {f["rule"] for f in findings} == {"additions-marked"} and all("marked 1" in f["message"] for f in findings)


def test_an_unmarked_enum_value_is_a_finding(tmp_path: Path) -> None:
    current = json.loads((sides("duplicate-change")[1] / "protocol.json").read_text(encoding="utf-8"))
    del current["$defs"]["Mode"]["x-enum-since"]
    out = check_outputs("duplicate-change", tmp_path, current)
    findings = json.loads(out["json"][1])["findings"]
    assert [(f["rule"], f["pointer"]) for f in findings] == [("additions-marked", "/$defs/Mode/enum/2")]
    assert '"x-enum-since": {"medium": 2}' in findings[0]["hint"]
