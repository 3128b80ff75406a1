"""`threadloom diff` on two synthetic ~700-definition documents."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench.bench_diff import evolve, synthesise
from bench.harness import Figure, median_of, seconds


def run(runs: int) -> list[Figure]:
    from threadloom.diff import diff_protocols
    from threadloom.loader import load_protocol

    old_doc = synthesise()
    new_doc = evolve(old_doc)
    with tempfile.TemporaryDirectory() as folder:
        old_path, new_path = Path(folder) / "old.json", Path(folder) / "new.json"
        old_path.write_text(json.dumps(old_doc), encoding="utf-8")
        new_path.write_text(json.dumps(new_doc), encoding="utf-8")
        old, new = load_protocol(old_path), load_protocol(new_path)
        load = median_of(runs, lambda: seconds(lambda: load_protocol(old_path))) * 1000
        diff_only = median_of(runs, lambda: seconds(lambda: diff_protocols(old, new))) * 1000
        end_to_end = median_of(runs, lambda: seconds(lambda: diff_protocols(load_protocol(old_path), load_protocol(new_path)))) * 1000
    note = f"{len(old.definitions)} -> {len(new.definitions)} definitions"
    return [
        Figure("diff, ~700 definitions (load both + diff)", end_to_end, "ms", 1000, False, "load one document", load, note),
        Figure("diff, ~700 definitions (diff only)", diff_only, "ms", None, False, note=note),
    ]
