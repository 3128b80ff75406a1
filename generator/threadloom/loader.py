"""Naming input the same way in every command: `--protocol PATH [--format NAME]`.

PATH is a folder of version folders (`protocol/`), one version folder (`protocol/v2`), or one
document file; for other vendors' exports, whatever their format module recognises (a Codex
export folder, an ACP `schema.json`). `load_protocols` picks the format (the first module of
`formats.FORMATS` that recognises the source, or the one `--format` names) and returns every
version the source holds, oldest first. What cannot be loaded raises `InputError` naming the
file and, where known, the JSON pointer; commands turn it into exit 2.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from threadloom.errors import InputError
from threadloom.findings import display_path
from threadloom.formats import FORMATS
from threadloom.formats import threadloom as threadloom_format
from threadloom.jsonio import read_json
from threadloom.model import Protocol

PATH_HINT = "expected a folder of versions (protocol/), one version folder (protocol/v2), one protocol document, or a Codex or ACP release"


def format_names() -> list[str]:
    return [module.NAME for module in FORMATS]


def resolve_format(path: Path, name: str | None = None) -> ModuleType:
    """The format module that reads `path`: the one named, or the first that recognises it."""
    if not path.exists():
        raise InputError(display_path(path), "not found", hint=PATH_HINT)
    if name is not None:
        chosen = next((module for module in FORMATS if name == module.NAME), None)
        if chosen is None:
            raise InputError("--source-format", f"unknown source format `{name}`", hint=f"known formats: {', '.join(format_names())}")
        return chosen
    for module in FORMATS:
        if module.recognises(path):
            return module
    if path.is_file():
        read_json(path)  # invalid JSON is the more useful message when that is what is wrong
        raise InputError(display_path(path), "not a protocol document", "", threadloom_format.NOT_A_PROTOCOL_HINT)
    expected = display_path(path / threadloom_format.DOCUMENT_NAME)
    raise InputError(
        display_path(path),
        f"no protocol found in this folder: no {expected}, no v1/protocol.json, ..., and no source of another known format",
        hint=f"known formats: {', '.join(format_names())}; {PATH_HINT}",
    )


def load_protocols(path: Path, format: str | None = None) -> list[Protocol]:
    """Every version `path` holds, oldest first."""
    protocols: list[Protocol] = resolve_format(path, format).load(path)
    if not protocols:
        raise InputError(display_path(path), "holds no protocol version", hint=PATH_HINT)
    return protocols


def load_protocol(path: Path, format: str | None = None) -> Protocol:
    """Exactly one version (diff's OLD and NEW): a version folder or a document file."""
    protocols = load_protocols(path, format)
    if len(protocols) != 1:
        labels = ", ".join(p.label for p in protocols)
        raise InputError(display_path(path), f"holds {len(protocols)} versions ({labels}); name one", hint="pass a version folder, e.g. protocol/v2")
    return protocols[0]


def discover_versions(root: Path) -> list[Path]:
    """`protocol/v1`, `protocol/v2`, ... in version order (Threadloom's own layout)."""
    if not root.is_dir():
        raise InputError(display_path(root), "protocol directory not found", hint=PATH_HINT)
    return threadloom_format.version_dirs(root)
