"""`threadloom check`: everything that keeps the protocol documents honest.

Per version: the format's metaschema, the lint rules, the examples; across versions: the
frozen-version lock and undeclared breaks. Each problem is a `Finding` naming the file and JSON
pointer. A document that cannot be read at all is an input error (exit 2), not a finding.

Another vendor's export (a Codex export, an ACP schema) is judged by the structural lint rules
only (`lint.rules.Scope`: the vendor's naming and documentation style are not ours to judge),
plus the notes its adapter made (`Protocol.notes`, mostly warnings and infos). Only findings of
level `error` fail the check (`findings.Level`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from threadloom.errors import InputError, pointer_join
from threadloom.findings import Finding, display_path
from threadloom.formats import threadloom as threadloom_format
from threadloom.formats.threadloom_envelopes import derive
from threadloom.jsonio import dumps_stable, read_json
from threadloom.lint.rules import lint, scopes_for
from threadloom.loader import discover_versions, resolve_format
from threadloom.model import Protocol
from threadloom.plugins.lift import lifted_protocol

LOCK_NAME = "versions.lock.json"
HASH_OF, CANONICAL = "hashOf", "canonical-json"  # lock entries without hashOf hash bytes (the original format)


@dataclass
class CheckReport:
    findings: list[Finding]
    # What was checked, for the summary line: "codex 0.169.0" per vendor export; empty for
    # Threadloom's own documents (their files and `vN` folders already say it).
    subjects: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(f.fails for f in self.findings)

    def summary(self) -> str:
        errors = sum(f.fails for f in self.findings)
        text = f"{errors} finding(s)" if errors else "protocol OK"
        others = Counter(f.level.value for f in self.findings if not f.fails)
        if others:
            text += " (" + ", ".join(f"{count} {level}(s)" for level, count in sorted(others.items(), reverse=True)) + ")"
        return f"{', '.join(self.subjects)}: {text}" if self.subjects else text


def check_protocol(path: Path, format: str | None = None) -> list[Finding]:
    """All findings for a `--protocol PATH`. What cannot be read at all (a missing file, invalid
    JSON, a broken cross-file reference, not a protocol) raises `InputError`: exit 2, as in every
    command."""
    return check_source(path, format).findings


def check_source(path: Path, format: str | None = None) -> CheckReport:
    """`check_protocol` with what was checked, for the command's summary line."""
    module = resolve_format(path, format)
    if module is not threadloom_format:
        protocols = module.load(path)
        return CheckReport(_check_models(protocols), _subjects(protocols))
    findings: list[Finding] = []
    for file in threadloom_format.document_files(path):
        findings += check_document(file)
    if threadloom_format.is_version_set(path):
        versions = threadloom_format.version_dirs(path)
        findings += check_lock(path, versions)
        from threadloom.compat import compat_findings  # here: the diff engine loads only when checking

        findings += compat_findings(versions)
    return CheckReport(sorted(findings))


def _subjects(protocols: list[Protocol]) -> list[str]:
    """`codex 0.169.0` per release; `acp 2.4.0 v1`, `acp 2.4.0 v2` when one release holds several
    protocol versions."""
    shared = len({p.identity for p in protocols}) < len(protocols)
    return [f"{p.format} {p.identity}" + (f" {p.label}" if shared else "") for p in protocols]


def check_protocol_dir(root: Path) -> list[Finding]:
    """All findings for a folder of versions (kept for callers that name the folder explicitly)."""
    if not discover_versions(root):
        raise InputError(display_path(root), "no version folders (v1, v2, ...) found")
    return check_protocol(root)


def check_version(version_dir: Path) -> list[Finding]:
    return check_document(threadloom_format.document_files(version_dir)[0])


def check_document(file: Path) -> list[Finding]:
    """Metaschema, lint, examples and folder name of one version's document."""
    document = threadloom_format.read_document(file)
    problems = threadloom_format.metaschema_findings(document, file)
    if problems:
        return problems  # the model cannot be trusted; lint would only add noise
    protocol = threadloom_format.to_model(derive(document, file), file)
    shown = display_path(file)
    findings = [Finding(shown, pointer, rule_id, message, hint) for rule_id, (pointer, message, hint) in lint(protocol)]
    findings += _version_matches_folder(protocol, file.parent, shown)
    if not any(finding.rule == "ref-resolves" for finding in findings):
        findings += check_examples(protocol, protocol.examples_dir)  # a validator stops dead at a dangling `$ref`
    return findings


def _check_models(protocols: list[Protocol]) -> list[Finding]:
    """Another vendor's export: the structural rules on what its adapter produced, plus the
    adapter's own notes. A rule's pointer is in the adapter's translation of the export (the
    document `threadloom bundle` prints), which the hint says. The rules judge the model as the
    generators see it, with inline options named (`plugins/lift.py`): an option generation names
    is not an inline type."""
    findings: list[Finding] = []
    for protocol in protocols:
        shown = display_path(protocol.source)
        where = f"the pointer is in the {protocol.format} adapter's translation: `threadloom bundle --protocol {shown}`"
        findings += [
            Finding(shown, pointer, rule_id, message, f"{hint}; {where}")
            for rule_id, (pointer, message, hint) in lint(lifted_protocol(protocol), scopes_for(protocol.format))
        ]
        findings += protocol.notes
    return sorted(findings)


