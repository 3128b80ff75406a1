"""The frozen-version hash is taken over the documents' content, not their bytes (issue 15): re-indenting
a released version passes `check`, a change of meaning fails it, and lock entries written before
(byte hashes, no `hashOf`) keep working."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from tests.diff.helpers import ROOT
from threadloom.check import check_lock, lock_matches, version_hash
from threadloom.cli import main

# protocol/versions.lock.json before the migration to canonical hashes: the byte hash of v1.
LEGACY_V1_ENTRY = {"sha256": "e656f4636129e9aa60cc54b698b7eac13c79c34ed7236dd552c4edc03f11f76b"}


def released_copy(tmp_path: Path) -> Path:
    """protocol/ with only the frozen v1 and the committed lock."""
    root = tmp_path / "protocol"
    shutil.copytree(ROOT / "protocol" / "v1", root / "v1")
    shutil.copy(ROOT / "protocol" / "versions.lock.json", root / "versions.lock.json")
    return root


def reindent(folder: Path, indent: int | None) -> None:
    for path in folder.rglob("*.json"):
        path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=indent), encoding="utf-8")


def check(root: Path) -> tuple[int, list[dict[str, str]]]:
    result = CliRunner().invoke(main, ["check", "--protocol", str(root), "--format", "json"])
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_the_migrated_lock_still_describes_the_released_v1() -> None:
    v1 = ROOT / "protocol" / "v1"
    assert lock_matches(LEGACY_V1_ENTRY, v1)  # v1 is byte for byte what was frozen
    committed = json.loads((ROOT / "protocol" / "versions.lock.json").read_text(encoding="utf-8"))
    assert committed["v1"]["hashOf"] == "canonical-json"
    assert lock_matches(committed["v1"], v1)


def test_reindenting_a_released_version_passes_check(tmp_path: Path) -> None:
    root = released_copy(tmp_path)
    reindent(root / "v1", indent=4)
    before = version_hash(ROOT / "protocol" / "v1", canonical=False)
    assert version_hash(root / "v1", canonical=False) != before  # the bytes did change
    assert check(root) == (0, [])
    text = CliRunner().invoke(main, ["check", "--protocol", str(root)])
    assert text.exit_code == 0 and "protocol OK" in text.output


def test_a_semantic_change_to_a_released_version_fails_check(tmp_path: Path) -> None:
    root = released_copy(tmp_path)
    document = root / "v1" / "protocol.json"
    data = json.loads(document.read_text(encoding="utf-8"))
    data["$defs"]["Thread"]["description"] += " Changed."
    document.write_text(json.dumps(data, indent=2), encoding="utf-8")
    code, findings = check(root)
    assert code == 1
    assert [(f["rule"], f["pointer"]) for f in findings] == [("frozen", "/v1/sha256")]
    text = CliRunner().invoke(main, ["check", "--protocol", str(root)])
    assert text.exit_code == 1 and "[frozen] released version `v1` changed since it was frozen" in text.stdout


def test_a_legacy_byte_hash_entry_is_still_verified(tmp_path: Path) -> None:
    root = released_copy(tmp_path)
    (root / "versions.lock.json").write_text(json.dumps({"v1": LEGACY_V1_ENTRY}), encoding="utf-8")
    assert check_lock(root, [root / "v1"]) == []
    reindent(root / "v1", indent=None)  # a byte hash cannot tell formatting from meaning
    assert [f.rule for f in check_lock(root, [root / "v1"])] == ["frozen"]


def test_freeze_writes_a_canonical_entry(tmp_path: Path) -> None:
    root = released_copy(tmp_path)
    (root / "versions.lock.json").unlink()
    result = CliRunner().invoke(main, ["freeze", "v1", "--protocol", str(root)])
    assert result.exit_code == 0, result.output
    entry = json.loads((root / "versions.lock.json").read_text(encoding="utf-8"))["v1"]
    assert entry == {"sha256": version_hash(root / "v1"), "hashOf": "canonical-json"}
