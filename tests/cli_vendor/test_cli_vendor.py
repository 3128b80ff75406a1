"""`threadloom check / generate / diff --protocol <a vendor's export>` from the command line.

Bad input ends with exit 2 and one line naming the file (and the JSON pointer where there is
one), never a traceback; a good export passes `check` with its notes printed. Every command runs
in a scratch folder, as a user's would, away from this repository's own protocol/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from threadloom.formats import codex
from threadloom_conformance.releases import PINNED, codex_export, codex_folder

ROOT = Path(__file__).resolve().parents[2]
THREADLOOM = shutil.which("threadloom", path=str(ROOT / ".venv/bin")) or shutil.which("threadloom") or "threadloom"
RELEASE = ROOT / "tests/formats/codex/fixtures/release@1.2.3"
STABLE = RELEASE / "schema"

Command = Callable[[Path, Path], list[str]]  # (input, scratch folder) -> argv


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([THREADLOOM, *args], capture_output=True, text=True, cwd=cwd, check=False)


def export_copy(tmp_path: Path, name: str = "codex@1.2.3") -> Path:
    folder = tmp_path / name
    shutil.copytree(STABLE, folder)
    return folder


# -- the commands, each given a bad input ------------------------------------------------------


def check(source: Path, _scratch: Path) -> list[str]:
    return ["check", "--protocol", str(source)]


def generate(source: Path, scratch: Path) -> list[str]:
    return ["generate", "docs", "--protocol", str(source), "--out", str(scratch / "out")]


def diff_old(source: Path, _scratch: Path) -> list[str]:
    return ["diff", str(source), str(STABLE)]


def diff_new(source: Path, _scratch: Path) -> list[str]:
    return ["diff", str(STABLE), str(source)]


COMMANDS = [check, generate, diff_old, diff_new]


def neither_format(tmp_path: Path) -> tuple[Path, str]:
    """A folder with `v1/`, `v2/` (as a Codex export has) but no document of any known format."""
    folder = tmp_path / "not-a-protocol"
    for sub in ("v1", "v2"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "Thing.json").write_text("{}")
    return folder, f"{folder}: no protocol found in this folder"


def truncated_bundle(tmp_path: Path) -> tuple[Path, str]:
    folder = export_copy(tmp_path)
    text = (folder / codex.BUNDLE).read_text()
    (folder / codex.BUNDLE).write_text(text[: len(text) // 3])
    return folder, f"{folder / codex.BUNDLE}: invalid JSON at line"


def bundle_missing_a_method_union(tmp_path: Path) -> tuple[Path, str]:
    folder = export_copy(tmp_path)
    bundle = json.loads((folder / codex.BUNDLE).read_text())
    del bundle["definitions"]["ServerNotification"]
    (folder / codex.BUNDLE).write_text(json.dumps(bundle))
    return folder, f"{folder / codex.BUNDLE}#/definitions/ServerNotification: the method union `ServerNotification` is missing"


def export_without_its_bundle(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "codex@1.2.3"
    folder.mkdir()
    (folder / "ClientRequest.json").write_text("{}")
    return folder, f"{folder / codex.BUNDLE}: file not found: the Codex export is incomplete"


def missing_results_override(tmp_path: Path) -> tuple[Path, str]:
    folder = export_copy(tmp_path)
    (folder / codex.MARKER).write_text(json.dumps({"version": "1.2.3", "results": "my-results.json"}))
    return folder, f"{folder / codex.MARKER}#/results: the results override `my-results.json` does not exist"


def override_naming_an_absent_type(tmp_path: Path) -> tuple[Path, str]:
    folder = export_copy(tmp_path)
    (folder / codex.MARKER).write_text(json.dumps({"version": "1.2.3", "results": "my-results.json"}))
    (folder / "my-results.json").write_text(json.dumps({"results": {"mystery/call": "MysteryCallResponse"}}))
    return folder, f"{folder / 'my-results.json'}#/results/mystery~1call: `mystery/call` is said to return `MysteryCallResponse`"


BAD_INPUTS = [
    neither_format,
    truncated_bundle,
    bundle_missing_a_method_union,
    export_without_its_bundle,
    missing_results_override,
    override_naming_an_absent_type,
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad_input", BAD_INPUTS, ids=lambda b: b.__name__)
def test_bad_input_is_one_line_naming_file_and_pointer_exit_2(tmp_path: Path, command: Command, bad_input: Callable[[Path], tuple[Path, str]]) -> None:
    source, expected = bad_input(tmp_path)
    result = run(command(source.relative_to(tmp_path), tmp_path), tmp_path)  # as typed by a user, relative
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith(f"error: {expected.replace(f'{tmp_path}/', '')}"), result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_forcing_the_wrong_format_is_an_input_error(tmp_path: Path) -> None:
    result = run(["check", "--protocol", str(STABLE), "--source-format", "threadloom"], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "protocol.json" in result.stderr
    unknown = run(["check", "--protocol", str(STABLE), "--source-format", "swagger"], tmp_path)
    assert unknown.returncode == 2 and "unknown source format `swagger`" in unknown.stderr and "codex" in unknown.stderr


# -- a good export -----------------------------------------------------------------------------


def test_a_good_export_passes_check_with_its_notes_printed(tmp_path: Path) -> None:
    result = run(["check", "--protocol", str(export_copy(tmp_path))], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any("[codex-untyped-result] warning: the result of `mystery/call`" in line for line in lines)
    assert any("[codex-untagged-union] info: `ResourceContent`" in line for line in lines)
    assert lines[-1] == "codex 1.2.3: protocol OK (1 warning(s), 1 info(s))"
    assert "naming" not in result.stdout and "documented" not in result.stdout  # the vendor's style is not ours to judge


def test_check_json_carries_levels_and_what_was_checked(tmp_path: Path) -> None:
    result = run(["check", "--format", "json", "--protocol", str(RELEASE)], tmp_path)
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["ok"] is True and report["checked"] == ["codex 1.2.3"]
    assert sorted(f["level"] for f in report["findings"]) == ["info", "warning"]


def test_a_results_override_silences_the_untyped_result_warning(tmp_path: Path) -> None:
    folder = export_copy(tmp_path)
    (folder / codex.MARKER).write_text(json.dumps({"version": "1.2.3", "results": "my-results.json"}))
    (folder / "my-results.json").write_text(json.dumps({"results": {"mystery/call": "ThreadStartResponse"}}))
    result = run(["check", "--protocol", str(folder)], tmp_path)
    assert result.returncode == 0 and "codex-untyped-result" not in result.stdout
    assert result.stdout.splitlines()[-1] == "codex 1.2.3: protocol OK (1 info(s))"


def test_diff_names_releases_by_their_identity(tmp_path: Path) -> None:
    newer = export_copy(tmp_path, "codex@1.3.0")
    bundle = json.loads((newer / codex.BUNDLE).read_text())
    requests = bundle["definitions"]["ClientRequest"]["oneOf"]
    bundle["definitions"]["ClientRequest"]["oneOf"] = [r for r in requests if r["properties"]["method"]["enum"] != ["mystery/call"]]
    (newer / codex.BUNDLE).write_text(json.dumps(bundle))
    result = run(["diff", str(export_copy(tmp_path)), str(newer)], tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr  # a removed client method breaks old clients
    assert "method-removed" in result.stdout and "`mystery/call`" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("1.2.3 -> 1.3.0: 2 change(s): 1 ERR")
    markdown = run(["diff", "--format", "markdown", str(export_copy(tmp_path, "again@1.2.3")), str(newer)], tmp_path)
    assert markdown.stdout.startswith("# codex-app-server: changes from 1.2.3 to 1.3.0")
    assert "v1" not in result.stdout.splitlines()[-1] + markdown.stdout.splitlines()[0]


def test_diff_says_which_protocol_version_of_a_release_it_compares(tmp_path: Path) -> None:
    """An ACP 2.x package holds v1 and the v2 draft under one release name: diff takes the latest
    and says so on stderr, naming how to pick v1; a single version needs no note."""
    acp_fixtures = ROOT / "tests/formats/acp/fixtures"
    package = acp_fixtures / "package-2x"
    whole = run(["diff", str(acp_fixtures / "v0-single"), str(package)], tmp_path)
    assert whole.returncode in (0, 1), whole.stderr
    assert f"note: {package} holds protocol versions 1, 2 of 2.9.9: comparing version 2" in whole.stderr
    one = run(["diff", str(acp_fixtures / "v0-single"), str(package / "schema/v1")], tmp_path)
    assert one.returncode in (0, 1) and one.stderr == "", one.stderr


def test_check_names_each_protocol_version_of_one_release(tmp_path: Path) -> None:
    result = run(["check", "--protocol", str(ROOT / "tests/formats/acp/fixtures/package-2x")], tmp_path)
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    assert (result.stdout + result.stderr).splitlines()[-1].startswith("acp 2.9.9 v1, acp 2.9.9 v2: ")


def test_generate_docs_from_a_good_export(tmp_path: Path) -> None:
    result = run(["generate", "docs", "--protocol", str(RELEASE), "--out", str(tmp_path / "out")], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    reference = (tmp_path / "out/docs/reference/v1.md").read_text()
    assert "thread/start" in reference and "AudioUserInput" in reference


# -- real releases (fetched into ~/.cache/threadloom/releases/ on first use) --------------------


def test_the_newest_pinned_release_passes_check_and_diffs_by_release(tmp_path: Path) -> None:
    older, newer = PINNED["codex"][-2:]
    result = run(["check", "--protocol", str(codex_folder(newer))], tmp_path)  # a release folder: its experimental export
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith(f"codex {newer}: protocol OK")
    diff = run(["diff", str(codex_export(older)), str(codex_export(newer))], tmp_path)
    assert diff.returncode in (0, 1) and "Traceback" not in diff.stderr
    assert diff.stdout.splitlines()[-1].startswith(f"{older} -> {newer}: ")
