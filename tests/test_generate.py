"""The generate framework: deterministic output, stale and orphan detection."""

from __future__ import annotations

import json
import shutil
import types
from pathlib import Path

from click.testing import CliRunner, Result

from threadloom.cli import main
from threadloom.commands.init import document as init_document
from threadloom.generate import GENERATED_MARKER, Context, Target, available_targets, owned_dirs, run_targets

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


# --- generate anywhere: `--protocol PATH --out DIR [--package NAME]`, and the project config ---


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _todo_protocol(tmp_path: Path) -> Path:
    folder = tmp_path / "todo/protocol/v1"
    folder.mkdir(parents=True)
    (folder / "protocol.json").write_text(json.dumps(init_document("todo-agent")), encoding="utf-8")
    return folder.parent


def test_every_file_of_a_typescript_package_names_the_full_command(tmp_path: Path) -> None:
    """package.json, tsconfig.json and README.md say what the .ts files say: the real command."""
    protocol = _todo_protocol(tmp_path)
    out = tmp_path / "ts"
    result = _cli("generate", "typescript", "--protocol", str(protocol), "--out", str(out), "--package", "acme-todo")
    assert result.exit_code == 0, result.output
    command = f"threadloom generate typescript --protocol {protocol} --out {out} --package acme-todo"
    banners = {}
    for name in ("package.json", "tsconfig.json", "README.md", "src/index.ts", "src/stdio.ts", "src/v1.ts"):
        text = (out / name).read_text(encoding="utf-8")
        banners[name] = json.loads(text)["//"] if name == "package.json" else text.splitlines()[1 if name.endswith(".ts") or name == "tsconfig.json" else 0]
    assert all(f"Regenerate with: {command}" in banner for banner in banners.values()), banners
    assert _cli("generate", "typescript", "--protocol", str(protocol), "--out", str(out), "--package", "acme-todo", "--check").exit_code == 0


def test_context_derives_package_names_from_the_protocol_name(tmp_path: Path) -> None:
    protocol = _todo_protocol(tmp_path)
    derived = Context(root=tmp_path, protocol_path=protocol)
    assert (derived.protocol_name, derived.python_package(), derived.npm_package()) == ("todo-agent", "todo_agent", "todo-agent")
    named = Context(root=tmp_path, protocol_path=protocol, package="acme_todo")
    assert named.python_package() == named.npm_package() == "acme_todo"
    assert derived.out_dir == tmp_path and Context(root=tmp_path, out=tmp_path / "o").out_dir == tmp_path / "o"


def test_generate_writes_any_protocol_into_any_folder_and_names_the_real_command(tmp_path: Path) -> None:
    protocol = _todo_protocol(tmp_path)
    out = tmp_path / "elsewhere"
    result = _cli("generate", "docs", "--protocol", str(protocol), "--out", str(out), "--package", "acme")
    assert result.exit_code == 0, result.output
    page = (out / "docs/reference/v1.md").read_text(encoding="utf-8")
    assert f"Regenerate with: threadloom generate docs --protocol {protocol} --out {out} --package acme" in page
    assert "task/confirm" in page and "TaskAddRequest" in page  # derived envelopes reach the plugins

    assert _cli("generate", "docs", "--protocol", str(protocol), "--out", str(out), "--package", "acme", "--check").exit_code == 0
    (out / "docs/reference/v1.md").write_text("edited\n", encoding="utf-8")
    (out / "docs/reference/v7.md").write_text(f"<!-- {GENERATED_MARKER} -->\n", encoding="utf-8")
    stale = _cli("generate", "docs", "--protocol", str(protocol), "--out", str(out), "--package", "acme", "--check")
    assert stale.exit_code == 1
    assert stale.stdout.splitlines() == [f"stale: {out / 'docs/reference/v1.md'}", f"stale: {out / 'docs/reference/v7.md'} (no longer generated)"]


def test_generate_with_out_needs_targets_and_takes_no_config(tmp_path: Path) -> None:
    protocol = _todo_protocol(tmp_path)
    assert _cli("generate", "--protocol", str(protocol), "--out", str(tmp_path / "o")).exit_code == 2
    assert _cli("generate", "nope", "--protocol", str(protocol), "--out", str(tmp_path / "o")).exit_code == 2
    assert _cli("generate", "docs", "--out", str(tmp_path / "o"), "--config", str(ROOT / "threadloom.gen.json")).exit_code == 2


