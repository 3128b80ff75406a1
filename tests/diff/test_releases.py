"""Releases of other vendors' protocols (Codex, ACP adapters): identified by release strings, with no
`since` marks. The diff names them by release and gates nothing on marks they do not have."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.diff.helpers import fixture
from threadloom.diff import Audience, Level, Role, diff_protocols
from threadloom.diff.report import Report, Side, render
from threadloom.lint.additions_marked import unmarked_additions
from threadloom.loader import load_protocol
from threadloom.model import Protocol


def as_release(protocol: Protocol, release: str) -> Protocol:
    """The same document as an adapter would give it: another format, a release string, no marks."""
    methods = tuple(replace(m, since=0) for m in protocol.methods)
    definitions = {name: replace(d, since=0) for name, d in protocol.definitions.items()}
    return replace(protocol, format="vendor", release=release, methods=methods, definitions=definitions)


def pair(rule: str) -> tuple[Protocol, Protocol]:
    old, new = (load_protocol(fixture(rule, side)) for side in ("previous", "current"))
    return as_release(old, "0.169.0"), as_release(new, "0.170.0")


def test_reports_name_releases_by_their_own_identity() -> None:
    old, new = pair("type-changed")
    report = Report(Side.of(old), Side.of(new), diff_protocols(old, new))
    assert render("text", report).rstrip().endswith("0.169.0 -> 0.170.0: 1 change(s): 1 ERR, 0 WARN, 0 INFO")
    data = json.loads(render("json", report))
    assert (data["old"]["version"], data["new"]["version"]) == ("0.169.0", "0.170.0")
    assert render("markdown", report).startswith("# changes from 0.169.0 to 0.170.0")


def test_without_since_marks_nothing_is_gated() -> None:
    # In Threadloom's format the new variant is marked x-since 2: harmless for old clients.
    marked = diff_protocols(load_protocol(fixture("union-variant-added", "previous")), load_protocol(fixture("union-variant-added", "current")))
    video = [f for f in marked if f.rule == "union-variant-added" and "video" in f.message and f.audience is Audience.OLD_CLIENTS]
    assert [f.level for f in video] == [Level.INFO]
    # A release without marks: the same addition to a closed union breaks old clients.
    findings = diff_protocols(*pair("union-variant-added"))
    video = [f for f in findings if f.rule == "union-variant-added" and "video" in f.message and f.audience is Audience.OLD_CLIENTS]
    assert [(f.level, f.role) for f in video] == [(Level.ERR, Role.WRITTEN)]
    assert all("x-since" not in f.message for f in findings)


def test_method_added_does_not_mention_marks_a_release_lacks() -> None:
    findings = diff_protocols(*pair("method-added"))
    messages = [f.message for f in findings if f.rule == "method-added"]
    assert messages and all("marked since" not in m and "old servers answer MethodNotFound" in m for m in messages)


def test_additions_marked_does_not_apply_to_formats_without_marks() -> None:
    old, new = pair("property-optional-added")
    assert unmarked_additions(old, new, diff_protocols(old, new)) == []


def test_cli_diffs_another_vendors_export_labelled_by_release() -> None:
    from tests.diff.helpers import ROOT, run

    export = ROOT / "tests" / "formats" / "codex" / "fixtures" / "release@1.2.3" / "schema"
    result = run("--source-format", "codex", export, export)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("1.2.3 -> 1.2.3: 0 change(s): 0 ERR, 0 WARN, 0 INFO")
    unknown = run("--source-format", "no-such-format", export, export)
    assert unknown.exit_code == 2 and "no-such-format" in unknown.stderr
