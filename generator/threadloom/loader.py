"""Finding and loading protocol documents into the intermediate model.

The format-specific part lives in `generator/threadloom/formats/`; this module only locates files, reads
JSON, picks the format, and validates against the format's metaschema.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from threadloom.errors import InputError, pointer_join
from threadloom.findings import Finding, display_path
from threadloom.formats import FORMATS
from threadloom.jsonio import read_json
from threadloom.model import Protocol

DOCUMENT_NAME = "protocol.json"
VERSION_DIR = re.compile(r"^v(\d+)$")


def resolve_source(path: Path) -> Path:
    """A version directory stands for its `protocol.json`."""
    if path.is_dir():
        return path / DOCUMENT_NAME
    return path


def discover_versions(root: Path) -> list[Path]:
    """`protocol/v1`, `protocol/v2`, ... in version order."""
    if not root.is_dir():
        raise InputError(root, "protocol directory not found")
    found = [(int(m.group(1)), p) for p in root.iterdir() if p.is_dir() and (m := VERSION_DIR.match(p.name))]
    return [p for _, p in sorted(found)]


@functools.cache
def metaschema() -> dict[str, Any]:
    text = resources.files("threadloom.formats").joinpath("metaschema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _metaschema_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(metaschema())


def metaschema_findings(document: Any, file: Path) -> list[Finding]:
    """Every place where the document breaks the format's metaschema."""
    findings = []
    for error in _metaschema_validator().iter_errors(document):
        findings.append(
            Finding(
                file=display_path(file),
                pointer=pointer_join(*error.absolute_path),
                rule="metaschema",
                message=error.message if len(error.message) < 300 else error.message[:300] + "...",
                hint="see protocol/README.md for the document format",
            )
        )
    return sorted(findings)


def read_document(path: Path) -> tuple[Path, Any]:
    file = resolve_source(path)
    return file, read_json(file)


def to_model(document: Any, file: Path) -> Protocol:
    for fmt in FORMATS:
        if fmt.recognises(document):
            protocol: Protocol = fmt.to_model(document, file)
            return protocol
    raise InputError(file, "not a protocol document", "", "expected a JSON Schema with an `x-protocol` header")


def load_protocol(path: Path) -> Protocol:
    """Load for use (diff, generate): anything that breaks the metaschema is an input error."""
    file, document = read_document(path)
    if not any(fmt.recognises(document) for fmt in FORMATS):
        raise InputError(file, "not a protocol document", "", "expected a JSON Schema with an `x-protocol` header")
    problems = metaschema_findings(document, file)
    if problems:
        first = problems[0]
        more = f" and {len(problems) - 1} more problem(s); run `threadloom check`" if len(problems) > 1 else ""
        raise InputError(file, f"not a valid protocol document: {first.message}{more}", first.pointer)
    return to_model(document, file)
