"""Expected breaks: a transcript known to fail from a version on, because that version breaks it on purpose.

A header entry `{"at": "2", "rule": "property-required", "pointer": "/$defs/...", "findings": [...]}`
says: from server version `at` on, this transcript fails because of a break version `at` declares
in `x-protocol.breaks` (same rule, and pointer when given). The link is checked before any server
starts (a mark naming no declared break is an input error). When replaying against such a server
(`--server-version`), the failures it names (all of them without `findings`) become expected:
the transcript passes with a note. When none of them occurs any more, the transcript fails again:
the break is gone, and so must the mark be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threadloom_conformance.protocol import ProtocolDoc, ProtocolLoadError
from threadloom_conformance.protocols import find_version

EXPECTED_BREAK = "expected-break"


@dataclass(frozen=True)
class Mark:
    at: ProtocolDoc  # the first version that breaks the transcript
    declared: dict[str, Any]  # the x-protocol.breaks entry of that version
    findings: tuple[dict[str, Any], ...]  # which failures are expected; empty: every failure

    def covers(self, failure: Any) -> bool:
        if not self.findings:
            return True
        return any(_matches(pattern, failure) for pattern in self.findings)

    @property
    def note(self) -> str:
        pointer = f" at {self.declared['pointer']}" if self.declared.get("pointer") else ""
        return f"expected break from {self.at.identity} on: `{self.declared['rule']}`{pointer} ({self.declared.get('reason', '')})"


def resolve_marks(transcript: Any, versions: list[ProtocolDoc], where: Any) -> list[Mark]:
    """The transcript's marks, each linked to the break its version declares; ProtocolLoadError when one is not declared."""
    marks = []
    for entry in transcript.expected_breaks:
        at = find_version(versions, str(entry["at"]), where)
        declared = next((b for b in at.breaks if b.get("rule") == entry["rule"] and ("pointer" not in entry or b.get("pointer") == entry["pointer"])), None)
        if declared is None:
            pointer = f" at {entry['pointer']}" if "pointer" in entry else ""
            raise ProtocolLoadError(
                f"{transcript.path}:1: expectedBreaks names `{entry['rule']}`{pointer}, which version {at.identity} does not declare in x-protocol.breaks"
            )
        marks.append(Mark(at, declared, tuple(entry.get("findings", []))))
    return marks


def applies(mark: Mark, server: ProtocolDoc | None, versions: list[ProtocolDoc]) -> bool:
    """A mark holds for servers of its version and later ones (in the protocol's version order)."""
    if server is None:
        return False
    order = [doc.identity for doc in versions]
    return order.index(server.identity) >= order.index(mark.at.identity)


def _matches(pattern: dict[str, Any], failure: Any) -> bool:
    if "check" in pattern and pattern["check"] != failure.check:
        return False
    if "line" in pattern and pattern["line"] != failure.line:
        return False
    if "path" in pattern:
        path = failure.path or ""
        return path == pattern["path"] or path.startswith(pattern["path"] + ".") or path.startswith(pattern["path"] + "[")
    return True
