"""`threadloom validate` on real ACP releases: a session written after the protocol's documented
examples is valid for sdk 0.4.5 and 2.4.0 (protocol version 1), and the v2 draft reports exactly
where it differs."""

from __future__ import annotations

from pathlib import Path

from threadloom.formats import acp
from threadloom.validate import choose_version, validate_files
from threadloom_conformance.releases_acp import acp_package_dir

SESSION = Path(__file__).parents[1] / "validate" / "fixtures" / "acp-session.jsonl"


def findings(release: str, version: int) -> list[tuple[int, str]]:
    protocol = choose_version(acp.load(acp_package_dir(release)), version, Path(release))
    outcome = validate_files(protocol, [SESSION])
    assert outcome.checked == 15
    return [(f.line, f.pointer) for f in outcome.findings]


def test_session_is_valid_for_both_releases() -> None:
    assert findings("0.4.5", 1) == []
    assert findings("2.4.0", 1) == []


def test_v2_draft_differences_are_located() -> None:
    assert findings("2.4.0", 2) == [
        (1, "/params"),  # `info` became required
        (2, "/result"),
        (7, "/params/update"),  # message chunks carry a `messageId`
        (9, "/method"),  # the client no longer serves fs/*
        (10, "/id"),  # ... so its answer answers nothing
        (11, "/params"),  # permission requests need a `title`
        (15, "/result"),  # the prompt result carries a `messageId`
    ]
