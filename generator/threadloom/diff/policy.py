"""What a team decides about findings: per-rule level overrides, ignore files, the failure threshold."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from threadloom.diff.findings import Audience, DiffFinding, Level
from threadloom.diff.rules import rule_ids
from threadloom.errors import InputError

OFF = "OFF"


@dataclass(frozen=True)
class Override:
    rule: str
    audience: Audience | None  # None: both populations
    level: Level | None  # None: the rule is switched off


def parse_overrides(items: Iterable[str]) -> list[Override]:
    """`RULE=LEVEL` or `RULE:AUDIENCE=LEVEL`; LEVEL is ERR, WARN, INFO or OFF."""
    known = set(rule_ids())
    overrides = []
    for item in items:
        target, sep, level_text = item.partition("=")
        rule, _, audience_text = target.partition(":")
        if not sep or not rule:
            raise InputError("--level", f"`{item}` is not RULE=LEVEL", hint="e.g. --level enum-value-added=ERR")
        if rule not in known:
            raise InputError("--level", f"unknown rule `{rule}`", hint="see `threadloom diff --list-rules`")
        try:
            audience = Audience(audience_text) if audience_text else None
        except ValueError:
            raise InputError("--level", f"unknown audience `{audience_text}`", hint="old-clients or new-clients") from None
        try:
            level = None if level_text.strip().upper() == OFF else Level.parse(level_text)
        except ValueError as error:
            raise InputError("--level", str(error), hint="ERR, WARN, INFO or OFF") from None
        overrides.append(Override(rule, audience, level))
    return overrides


def apply_overrides(findings: Iterable[DiffFinding], overrides: list[Override]) -> list[DiffFinding]:
    out = []
    for finding in findings:
        chosen = [o for o in overrides if o.rule == finding.rule and o.audience in (None, finding.audience)]
        if not chosen:
            out.append(finding)
            continue
        override = chosen[-1]  # the last one given wins, like any repeated command-line option
        if override.level is not None:
            out.append(finding if override.level is finding.level else finding.with_level(override.level, "level set by --level"))
    return out


def load_ignore_file(path: Path) -> dict[str, str]:
    """Fingerprint -> reason. JSON (`{fp: reason}` or `[{fingerprint, reason}]`) or text lines `fp reason`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "ignore file not found") from None
    except OSError as error:
        raise InputError(path, f"cannot read ignore file: {error}") from None
    entries = _json_entries(path, text) if text.lstrip().startswith(("{", "[")) else _text_entries(path, text)
    for fingerprint, reason in entries.items():
        if not reason.strip():
            raise InputError(path, f"ignored fingerprint `{fingerprint}` has no reason", hint="say why the change is accepted")
    return entries


def _json_entries(path: Path, text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(path, f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    if isinstance(data, dict) and isinstance(data.get("ignore"), list):
        data = data["ignore"]
    if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        return {str(k): v for k, v in data.items()}
    if isinstance(data, list) and all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in data):
        return {e["fingerprint"]: str(e.get("reason", "")) for e in data}
    raise InputError(path, "expected {fingerprint: reason} or [{fingerprint, reason}]")


def _text_entries(path: Path, text: str) -> dict[str, str]:
    entries = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fingerprint, _, reason = line.partition(" ")
        if not reason.strip():
            raise InputError(path, f"line {number}: `{fingerprint}` has no reason", hint="write `FINGERPRINT why it is accepted`")
        entries[fingerprint] = reason.strip()
    return entries


def apply_ignores(findings: Iterable[DiffFinding], ignores: dict[str, str]) -> tuple[list[DiffFinding], list[tuple[DiffFinding, str]]]:
    kept, ignored = [], []
    for finding in findings:
        if finding.fingerprint in ignores:
            ignored.append((finding, ignores[finding.fingerprint]))
        else:
            kept.append(finding)
    return kept, ignored


def reaches(findings: Iterable[DiffFinding], threshold: Level) -> bool:
    return any(f.level >= threshold for f in findings)
