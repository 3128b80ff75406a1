from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from threadloom.errors import EXIT_FINDINGS, EXIT_OK, InputError
from threadloom.findings import display_path

if TYPE_CHECKING:
    from threadloom.diff.report import Side
    from threadloom.model import Protocol

LEVELS = ["ERR", "WARN", "INFO"]
DEFAULT_PROTOCOL = Path("protocol")


def _list_rules(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """`--list-rules`: print every rule id with its scope and summary, then stop."""
    if not value or ctx.resilient_parsing:
        return
    from threadloom.diff.rules import all_rules

    for rule in all_rules():
        click.echo(f"{rule.info.id:<30} {rule.info.scope:<9} {rule.info.summary}")
    ctx.exit(EXIT_OK)


@click.command(name="diff")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="OLD NEW | --against REF [PATH]")
@click.option("--against", metavar="GIT_REF", help="Compare PATH (default: protocol) in the working tree with the same path at this git ref.")
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json", "junit", "github"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(LEVELS, case_sensitive=False), default="ERR", show_default=True, help="Exit 1 when a finding reaches this level.")
@click.option("--allow-declared", is_flag=True, help="Breaks the new version declares in x-protocol.breaks do not fail the run (they are still reported).")
@click.option("--ignore", "ignore_file", type=click.Path(path_type=Path), help="Fingerprints to ignore, with reasons (JSON or `FINGERPRINT reason` lines).")
@click.option("--level", "levels", multiple=True, metavar="RULE[:AUDIENCE]=LEVEL", help="Override a rule's level (ERR, WARN, INFO or OFF); repeatable.")
@click.option("--audience", type=click.Choice(["all", "old-clients", "new-clients"]), default="all", show_default=True, help="Only findings for this group.")
@click.option("--include-experimental", is_flag=True, help="Judge experimental methods and fields like stable ones.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to this file instead of standard output.")
@click.option(
    "--source-format", metavar="NAME", default=None, help="Read both sides as this source format (threadloom, codex, acp, ...) instead of recognising it."
)
@click.option("--list-rules", is_flag=True, expose_value=False, is_eager=True, callback=_list_rules, help="List the rules and exit.")
def command(
    paths: tuple[Path, ...],
    against: str | None,
    output_format: str,
    fail_on: str,
    allow_declared: bool,
    ignore_file: Path | None,
    levels: tuple[str, ...],
    audience: str,
    include_experimental: bool,
    output: Path | None,
    source_format: str | None,
) -> None:
    """Classify every change from OLD to NEW (documents, version folders, or folders of versions:
    their latest), or from PATH at GIT_REF to PATH in the working tree (--against).

    Each finding says who it breaks: old clients (new server, old client) or new clients (old
    server, new client). Exit 1 when a finding reaches --fail-on (a declared break too, unless
    --allow-declared), 0 otherwise, 2 on bad input.
    """
    from threadloom.diff import Options, diff_protocols
    from threadloom.diff.findings import Level
    from threadloom.diff.policy import apply_ignores, apply_overrides, load_ignore_file, parse_overrides
    from threadloom.diff.report import Report, render

    overrides = parse_overrides(levels)
    ignores = load_ignore_file(ignore_file) if ignore_file else {}
    with tempfile.TemporaryDirectory(prefix="threadloom-against-") as scratch:
        (before, old_side), (after, new_side) = _sides(paths, against, Path(scratch), source_format)
        findings = diff_protocols(before, after, Options(include_experimental=include_experimental))
    findings = apply_overrides(findings, overrides)
    if audience != "all":
        findings = [f for f in findings if f.audience == audience]
    findings, ignored = apply_ignores(findings, ignores)
    findings.sort(key=lambda f: f.sort_key)
    report = Report(old_side, new_side, findings, Level.parse(fail_on), ignored, after.name, allow_declared)
    if ignore_file:
        used = {f.fingerprint for f, _ in ignored}
        for stale in sorted(set(ignores) - used):
            click.echo(f"note: {ignore_file}: `{stale}` matches no finding (remove it?)", err=True)
    if output:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(render(output_format, report, color=False), encoding="utf-8")
        except OSError as error:
            raise InputError(output, f"cannot write the report: {error.strerror or error}") from None
        click.echo(report.summary(), err=True)
    else:
        from threadloom.terminal import wants_color

        click.echo(render(output_format, report, color=output_format == "text" and wants_color(sys.stdout)), nl=False, color=True)
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_OK)


def _latest_version(path: Path, source_format: str | None) -> Protocol:
    """A side's latest version, saying so when one release holds several protocol versions (an
    ACP 2.x package: v1 and the v2 draft): its name alone would not tell which was compared."""
    from threadloom.loader import load_protocols

    protocols = load_protocols(path, source_format)
    latest = protocols[-1]
    if len({p.identity for p in protocols}) < len(protocols):
        versions = ", ".join(str(p.version) for p in protocols)
        click.echo(
            f"note: {display_path(path)} holds protocol versions {versions} of {latest.identity}: comparing version {latest.version}"
            " (pass that version's own folder or file to compare another)",
            err=True,
        )
    return latest


def _sides(paths: tuple[Path, ...], against: str | None, scratch: Path, source_format: str | None) -> list[tuple[Protocol, Side]]:
    """(protocol, Side) for OLD and NEW: two paths, or one path at --against and in the working tree."""
    from threadloom.diff import load_side
    from threadloom.diff.report import Side

    if against is None:
        if len(paths) != 2:
            raise click.UsageError("give OLD and NEW, or --against GIT_REF [PATH]")
        loaded = [_latest_version(path, source_format) for path in paths]
        return [(protocol, Side.of(protocol)) for protocol in loaded]
    if len(paths) > 1:
        raise click.UsageError("--against takes at most one PATH (the working-tree side)")
    from threadloom.diff.gitref import export_at_ref

    path = paths[0] if paths else DEFAULT_PROTOCOL
    if not path.exists():
        raise InputError(path, "not found", hint="--against compares this path in the working tree with the same path at the ref")
    old, new = load_side(export_at_ref(path, against, scratch), source_format), load_side(path, source_format)
    shown = old.source.resolve().relative_to(scratch.resolve()).as_posix()
    old_side = Side.of(old, label=f"{Side.of(old).label}@{against}", source=f"{against}:{shown}")
    return [(old, old_side), (new, Side.of(new))]