def test_the_repository_generates_from_its_config() -> None:
    result = _cli("generate", "--check", "--config", str(ROOT / "threadloom.gen.json"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1].endswith("generated file(s) up to date")
    listed = [entry["target"] for entry in json.loads((ROOT / "threadloom.gen.json").read_text(encoding="utf-8"))["targets"]]
    assert sorted(listed) == sorted(available_targets())


def _project_with_config(tmp_path: Path, targets: list[dict[str, object]]) -> Path:
    root = _project_copy(tmp_path)
    (root / "threadloom.gen.json").write_text(json.dumps({"protocol": "protocol", "targets": targets}), encoding="utf-8")
    return root


def test_config_outputs_go_where_it_says_and_a_config_change_invalidates_the_cache(tmp_path: Path) -> None:
    root = _project_with_config(tmp_path, [{"target": "docs", "out": "site"}])
    assert run_targets(root, ["docs"], check=False).written == ["site/docs/reference/README.md", "site/docs/reference/v1.md", "site/docs/reference/v2.md"]
    messages: list[str] = []
    assert run_targets(root, ["docs"], check=True, progress=messages.append).stale == []
    assert messages == ["docs: inputs unchanged, outputs intact"]
    config = root / "threadloom.gen.json"
    config.write_text(config.read_text(encoding="utf-8").replace('"out": "site"', '"out": "site", "options": {"x": 1}'), encoding="utf-8")
    messages.clear()
    assert run_targets(root, ["docs"], check=True, progress=messages.append).stale == []
    assert messages == ["checking docs"]


def test_a_broken_config_names_file_and_pointer(tmp_path: Path) -> None:
    root = _project_with_config(tmp_path, [{"target": "docs", "out": "."}, {"target": "nope", "out": "."}])
    result = _cli("generate", "--config", str(root / "threadloom.gen.json"))
    assert result.exit_code == 2
    assert f"{root / 'threadloom.gen.json'}#/targets/1/target: unknown target `nope`" in result.stderr
    (root / "threadloom.gen.json").write_text(json.dumps({"targets": [{"target": "docs"}]}), encoding="utf-8")
    result = _cli("generate", "--config", str(root / "threadloom.gen.json"))
    assert result.exit_code == 2 and "#/targets/0: not a valid generate config: 'out' is a required property" in result.stderr
    missing = _cli("generate", "--config", str(tmp_path / "none.json"))
    assert missing.exit_code == 2 and "no generate config here" in missing.stderr


def test_a_plugin_may_name_its_folders_after_the_context(tmp_path: Path) -> None:
    static = types.ModuleType("static")
    static.TARGET = Target(name="x", description="x", owned_dirs=("fixed",))  # type: ignore[attr-defined]
    dynamic = types.ModuleType("dynamic")
    dynamic.TARGET = static.TARGET  # type: ignore[attr-defined]
    dynamic.owned_dirs = lambda context: (context.python_package(),)  # type: ignore[attr-defined]
    context = Context(root=tmp_path, protocol_path=_todo_protocol(tmp_path))
    assert owned_dirs(static, context) == ("fixed",)
    assert owned_dirs(dynamic, context) == ("todo_agent",)


def test_a_target_listed_twice_writes_both_outputs_and_caches_each(tmp_path: Path) -> None:
    root = _project_with_config(tmp_path, [{"target": "docs", "out": "a"}, {"target": "docs", "out": "b"}])
    written = run_targets(root, ["docs"], check=False).written
    assert sorted(written) == sorted(f"{side}/docs/reference/{page}" for side in "ab" for page in ("README.md", "v1.md", "v2.md"))
    messages: list[str] = []
    assert run_targets(root, ["docs"], check=True, progress=messages.append).stale == []
    assert messages == ["docs: inputs unchanged, outputs intact"] * 2


def test_two_targets_writing_one_file_is_an_input_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _cli("generate", "python", "typescript", "--protocol", str(_todo_protocol(tmp_path)), "--out", str(out))
    assert result.exit_code == 2
    assert f"{out / 'README.md'}: targets `python` and `typescript` both write this file" in result.stderr
    assert not (out / "README.md").exists()  # nothing half-written


def test_editing_a_hand_written_input_in_the_output_folder_invalidates_the_cache(tmp_path: Path) -> None:
    root = _project_with_config(tmp_path, [{"target": "typescript", "out": "ts", "package": "@acme/x"}])
    run_targets(root, ["typescript"], check=False)
    (root / "ts" / "README.extra.md").write_text("## Our notes\n", encoding="utf-8")
    stale = run_targets(root, ["typescript"], check=True).stale
    assert stale == ["ts/README.md"]
