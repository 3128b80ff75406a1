"""Compatibility between consecutive protocol versions, for `threadloom check`.

Each version must keep old clients working with the new server: every `threadloom diff` finding
at ERR for old clients is a check finding, unless the newer version declares that break in
`x-protocol.breaks` (rule and the change's own pointer, matched exactly). The diff still reports a
declared break as a break, with its reason; declaring only lets `check` pass. A declaration that
matches no break is a finding too, and so is an addition without its `x-since` mark
(threadloom/lint/additions_marked.py).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from threadloom.diff.findings import Audience, DiffFinding, Level
from threadloom.diff.report import side_label
from threadloom.errors import InputError, pointer_join
from threadloom.findings import Finding, display_path
from threadloom.lint.additions_marked import unmarked_additions
from threadloom.model import Protocol

RULE_PREFIX = "compat/"
DECLARATION_RULE = "compat/declaration"


def compat_findings(version_dirs: list[Path]) -> list[Finding]:
    """Findings for every consecutive pair of versions; versions that do not load are skipped
    (the per-version checks already report why)."""
    from threadloom.diff import diff_protocols
    from threadloom.loader import load_protocol

    protocols: list[Protocol | None] = []
    for version_dir in version_dirs:
        try:
            protocols.append(load_protocol(version_dir))
        except InputError:
            protocols.append(None)
    findings = []
    for old, new in itertools.pairwise(protocols):
        if old is None or new is None:
            continue
        diffs = diff_protocols(old, new)
        findings += [_undeclared(old, new, d) for d in diffs if d.level is Level.ERR and d.audience is Audience.OLD_CLIENTS and not d.declared]
        findings += _unmatched_declarations(new, diffs)
        findings += unmarked_additions(old, new, diffs)
    return findings


def _undeclared(old: Protocol, new: Protocol, diff: DiffFinding) -> Finding:
    # The suggested declaration names the change's own pointer: pasting it accepts this break only.
    declaration = json.dumps({"rule": diff.rule, "pointer": diff.subject_pointer, "reason": "..."})
    via = f" (via {', '.join(diff.methods)})" if diff.methods else ""
    return Finding(
        file=display_path(new.source),
        pointer=diff.new_pointer,
        rule=RULE_PREFIX + diff.rule,
        message=f"{side_label(old)} -> {side_label(new)} breaks old clients: {diff.message}{via}",
        hint=f"make the change compatible, or declare it in x-protocol.breaks: {declaration}",
    )


def _unmatched_declarations(new: Protocol, diffs: list[DiffFinding]) -> list[Finding]:
    """A declaration must name one break exactly; one that matches nothing (a parent pointer, a
    typo, a break since undone) would silently accept a later break, so it is a finding."""
    from threadloom.diff.engine import declared_breaks, declares

    findings = []
    for index, entry in enumerate(declared_breaks(new)):
        if any(declares(entry, d) for d in diffs):
            continue
        candidates = sorted({d.subject_pointer for d in diffs if d.rule == entry["rule"] and d.level > Level.INFO})
        hint = f"breaks of `{entry['rule']}` in this version are at: {', '.join(candidates)}" if candidates else "remove it: this version makes no such break"
        what = "names no pointer" if not entry.get("pointer") else f"matches no `{entry['rule']}` break at `{entry['pointer']}`"
        findings.append(Finding(display_path(new.source), pointer_join("x-protocol", "breaks", index), DECLARATION_RULE, f"declared break {what}", hint))
    return findings
