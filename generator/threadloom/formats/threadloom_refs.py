"""Multi-file protocol documents: bundle relative `$ref`s into one self-contained document.

An author may keep types in other files and refer to them as `other.json#/$defs/Name` (in a
schema's `$ref`, or in a method's `params`/`result` and an error's `data`). Bundling copies each
referenced definition into the main document's `$defs` under its own name and rewrites the
reference to `#/$defs/Name`; references inside a copied definition are resolved relative to the
file it came from. The walk follows key order, so the same files always give the same document.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadloom.errors import InputError, pointer_join
from threadloom.findings import display_path
from threadloom.jsonio import read_json

LOCAL_PREFIX = "#/$defs/"


@dataclass
class _Bundle:
    main: Path
    documents: dict[Path, Any] = field(default_factory=dict)
    # name in the bundled `$defs` -> the file it came from, to catch two files using one name
    origin: dict[str, Path] = field(default_factory=dict)
    defs: dict[str, Any] = field(default_factory=dict)


def bundle(document: dict[str, Any], file: Path) -> dict[str, Any]:
    """The document with every cross-file reference copied in; unchanged (same object) when it has none."""
    if not _has_external_refs(document):
        return document
    state = _Bundle(main=file.resolve())
    state.documents[state.main] = document
    result = copy.deepcopy(document)
    local_defs = result.get("$defs", {})
    if isinstance(local_defs, dict):
        for name in local_defs:
            state.origin[name] = state.main
    _rewrite(result, "", state.main, state)
    for index, entry in enumerate(result.get("x-methods", []) if isinstance(result.get("x-methods"), list) else []):
        _rewrite_table_entry(entry, pointer_join("x-methods", index), ("params", "result"), state)
    for index, entry in enumerate(result.get("x-errors", []) if isinstance(result.get("x-errors"), list) else []):
        _rewrite_table_entry(entry, pointer_join("x-errors", index), ("data",), state)
    if state.defs:
        merged = dict(local_defs) if isinstance(local_defs, dict) else {}
        merged.update(state.defs)
        result["$defs"] = merged
    return result


def _has_external_refs(node: Any) -> bool:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and key in ("$ref", "params", "result", "data") and _is_external(value):
                return True
            if _has_external_refs(value):
                return True
    elif isinstance(node, list):
        return any(_has_external_refs(item) for item in node)
    return False


def _is_external(ref: str) -> bool:
    return not ref.startswith("#") and ".json" in ref


def _rewrite_table_entry(entry: Any, pointer: str, keys: tuple[str, ...], state: _Bundle) -> None:
    if not isinstance(entry, dict):
        return
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str) and _is_external(value):
            entry[key] = _import(value, state.main, pointer_join_raw(pointer, key), state)


def _rewrite(node: Any, pointer: str, file: Path, state: _Bundle) -> None:
    """Rewrite, in place, every `$ref` of a schema taken from `file`."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and (_is_external(ref) or file != state.main):
            node["$ref"] = _import(ref, file, pointer_join_raw(pointer, "$ref"), state)
        for key, value in node.items():
            if key != "$ref":
                _rewrite(value, pointer_join_raw(pointer, key), file, state)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _rewrite(value, pointer_join_raw(pointer, index), file, state)


def _import(ref: str, file: Path, pointer: str, state: _Bundle) -> str:
    """Copy the definition `ref` (relative to `file`) into the bundle; return its local reference."""
    target_file, _, fragment = ref.partition("#")
    source = (file.parent / target_file).resolve() if target_file else file
    shown = display_path(file)
    if not fragment.startswith("/$defs/") or fragment.count("/") != 2:
        raise InputError(shown, f"`{ref}`: a reference must name a definition, `FILE.json#/$defs/Name`", pointer)
    name = fragment.rsplit("/", 1)[-1]
    if source == state.main:
        return LOCAL_PREFIX + name
    document = _document(source, ref, shown, pointer, state)
    defs = document.get("$defs") if isinstance(document, dict) else None
    if not isinstance(defs, dict) or name not in defs:
        raise InputError(shown, f"`{ref}`: {display_path(source)} has no definition `{name}`", pointer, f"add `{name}` to its `$defs` or fix the reference")
    known = state.origin.get(name)
    if known is not None and known != source:
        raise InputError(
            shown,
            f"`{ref}`: definition `{name}` exists in both {display_path(known)} and {display_path(source)}",
            pointer,
            "definitions share one namespace once bundled; rename one",
        )
    if known is None:
        state.origin[name] = source
        schema = copy.deepcopy(defs[name])
        state.defs[name] = schema
        _rewrite(schema, pointer_join("$defs", name), source, state)
    return LOCAL_PREFIX + name


def _document(source: Path, ref: str, shown: str, pointer: str, state: _Bundle) -> Any:
    if source not in state.documents:
        if not source.is_file():
            raise InputError(shown, f"`{ref}`: file {display_path(source)} not found", pointer, "fix the path; it is relative to the referring file")
        state.documents[source] = read_json(source)
    return state.documents[source]


def pointer_join_raw(base: str, part: object) -> str:
    return base + pointer_join(part)
