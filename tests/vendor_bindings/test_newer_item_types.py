"""A message from a newer Codex release with an item type the older schema lacks.

Bindings generated from 0.100.0 and 0.130.0 receive a 0.171.0 `item/completed` whose item type
they have never heard of (found by set logic over the exports' `ThreadItem` variants). Ours decode
it as the unknown member of the open union, keeping every raw member; the known items still
decode as their classes. The official `openai-codex` SDK raises a pydantic ValidationError on
the same message (its `ThreadItem` is a closed discriminated union).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.vendor_bindings.support import Generated, run_tsc
from threadloom_conformance.releases import codex_export
from threadloom_runtime.base import UnknownVariant
from threadloom_runtime.validation import validate


def thread_item_tags(release: str) -> set[str]:
    """The `type` tags of `ThreadItem` in a release's bundle (plain set logic, no adapter)."""
    bundle = json.loads((codex_export(release) / "codex_app_server_protocol.schemas.json").read_text(encoding="utf-8"))
    definitions = bundle["definitions"]
    union = definitions.get("v2", {}).get("ThreadItem") or definitions["ThreadItem"]
    return {option["properties"]["type"]["enum"][0] for option in union["oneOf"]}


NEW_TAG = "sleep"
# What 0.171.0 sends when the `clock.sleep` tool's display item completes (its SleepThreadItem).
SLEEP_ITEM = {"type": NEW_TAG, "id": "item-7", "durationMs": 1500}
PARAMS: dict[str, Any] = {"item": SLEEP_ITEM, "threadId": "thr-1", "turnId": "turn-2", "completedAtMs": 1764480000123}


def test_the_new_item_type_is_new_to_both_older_releases() -> None:
    newest = thread_item_tags("0.171.0")
    for older in ("0.100.0", "0.130.0"):
        assert NEW_TAG in newest - thread_item_tags(older), older


def test_the_message_is_a_valid_0_171_0_message(codex_171: Generated) -> None:
    info = codex_171.module("v1", "methods").METHODS["item/completed"]
    decoded = validate(info.params, PARAMS)
    assert type(decoded.item).__name__ == "SleepThreadItem" and decoded.item.duration_ms == 1500


def test_older_models_decode_it_as_the_unknown_member_with_its_raw_data(codex_old: dict[str, Generated]) -> None:
    for release, generated in codex_old.items():
        methods = generated.module("v1", "methods")
        decoded = validate(methods.METHODS["item/completed"].params, PARAMS)
        item = decoded.item
        assert isinstance(item, UnknownVariant), release
        assert type(item).__name__ == "UnknownThreadItem", release
        assert item.raw() == SLEEP_ITEM, release
        assert decoded.thread_id == "thr-1" and decoded.turn_id == "turn-2"
        # A known item type still decodes as its own class.
        known = validate(methods.METHODS["item/completed"].params, {**PARAMS, "item": {"type": "agentMessage", "id": "m", "text": "hi"}})
        assert type(known.item).__name__ == "AgentMessageThreadItem" and known.item.text == "hi", release


TYPE_TEST = """\
import type * as v1 from './v1.js';
import { isKnownThreadItem } from './v1.js';

// What the generated client hands a subscriber: the wire params, typed by the method map.
export function describe(params: v1.ServerNotificationMethods['item/completed']['params']): string {
  const item = params.item;
  if (!isKnownThreadItem(item)) {
    const unknown: v1.UnknownThreadItem = item;
    return `${String(unknown.type)}: ${JSON.stringify(unknown)}`;
  }
  switch (item.type) {
    case 'agentMessage':
      return item.text;
    default:
      return item.type;
  }
}

export const received = JSON.parse(%(wire)s) as v1.ServerNotificationMethods['item/completed']['params'];
export const described: string = describe(received);

// A literal tag is not an unknown tag: only values from the wire are.
// @ts-expect-error 'sleep' is not assignable to UnknownTag
export const forged: v1.UnknownThreadItem = { type: 'sleep' };
"""


def test_typescript_types_make_the_unknown_member_narrowable(codex_old: dict[str, Generated]) -> None:
    generated = codex_old["0.130.0"]
    module = (generated.ts_out / "src" / "v1.ts").read_text(encoding="utf-8")
    assert "export type ThreadItem = KnownThreadItem | UnknownThreadItem;" in module
    assert f"'{NEW_TAG}'" not in module and f'"{NEW_TAG}"' not in module
    check: Path = generated.ts_out / "src" / "newer_items.ts"
    check.write_text(TYPE_TEST % {"wire": json.dumps(json.dumps(PARAMS))}, encoding="utf-8")
    try:
        done = run_tsc(generated.ts_out)
    finally:
        check.unlink()
    assert done.returncode == 0, done.stdout[-4000:]
