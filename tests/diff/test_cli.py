"""`threadloom diff` on the command line: formats, exit codes, ignore files, overrides, bad input."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.diff.helpers import fixture, load_document, run, run_json, write_document

TYPE_CHANGED = (fixture("type-changed", "previous"), fixture("type-changed", "current"))  # two ERR findings
WARN_ONLY = (fixture("method-error-added", "previous"), fixture("method-error-added", "current"))  # one WARN, one INFO
INFO_ONLY = (fixture("description-changed", "previous"), fixture("description-changed", "current"))


def test_json_report_lists_findings_with_locations_and_fingerprints() -> None:
    code, data = run_json(*TYPE_CHANGED)
    assert code == 1
    assert data["failed"] is True
    assert data["summary"] == {"ERR": 1, "WARN": 0, "INFO": 0, "declared": 0}  # one change, judged for two populations
    assert [len(c["verdicts"]) for c in data["changes"]] == [2]
    assert {f["audience"] for f in data["findings"]} == {"old-clients", "new-clients"}
    for finding in data["findings"]:
        assert finding["rule"] == "type-changed"
        assert finding["methods"] == ["ping"]
        assert finding["oldPointer"] == finding["newPointer"] == "/$defs/PingParams/properties/name"
        assert re.fullmatch(r"[0-9a-f]{16}", finding["fingerprint"])


def test_junit_report_is_valid_xml_with_one_failure_per_breaking_change() -> None:
    result = run(*TYPE_CHANGED, "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "1"
    failures = suite.findall("testcase/failure")
    assert len(failures) == 1
    assert "old clients ERR (read by the server)" in (failures[0].text or "")
    assert "new clients ERR (read by the server)" in (failures[0].text or "")


def test_junit_report_passes_findings_below_the_threshold() -> None:
    result = run(*WARN_ONLY, "--format", "junit")
    suite = ET.fromstring(result.stdout).find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    assert len(suite.findall("testcase")) == 1  # one change (WARN for old clients, INFO for new ones)


def test_github_annotations_point_at_the_changed_line() -> None:
    result = run(*TYPE_CHANGED, "--format", "github")
    lines = result.stdout.splitlines()
    assert len(lines) == 1  # one change, both verdicts in its message
    for line in lines:
        match = re.fullmatch(r"::error file=([^,]+),line=(\d+),title=type-changed::(.+)", line)
        assert match, line
        assert "new clients ERR (read by the server); old clients ERR (read by the server)" in match.group(3)
        source = Path(match.group(1))
        text = source.read_text(encoding="utf-8").splitlines()[int(match.group(2)) - 1]
        assert '"name"' in text


def test_github_annotations_use_warning_and_notice_for_lower_levels() -> None:
    commands = [line.split(" ", 1)[0] for pair in (WARN_ONLY, INFO_ONLY) for line in run(*pair, "--format", "github").stdout.splitlines()]
    assert commands == ["::warning", "::notice"]


def test_markdown_groups_by_compatibility_then_area() -> None:
    text = run(*TYPE_CHANGED, "--format", "markdown").stdout
    breaking = text.index("## Breaking changes")
    assert breaking < text.index("### Area `core`") < text.index("## Possibly breaking changes")
    assert "`type-changed`: new clients ERR (read by the server); old clients ERR (read by the server)" in text


def test_text_output_is_plain_when_not_a_terminal() -> None:
    result = run(*TYPE_CHANGED)
    assert "\x1b[" not in result.stdout
    assert "ERR  type-changed: " in result.stdout
    assert "new clients ERR (read by the server) [" in result.stdout and "old clients ERR (read by the server) [" in result.stdout
    assert result.stdout.rstrip().endswith("v1 -> v2: 1 change(s): 1 ERR, 0 WARN, 0 INFO")


@pytest.mark.parametrize(
    ("pair", "fail_on", "code"),
    [(WARN_ONLY, None, 0), (WARN_ONLY, "WARN", 1), (WARN_ONLY, "ERR", 0), (INFO_ONLY, "WARN", 0), (INFO_ONLY, "INFO", 1)],
)
def test_fail_on_sets_the_exit_code(pair: tuple[Path, Path], fail_on: str | None, code: int) -> None:
    args = [*pair, "--fail-on", fail_on] if fail_on else list(pair)
    assert run(*args).exit_code == code


def test_ignore_file_in_text_form_removes_findings(tmp_path: Path) -> None:
    _, data = run_json(*TYPE_CHANGED)
    ignore = tmp_path / "ignore.txt"
    ignore.write_text("# accepted breaks\n" + "".join(f"{f['fingerprint']} names are numbers now, agreed with clients\n" for f in data["findings"]))
    code, after = run_json(*TYPE_CHANGED, "--ignore", ignore)
    assert code == 0
    assert after["findings"] == []
    assert [i["reason"] for i in after["ignored"]] == ["names are numbers now, agreed with clients"] * 2


def test_ignore_file_in_json_form_removes_only_listed_findings(tmp_path: Path) -> None:
    _, data = run_json(*TYPE_CHANGED)
    first = data["findings"][0]
    ignore = write_document(tmp_path / "ignore.json", [{"fingerprint": first["fingerprint"], "reason": "known"}])
    code, after = run_json(*TYPE_CHANGED, "--ignore", ignore)
    assert code == 1
    assert [f["fingerprint"] for f in after["findings"]] == [f["fingerprint"] for f in data["findings"][1:]]


def test_ignore_entry_without_reason_is_an_input_error(tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.txt"
    ignore.write_text("0123456789abcdef\n")
    result = run(*TYPE_CHANGED, "--ignore", ignore)
    assert result.exit_code == 2
    assert str(ignore) in result.stderr and "no reason" in result.stderr


def test_level_override_changes_a_rule_for_both_audiences() -> None:
    code, data = run_json(*TYPE_CHANGED, "--level", "type-changed=WARN")
    assert code == 0
    assert {f["level"] for f in data["findings"]} == {"WARN"}
    assert all("level set by --level" in f["notes"] for f in data["findings"])


def test_level_override_for_one_audience_and_off() -> None:
    _, data = run_json(*TYPE_CHANGED, "--level", "type-changed:new-clients=INFO")
    assert {(f["audience"], f["level"]) for f in data["findings"]} == {("old-clients", "ERR"), ("new-clients", "INFO")}
    code, data = run_json(*TYPE_CHANGED, "--level", "type-changed=off")
    assert code == 0 and data["findings"] == []


@pytest.mark.parametrize("bad", ["no-such-rule=ERR", "type-changed", "type-changed=FATAL", "type-changed:everyone=ERR"])
def test_bad_level_override_is_a_usage_error(bad: str) -> None:
    result = run(*TYPE_CHANGED, "--level", bad)
    assert result.exit_code == 2
    assert "--level" in result.stderr


def test_audience_filter_keeps_one_population() -> None:
    code, data = run_json(*WARN_ONLY, "--audience", "new-clients")
    assert code == 0
    assert {f["audience"] for f in data["findings"]} == {"new-clients"}


def test_output_file_receives_the_report(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.md"
    result = run(*TYPE_CHANGED, "--format", "markdown", "--output", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("# fixture: changes from v1 to v2")


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "protocol.json"
    result = run(missing, TYPE_CHANGED[1])
    assert result.exit_code == 2
    assert str(missing) in result.stderr and "not found" in result.stderr


def test_version_folder_without_document_names_the_expected_file(tmp_path: Path) -> None:
    result = run(TYPE_CHANGED[0], tmp_path)
    assert result.exit_code == 2
    assert str(tmp_path / "protocol.json") in result.stderr


def test_invalid_json_names_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "protocol.json"
    broken.write_text('{\n  "x-protocol": \n}\n')
    result = run(TYPE_CHANGED[0], broken)
    assert result.exit_code == 2
    assert str(broken) in result.stderr and "invalid JSON at line 3" in result.stderr


def test_document_that_is_not_a_protocol_is_rejected(tmp_path: Path) -> None:
    other = write_document(tmp_path / "schema.json", {"type": "object"})
    result = run(other, TYPE_CHANGED[1])
    assert result.exit_code == 2
    assert str(other) in result.stderr and "not a protocol document" in result.stderr


def test_protocol_document_breaking_the_metaschema_is_rejected(tmp_path: Path) -> None:
    document = load_document(TYPE_CHANGED[1])
    del document["x-methods"][0]["area"]
    broken = write_document(tmp_path / "protocol.json", document)
    result = run(TYPE_CHANGED[0], broken)
    assert result.exit_code == 2
    assert str(broken) in result.stderr and "'area' is a required property" in result.stderr


def test_fingerprints_are_stable_between_runs() -> None:
    first = [f["fingerprint"] for f in run_json(*TYPE_CHANGED)[1]["findings"]]
    second = [f["fingerprint"] for f in run_json(*TYPE_CHANGED)[1]["findings"]]
    assert first == second and len(set(first)) == 2


def test_list_rules_names_every_rule_once() -> None:
    from threadloom.diff.rules import rule_ids

    result = run("--list-rules")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == rule_ids()


def test_ignore_entries_that_match_nothing_are_reported(tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.txt"
    ignore.write_text("ffffffffffffffff an old exception\n")
    result = run(*TYPE_CHANGED, "--ignore", ignore)
    assert result.exit_code == 1
    assert "`ffffffffffffffff` matches no finding" in result.stderr


def test_unwritable_output_is_an_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run(*TYPE_CHANGED, "--output", blocker / "report.txt")
    assert result.exit_code == 2
    assert str(blocker / "report.txt") in result.stderr and "cannot write the report" in result.stderr
