"""Changelog between consecutive protocol versions (docs/changelog/vN-to-vM.md), from `threadloom diff`."""

from __future__ import annotations

from threadloom.generator.diff import diff_protocols
from threadloom.generator.diff.report import Report, Side
from threadloom.generator.diff.report.markdown import render
from threadloom.generator.generate import Context, Target, banner
from threadloom.generator.model import Protocol

TARGET = Target(name="changelog", description="Markdown changelog between consecutive versions (docs/changelog/)", owned_dirs=("docs/changelog",))


def generate(context: Context) -> dict[str, str]:
    protocols = sorted(context.protocols, key=lambda p: p.version)
    return {f"docs/changelog/{old.label}-to-{new.label}.md": changelog(old, new) for old, new in zip(protocols, protocols[1:], strict=False)}


def changelog(old: Protocol, new: Protocol) -> str:
    # Sides are named by version only: absolute paths would make the file depend on the checkout.
    report = Report(Side(old.label, f"protocol/{old.label}/protocol.json"), Side(new.label, f"protocol/{new.label}/protocol.json"), diff_protocols(old, new), name=new.name)
    header = banner(f"threadloom generate {TARGET.name}", "<!-- ", " -->")
    return header + "\n" + render(report)
