from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from threadloom.errors import EXIT_FINDINGS, EXIT_OK, InputError

if TYPE_CHECKING:
    from threadloom.diff.report import Side
    from threadloom.model import Protocol

LEVELS = ["ERR", "WARN", "INFO"]


def _list_rules(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """`--list-rules`: print every rule id with its scope and summary, then stop."""
    if not value or ctx.resilient_parsing:
        return
    from threadloom.diff.rules import all_rules

    for rule in all_rules():
        click.echo(f"{rule.info.id:<30} {rule.info.scope:<9} {rule.info.summary}")
    ctx.exit(EXIT_OK)


def _side(protocol: Protocol) -> Side:
    """A vendor's release is named by its identity (`0.169.0`), not by the ordinal `v1` its
    adapter gives every release; our own versions keep `v1`, `v2`."""
    from threadloom.diff.report import Side
    from threadloom.findings import display_path

    label = protocol.label if protocol.format == "threadloom" else protocol.identity
    return Side(label, display_path(protocol.source), protocol.source)


@click.command(name="diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json", "junit", "github"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(LEVELS, case_sensitive=False), default="ERR", show_default=True, help="Exit 1 when a finding reaches this level.")
@click.option("--ignore", "ignore_file", type=click.Path(path_type=Path), help="Fingerprints to ignore, with reasons (JSON or `FINGERPRINT reason` lines).")
@click.option("--level", "levels", multiple=True, metavar="RULE[:AUDIENCE]=LEVEL", help="Override a rule's level (ERR, WARN, INFO or OFF); repeatable.")
@click.option("--audience", type=click.Choice(["all", "old-clients", "new-clients"]), default="all", show_default=True, help="Only findings for this group.")
@click.option("--include-experimental", is_flag=True, help="Judge experimental methods and fields like stable ones.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to this file instead of standard output.")
@click.option("--list-rules", is_flag=True, expose_value=False, is_eager=True, callback=_list_rules, help="List the rules and exit.")
def command(
    old: Path,
    new: Path,
    output_format: str,
    fail_on: str,
    ignore_file: Path | None,
    levels: tuple[str, ...],
    audience: str,
    include_experimental: bool,
    output: Path | None,
) -> None:
    """Classify every change from OLD to NEW (version folders or protocol files).

    Each finding says who it breaks: old clients (new server, old client) or new clients (old
    server, new client). Exit 1 when a finding reaches --fail-on, 0 otherwise, 2 on bad input.
    """
    from threadloom.diff import Options, diff_paths
    from threadloom.diff.findings import Level
    from threadloom.diff.policy import apply_ignores, apply_overrides, load_ignore_file, parse_overrides
    from threadloom.diff.report import Report, render

    overrides = parse_overrides(levels)
    ignores = load_ignore_file(ignore_file) if ignore_file else {}
    before, after, findings = diff_paths(old, new, Options(include_experimental=include_experimental))
    findings = apply_overrides(findings, overrides)
    if audience != "all":
        findings = [f for f in findings if f.audience == audience]
    findings, ignored = apply_ignores(findings, ignores)
    findings.sort(key=lambda f: f.sort_key)
    report = Report(_side(before), _side(after), findings, Level.parse(fail_on), ignored, after.name)
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
        click.echo(render(output_format, report, color=output_format == "text" and sys.stdout.isatty()), nl=False)
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_OK)
