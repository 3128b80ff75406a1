"""The scripted agent's file changes: real files, diffs, approvals, and confinement to the workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from threadloom_server.agent import TurnCancelled
from threadloom_server.agent.files import unified_diff
from threadloom_server.agent.script import Write, parse_script

from .recording import play


def test_write_creates_a_file_with_an_add_diff(tmp_path: Path) -> None:
    context, error = play("write: src/hello.py\nprint('hi')\n\nx = 1\nend:\nWritten.", tmp_path)
    assert error is None
    assert (tmp_path / "src" / "hello.py").read_text() == "print('hi')\n\nx = 1\n"
    assert context.kinds() == ["started", "approval", "completed", "diff", "started", "delta", "completed"]
    started = context.events[0][1]
    assert started["status"] == "inProgress"
    kind, approved = context.approvals()[0][1:3]
    assert kind == "fileChange"
    assert approved["changes"] == started["changes"]
    change = context.completed()[0]
    assert change["status"] == "completed"
    assert change["changes"] == [
        {"path": "src/hello.py", "kind": "add", "diff": "--- /dev/null\n+++ b/src/hello.py\n@@ -0,0 +1,3 @@\n+print('hi')\n+\n+x = 1\n"}
    ]
    assert context.diffs() == [change["changes"][0]["diff"]]
    assert context.completed()[1]["text"] == "Written."


def test_write_over_an_existing_file_is_an_update(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("one\ntwo\nthree\n")
    target.chmod(0o640)
    context, error = play("write: notes.txt\none\n2\nthree", tmp_path)
    assert error is None
    assert target.read_text() == "one\n2\nthree\n"
    assert target.stat().st_mode & 0o777 == 0o640
    change = context.completed()[0]["changes"][0]
    assert change["kind"] == "update"
    assert change["diff"] == "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n"
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_delete_removes_the_file_with_a_delete_diff(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("bye\n")
    context, error = play("delete: old.txt", tmp_path)
    assert error is None
    assert not (tmp_path / "old.txt").exists()
    change = context.completed()[0]
    assert change["status"] == "completed"
    assert change["changes"] == [{"path": "old.txt", "kind": "delete", "diff": "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"}]


def test_paths_are_relative_to_the_thread_cwd(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    play("write: module.py\npass", tmp_path, cwd=package)
    assert (package / "module.py").read_text() == "pass\n"
    # ..: still inside the workspace root, so allowed.
    play("write: ../top.txt\ntop", tmp_path, cwd=package)
    assert (tmp_path / "top.txt").read_text() == "top\n"


def test_the_turn_diff_aggregates_every_file_from_its_state_before_the_turn(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a0\n")
    script = "write: a.txt\na1\nwrite: b.txt\nb1\nwrite: a.txt\na2\ndelete: b.txt"
    context, error = play(script, tmp_path)
    assert error is None
    diffs = context.diffs()
    assert len(diffs) == 4
    assert diffs[1] == unified_diff("a.txt", "a0\n", "a1\n") + unified_diff("b.txt", None, "b1\n")
    assert diffs[2] == unified_diff("a.txt", "a0\n", "a2\n") + unified_diff("b.txt", None, "b1\n")
    # b.txt was added then deleted within the turn: it no longer shows.
    assert diffs[3] == unified_diff("a.txt", "a0\n", "a2\n")


def test_declined_change_leaves_the_disk_alone(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("keep\n")
    context, error = play("write: keep.txt\nreplaced\nend:\ndelete: keep.txt\nwrite: new.txt\nx", tmp_path, decisions=["decline", "decline", "decline"])
    assert error is None
    assert [item["status"] for item in context.completed()] == ["declined", "declined", "declined"]
    assert (tmp_path / "keep.txt").read_text() == "keep\n"
    assert not (tmp_path / "new.txt").exists()
    assert context.diffs() == []


def test_cancelled_change_interrupts_the_turn(tmp_path: Path) -> None:
    context, error = play("write: a.txt\nx\nend:\nrun: touch ran", tmp_path, decisions=["cancel"])
    assert isinstance(error, TurnCancelled)
    assert not (tmp_path / "a.txt").exists()
    assert not (tmp_path / "ran").exists()
    assert len(context.completed()) == 1


@pytest.mark.parametrize("path", ["../outside.txt", "/tmp/threadloom-outside-{name}.txt", "sub/../../outside.txt", "link/escape.txt"])
def test_paths_outside_the_workspace_are_refused(tmp_path: Path, path: str) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "sub").mkdir()
    (workspace / "link").symlink_to(tmp_path)
    path = path.format(name=tmp_path.name)
    context, error = play(f"write: {path}\nsecret\nend:\nstill running", workspace)
    assert error is None
    refused, explanation, after = context.completed()
    assert refused["type"] == "fileChange"
    assert refused["status"] == "failed"
    assert refused["changes"] == [{"path": path, "kind": "update", "diff": ""}]
    assert explanation["type"] == "agentMessage"
    assert "outside the workspace root" in explanation["text"]
    assert context.approvals() == []
    assert after["text"] == "still running"
    assert not (tmp_path / "outside.txt").exists()
    assert not (tmp_path / "escape.txt").exists()
    assert not Path(f"/tmp/threadloom-outside-{tmp_path.name}.txt").exists()


def test_deleting_outside_or_missing_files_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    context, error = play("delete: ../victim.txt\ndelete: missing.txt\ndelete: .", workspace)
    assert error is None
    items = context.completed()
    assert [item["type"] for item in items] == ["fileChange", "agentMessage"] * 3
    assert all(item["status"] == "failed" and item["changes"][0]["kind"] == "delete" for item in items[::2])
    assert "outside the workspace root" in items[1]["text"]
    assert "no such file" in items[3]["text"]
    assert "outside the workspace root" in items[5]["text"]
    assert victim.read_text() == "precious\n"


def test_writing_onto_a_directory_or_a_binary_file_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "blob.bin").write_bytes(b"\xff\xfe\x00binary")
    context, _ = play("write: adir\nx\nend:\nwrite: blob.bin\ny", tmp_path)
    messages = [item["text"] for item in context.completed() if item["type"] == "agentMessage"]
    assert messages == ["cannot write adir: it is a directory", "cannot change blob.bin: it is not a UTF-8 text file"]
    assert (tmp_path / "blob.bin").read_bytes() == b"\xff\xfe\x00binary"


def test_a_failed_apply_completes_the_item_as_failed(tmp_path: Path) -> None:
    # Planning succeeds (nothing exists at the target) but applying cannot create a directory under a file.
    (tmp_path / "plain").write_text("a file\n")
    context, error = play("write: plain/child.txt\nx", tmp_path)
    assert error is None
    assert context.kinds()[:2] == ["started", "approval"]
    change, message = context.completed()
    assert change["status"] == "failed"
    assert message["text"].startswith("cannot write plain/child.txt")
    assert context.diffs() == []
    assert (tmp_path / "plain").read_text() == "a file\n"


def test_write_content_ends_at_the_next_instruction_and_supports_escapes() -> None:
    script = parse_script("write: a.txt\nline\n\\run: not an instruction\n\\\\kept one backslash\nrun: echo next")
    assert script[0] == Write("a.txt", "line\nrun: not an instruction\n\\kept one backslash\n")
    assert len(script) == 2
    assert parse_script("write: empty.txt\nend:") == [Write("empty.txt", "")]


def test_an_empty_file_still_has_a_visible_diff(tmp_path: Path) -> None:
    context, _ = play("write: empty.txt\nend:", tmp_path)
    assert (tmp_path / "empty.txt").read_text() == ""
    assert context.completed()[0]["changes"][0]["diff"] == "--- /dev/null\n+++ b/empty.txt\n"


def test_diff_marks_a_missing_final_newline() -> None:
    assert unified_diff("f", "a\nb", "a\nc\n") == "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
