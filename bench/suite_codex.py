"""The Codex adapter on the largest pinned real release (fetched into the shared cache on first run).

Baseline in the same run: `json.loads` of the export's bundle, the floor of any reader of it.
"""

from __future__ import annotations

import json

from bench.harness import Figure, median_of, seconds


def run(runs: int) -> list[Figure]:
    from threadloom.formats import codex
    from threadloom_conformance.releases import PINNED, codex_export

    version = PINNED["codex"][-1]
    export = codex_export(version, experimental=True)
    bundle = (export / codex.BUNDLE).read_text(encoding="utf-8")
    [protocol] = codex.load(export)
    load = median_of(runs, lambda: seconds(lambda: codex.load(export))) * 1000
    parse = median_of(runs, lambda: seconds(lambda: json.loads(bundle))) * 1000
    note = f"@openai/codex@{version} --experimental: {len(protocol.definitions)} definitions, {len(protocol.methods)} methods"
    return [Figure(f"codex adapter load, {version}", load, "ms", None, False, "json.loads of the bundle", parse, note)]
