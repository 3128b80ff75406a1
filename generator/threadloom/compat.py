"""Compatibility between consecutive protocol versions, for `threadloom check`.

Each version must keep old clients working with the new server: every `threadloom diff` finding
at ERR for old clients is a check finding, unless the newer version declares that break in
`x-protocol.breaks` (the diff then reports it at INFO with the declared reason).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from threadloom.errors import InputError
from threadloom.findings import Finding, display_path
from threadloom.model import Protocol

RULE_PREFIX = "compat/"


def compat_findings(version_dirs: list[Path]) -> list[Finding]:
    """Findings for every consecutive pair of versions; versions that do not load are skipped
    (the per-version checks already report why)."""
    from threadloom.diff import diff_protocols
    from threadloom.diff.findings import Audience, Level
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
        for diff in diff_protocols(old, new):
            if diff.level is Level.ERR and diff.audience is Audience.OLD_CLIENTS:
                declaration = json.dumps({"rule": diff.rule, "pointer": diff.new_pointer, "reason": "..."})
                via = f" (via {', '.join(diff.methods)})" if diff.methods else ""
                findings.append(
                    Finding(
                        file=display_path(new.source),
                        pointer=diff.new_pointer,
                        rule=RULE_PREFIX + diff.rule,
                        message=f"{old.label} -> {new.label} breaks old clients: {diff.message}{via}",
                        hint=f"make the change compatible, or declare it in x-protocol.breaks: {declaration}",
                    )
                )
    return findings
