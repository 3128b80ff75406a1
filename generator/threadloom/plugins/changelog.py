"""Changelog between consecutive protocol versions (docs/changelog/vN-to-vM.md), from `threadloom diff`."""

from __future__ import annotations

import itertools

from threadloom.diff import diff_protocols
from threadloom.diff.report import Report, Side
from threadloom.diff.report.markdown import render
from threadloom.generate import Context, Target, banner
from threadloom.model import Protocol

TARGET = Target(name="changelog", description="Markdown changelog between consecutive versions (docs/changelog/)", owned_dirs=("docs/changelog",))


def generate(context: Context) -> dict[str, str]:
    protocols = sorted(context.protocols, key=lambda p: p.version)
    return {f"docs/changelog/{old.label}-to-{new.label}.md": changelog(old, new) for old, new in itertools.pairwise(protocols)}


def changelog(old: Protocol, new: Protocol) -> str:
    # Sides are named by version only: absolute paths would make the file depend on the checkout.
    sides = [Side(p.label, f"protocol/{p.label}/protocol.json") for p in (old, new)]
    report = Report(sides[0], sides[1], diff_protocols(old, new), name=new.name)
    header = banner(f"threadloom generate {TARGET.name}", "<!-- ", " -->")
    return header + "\n" + render(report)
