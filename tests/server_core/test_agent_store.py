"""The two cores together, the way the server will wire them: agent items land in the store as they complete."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from threadloom_server.agent import ScriptedAgent, turn_outcome
from threadloom_server.store import ThreadStore, shorten_preview

from .recording import RecordingContext
from .wire import assert_strict_item, assert_wire


class StoringContext(RecordingContext):
    store: ThreadStore

    async def complete_item(self, item: dict[str, Any]) -> None:
        await super().complete_item(item)
        self.store.save_item(self.thread_id, self.turn_id, item)


def run_turn(store: ThreadStore, thread_id: str, text: str, workspace: Path, **agent_options: Any) -> dict[str, Any]:
    turn = store.append_turn(thread_id)
    user_input: list[dict[str, Any]] = [{"type": "text", "text": text}]
    store.save_item(thread_id, turn["id"], {"type": "userMessage", "id": f"{turn['id']}-input", "content": user_input})
    context = StoringContext(cwd=str(workspace), workspace_root=str(workspace), input=user_input, thread_id=thread_id, turn_id=turn["id"])
    context.store = store

    async def main() -> BaseException | None:
        try:
            await ScriptedAgent(**agent_options).run_turn(context)
        except (Exception, asyncio.CancelledError) as error:
            return error
        return None

    status, error = turn_outcome(asyncio.run(main()))
    return store.update_turn(thread_id, turn["id"], status=status, error=error)


def test_history_keeps_every_item_type_across_a_restart(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    path = tmp_path / "threads.sqlite3"
    script = "think: look around\nplan: list; write\nrun: echo listing\nwrite: notes.md\n# Notes\nend:\nAll done."
    with ThreadStore(path) as store:
        store.create_thread(cwd=str(workspace), thread_id="t")
        first = run_turn(store, "t", script, workspace)
        second = run_turn(store, "t", "before\nfail: no more budget", workspace)
    assert first["status"] == "completed"
    assert (second["status"], second["error"]) == ("failed", {"code": "agentFailed", "message": "no more budget"})

    with ThreadStore(path) as store:
        thread = store.get_thread("t", include_turns=True)
        fork = store.fork_thread("t")
    assert_wire("Thread", thread)
    assert thread["preview"] == shorten_preview(script)
    assert thread["preview"].startswith("think: look around plan: list; write run: echo listing")
    types = [item["type"] for item in thread["turns"][0]["items"]]
    assert types == ["userMessage", "reasoning", "plan", "commandExecution", "fileChange", "agentMessage"]
    command, change = thread["turns"][0]["items"][3:5]
    assert (command["status"], command["exitCode"], command["aggregatedOutput"]) == ("completed", 0, "listing\n")
    assert change["changes"][0]["kind"] == "add" and change["status"] == "completed"
    for turn in thread["turns"]:
        for item in turn["items"]:
            assert_strict_item(item)
    assert [item["type"] for item in fork["turns"][0]["items"]] == types
    assert fork["forkedFromId"] == "t"
