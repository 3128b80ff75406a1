"""The size contract's shaping functions (server/threadloom_server/limits.py)."""

from __future__ import annotations

from typing import Any

from threadloom_server.limits import cut_string, fit, fit_page, fit_thread, shown_budget, size


def test_a_long_string_is_cut_on_a_character_boundary_with_a_marker() -> None:
    cut = cut_string("é" * 100, 51)
    assert cut.startswith("é" * 25) and "more bytes not shown" in cut and "\ufffd" not in cut
    assert cut_string("short", 51) == "short"


def test_fit_leaves_what_fits_and_cuts_long_strings_but_never_ids() -> None:
    item = {"type": "agentMessage", "id": "x" * 300, "text": "word " * 100_000}
    assert fit(item, 10**7) is item
    fitted = fit(item, 20_000)
    assert size(fitted) <= 20_000 and fitted["id"] == item["id"] and fitted["type"] == "agentMessage"
    assert "more bytes not shown" in fitted["text"]


def test_a_history_loses_the_items_of_its_oldest_turns_when_cutting_strings_is_not_enough() -> None:
    turns = [{"id": f"t{n}", "status": "completed", "items": [{"type": "plan", "id": f"i{n}-{k}", "steps": []} for k in range(50)]} for n in range(20)]
    thread = {"id": "th", "cwd": "/w", "turns": turns}
    fitted = fit_thread(thread, 20_000)
    assert size(fitted) <= 20_000 and len(fitted["turns"]) == 20
    assert fitted["turns"][0]["items"] == [] and fitted["turns"][-1]["items"] == turns[-1]["items"]


def test_a_list_page_ends_early_with_a_cursor_to_the_rest() -> None:
    threads: list[dict[str, object]] = [{"id": f"t{n}", "name": "n" * 1000, "updatedAt": n} for n in range(50)]
    page: dict[str, Any] = {"data": threads, "nextCursor": None}
    fitted = fit_page(page, 10_000, lambda thread: f"after-{thread['id']}")
    assert size(fitted) <= 10_000 and fitted["nextCursor"] == f"after-{fitted['data'][-1]['id']}"
    assert fit_page({"data": threads[:2], "nextCursor": None}, 10_000, str)["nextCursor"] is None


def test_the_shown_budget_is_a_quarter_of_the_limit() -> None:
    assert shown_budget(8 * 1024 * 1024) == 2 * 1024 * 1024 and shown_budget(1024) == 256
