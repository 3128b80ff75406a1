"""The generate framework: deterministic output, stale and orphan detection."""

from __future__ import annotations

import shutil
from pathlib import Path

from threadloom.generate import GENERATED_MARKER, run_targets

ROOT = Path(__file__).resolve().parents[1]


def _project_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "protocol", root / "protocol")
    shutil.copytree(ROOT / "docs" / "reference", root / "docs" / "reference")
    return root


def test_committed_docs_are_current() -> None:
    assert run_targets(ROOT, ["docs"], check=True).stale == []


def test_check_names_edited_missing_and_orphaned_files(tmp_path: Path) -> None:
    root = _project_copy(tmp_path)
    (root / "docs/reference/v1.md").write_text("hand edit\n")
    (root / "docs/reference/v2.md").unlink()
    (root / "docs/reference/v9.md").write_text(f"<!-- {GENERATED_MARKER} -->\n")
    (root / "docs/reference/notes.md").write_text("a user's own file\n")
    stale = run_targets(root, ["docs"], check=True).stale
    assert sorted(stale) == ["docs/reference/v1.md", "docs/reference/v2.md (missing)", "docs/reference/v9.md (no longer generated)"]


def test_generate_rewrites_only_what_changed_and_removes_orphans(tmp_path: Path) -> None:
    root = _project_copy(tmp_path)
    (root / "docs/reference/v1.md").write_text("hand edit\n")
    (root / "docs/reference/v9.md").write_text(f"<!-- {GENERATED_MARKER} -->\n")
    outcome = run_targets(root, ["docs"], check=False)
    assert outcome.written == ["docs/reference/v1.md"]
    assert outcome.removed == ["docs/reference/v9.md"]
    assert run_targets(root, ["docs"], check=True).stale == []
    assert (root / "docs/reference/v1.md").read_text().startswith(f"<!-- {GENERATED_MARKER} -- DO NOT EDIT. -->")


def test_cached_run_skips_work_but_still_sees_edits_orphans_and_input_changes(tmp_path: Path) -> None:
    root = _project_copy(tmp_path)
    assert run_targets(root, ["docs"], check=True).stale == []  # fills the cache
    messages: list[str] = []
    assert run_targets(root, ["docs"], check=True, progress=messages.append).stale == []
    assert messages == ["docs: inputs unchanged, outputs intact"]

    (root / "docs/reference/v1.md").write_text("hand edit\n")
    assert run_targets(root, ["docs"], check=True).stale == ["docs/reference/v1.md"]
    run_targets(root, ["docs"], check=False)

    (root / "docs/reference/v9.md").write_text(f"<!-- {GENERATED_MARKER} -->\n")
    assert run_targets(root, ["docs"], check=True).stale == ["docs/reference/v9.md (no longer generated)"]
    run_targets(root, ["docs"], check=False)

    document = root / "protocol/v2/protocol.json"
    document.write_text(document.read_text().replace("Thread id.", "Identifier of the thread."))
    assert run_targets(root, ["docs"], check=True).stale == ["docs/reference/v2.md"]
