"""`threadloom check` on the real protocol and on one broken fixture per check."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from threadloom.check import check_protocol, check_protocol_dir, version_hash
from threadloom.jsonio import read_json
from threadloom.lint.rules import RULES
from threadloom.loader import discover_versions

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
THREADLOOM = shutil.which("threadloom") or str(ROOT / ".venv/bin/threadloom")


def test_the_project_protocol_passes_every_check() -> None:
    assert check_protocol_dir(ROOT / "protocol") == []


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_gives_exactly_the_expected_findings(name: str) -> None:
    expected = {(e["rule"], e["pointer"]) for e in read_json(FIXTURES / name / "expected.json")}
    findings = check_protocol_dir(FIXTURES / name / "protocol")
    assert {(f.rule, f.pointer) for f in findings} == expected
    assert all(f.message and f.hint for f in findings), "every finding says what is wrong and what to do"


def test_every_lint_rule_has_a_fixture() -> None:
    assert set(RULES) <= set(FIXTURE_NAMES)


def test_cli_exit_codes_and_messages_name_file_and_pointer(tmp_path: Path) -> None:
    ok = subprocess.run([THREADLOOM, "check", "--protocol", str(FIXTURES / "valid/protocol")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    broken = subprocess.run([THREADLOOM, "check", "--protocol", str(FIXTURES / "ref-resolves/protocol")], capture_output=True, text=True)
    assert broken.returncode == 1
    assert "ref-resolves/protocol/v1/protocol.json#/$defs/ShapeGetResult/properties/shape" in broken.stdout
    assert "Traceback" not in broken.stdout + broken.stderr
    missing = subprocess.run([THREADLOOM, "check", "--protocol", str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert missing.returncode == 2
    assert "nowhere" in missing.stderr and "Traceback" not in missing.stderr


def test_json_output_is_machine_readable() -> None:
    result = subprocess.run([THREADLOOM, "check", "--format", "json", "--protocol", str(FIXTURES / "naming/protocol")], capture_output=True, text=True)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [f["rule"] for f in report["findings"]] == ["naming"]


def test_changing_a_frozen_version_fails_and_names_the_version(tmp_path: Path) -> None:
    copy = tmp_path / "protocol"
    shutil.copytree(ROOT / "protocol", copy)
    assert check_protocol_dir(copy) == []
    document = copy / "v1/protocol.json"
    document.write_text(document.read_text().replace("Thread id.", "Thread identifier."))
    findings = check_protocol_dir(copy)
    assert [(f.rule, f.pointer) for f in findings] == [("frozen", "/v1/sha256")]


def test_version_hash_ignores_nothing_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "v1"
    (folder / "examples/X").mkdir(parents=True)
    (folder / "protocol.json").write_text("{}")
    before = version_hash(folder)
    (folder / "examples/X/a.json").write_text("{}")
    assert version_hash(folder) != before


def _examples() -> list[tuple[Path, Path]]:
    return [(version, example) for version in discover_versions(ROOT / "protocol") for example in sorted(version.glob("examples/*/*.json"))]


@pytest.mark.parametrize(("version", "example"), _examples(), ids=lambda p: str(p).split("protocol/")[-1])
def test_every_example_validates_with_a_standard_validator(version: Path, example: Path) -> None:
    document = read_json(version / "protocol.json")
    definition = example.parent.name
    jsonschema.Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": document["$defs"]}).validate(read_json(example))
    if definition.endswith(("Request", "Notification", "Response")):
        # Wire messages also validate against the document itself (its root is the message union).
        jsonschema.Draft202012Validator(document).validate(read_json(example))


def test_a_handshake_whose_method_is_missing_or_a_notification(tmp_path: Path) -> None:
    document = read_json(ROOT / "protocol/v2/protocol.json")
    document["x-protocol"]["handshake"]["method"] = "hello"
    folder = tmp_path / "v2"
    folder.mkdir()
    (folder / "protocol.json").write_text(json.dumps(document), encoding="utf-8")
    assert [(f.rule, f.pointer) for f in check_protocol(folder)] == [("handshake", "/x-protocol/handshake/method")]
    document["x-protocol"]["handshake"]["method"] = "initialized"
    (folder / "protocol.json").write_text(json.dumps(document), encoding="utf-8")
    assert [(f.rule, f.pointer) for f in check_protocol(folder)] == [("handshake", "/x-protocol/handshake/method")]