def _version_matches_folder(protocol: Protocol, version_dir: Path, shown: str) -> list[Finding]:
    if not threadloom_format.VERSION_DIR.match(version_dir.name) or version_dir.name == f"v{protocol.version}":
        return []
    return [
        Finding(
            shown,
            "/x-protocol/version",
            "version-folder",
            f"document says version {protocol.version} but lives in `{version_dir.name}/`",
            "move it or fix `version`",
        )
    ]


def check_examples(protocol: Protocol, examples_dir: Path) -> list[Finding]:
    """`examples/<Definition>/*.json`: each must validate against that definition."""
    findings: list[Finding] = []
    if not examples_dir.is_dir():
        return findings
    for folder in sorted(p for p in examples_dir.iterdir() if p.is_dir()):
        for example in sorted(folder.glob("*.json")):
            shown = display_path(example)
            if folder.name not in protocol.definitions:
                findings.append(
                    Finding(
                        shown, "", "example-valid", f"`{folder.name}` is not a definition of v{protocol.version}", "rename the folder after a `$defs` entry"
                    )
                )
                continue
            try:
                value = read_json(example)
            except InputError as error:
                findings.append(Finding(shown, "", "example-valid", error.message, "fix the JSON"))
                continue
            for problem in definition_validator(protocol, folder.name).iter_errors(value):
                findings.append(Finding(shown, pointer_join(*problem.absolute_path), "example-valid", problem.message, f"make it a valid `{folder.name}`"))
    return findings


def definition_validator(protocol: Protocol, name: str) -> jsonschema.Draft202012Validator:
    """A standard validator for one definition, resolving `$ref`s inside the version's document."""
    schema: dict[str, Any] = {"$ref": f"#/$defs/{name}", "$defs": protocol.document["$defs"]}
    return jsonschema.Draft202012Validator(schema)


def version_hash(version_dir: Path, canonical: bool = True) -> str:
    """Hash of every file of a version folder (paths and contents), independent of file-system order.

    Canonical (the default): a JSON file counts by its parsed value (sorted keys, no whitespace),
    so re-indenting a released document is not a change; other files count by their bytes.
    `canonical=False` is the original byte hash, still accepted in lock entries written before.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in version_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(version_dir).as_posix().encode() + b"\0")
        digest.update((canonical_bytes(path) if canonical else path.read_bytes()) + b"\0")
    return digest.hexdigest()


def canonical_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix != ".json":
        return data
    try:
        value = json.loads(data)
    except ValueError:
        return data  # not JSON after all: its bytes (check reports the syntax error elsewhere)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def lock_matches(entry: Any, version_dir: Path) -> bool:
    """A lock entry records `sha256` and, since canonical hashing, `"hashOf": "canonical-json"`."""
    if not isinstance(entry, dict):
        return False
    canonical = entry.get(HASH_OF) == CANONICAL
    return entry.get("sha256") == version_hash(version_dir, canonical=canonical)


def read_lock(root: Path) -> dict[str, Any]:
    lock_file = root / LOCK_NAME
    if not lock_file.exists():
        return {}
    lock = read_json(lock_file)
    if not isinstance(lock, dict):
        raise InputError(lock_file, "expected a JSON object of version -> {sha256}")
    return lock


def check_lock(root: Path, versions: list[Path]) -> list[Finding]:
    lock_file = display_path(root / LOCK_NAME)
    try:
        lock = read_lock(root)
    except InputError as error:
        return [Finding(lock_file, "", "frozen", error.message, "restore the lock file from git")]
    present = {p.name: p for p in versions}
    findings = []
    for name, entry in sorted(lock.items()):
        if name not in present:
            findings.append(
                Finding(lock_file, pointer_join(name), "frozen", f"released version `{name}` is missing", "restore it: released versions are never deleted")
            )
        elif not lock_matches(entry, present[name]):
            findings.append(
                Finding(
                    lock_file,
                    pointer_join(name, "sha256"),
                    "frozen",
                    f"released version `{name}` changed since it was frozen",
                    f"revert the change (`git checkout -- protocol/{name}`) and make it in the next version instead",
                )
            )
    return findings


def freeze(root: Path, version: str) -> str:
    """Record a version as released: from now on `check` fails if it changes."""
    if not threadloom_format.is_version_set(root):
        raise InputError(display_path(root), "not a folder of version folders", hint="freeze works on the folder holding v1/, v2/, ... and versions.lock.json")
    versions = {p.name: p for p in discover_versions(root)}
    if version not in versions:
        raise InputError(root, f"no version folder `{version}`", hint=f"existing: {', '.join(versions) or 'none'}")
    lock = read_lock(root)
    digest = version_hash(versions[version])
    lock[version] = {"sha256": digest, HASH_OF: CANONICAL}
    (root / LOCK_NAME).write_text(dumps_stable(dict(sorted(lock.items()))), encoding="utf-8")
    return digest
