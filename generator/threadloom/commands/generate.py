from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from threadloom.commands._options import protocol_option
from threadloom.errors import EXIT_FINDINGS, EXIT_OK, InputError
from threadloom.terminal import wants_progress

if TYPE_CHECKING:
    from threadloom.generate import Job, Outcome


@click.command(name="generate")
@click.argument("targets", nargs=-1)
@protocol_option(default=None)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Write into this folder (anywhere) instead of following threadloom.gen.json.")
@click.option("--package", help="Package name (default: derived from the protocol name, e.g. todo-agent -> todo_agent for Python, todo-agent for npm).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), help="The generate config (default: ./threadloom.gen.json).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and name every stale file.")
@click.option("--no-cache", is_flag=True, help="Run every target even when its inputs did not change.")
def command(
    targets: tuple[str, ...],
    protocol_path: Path | None,
    source_format: str | None,
    out: Path | None,
    package: str | None,
    config_file: Path | None,
    check: bool,
    no_cache: bool,
) -> None:
    """Generate TARGETS from the protocol documents.

    With --out: run TARGETS for the protocol at --protocol (default: protocol) and write into OUT.
    Without: run the targets of threadloom.gen.json (all of them, or the TARGETS named).
    """
    from threadloom.generate import run_jobs

    if out is not None:
        if config_file is not None:
            raise InputError("--config", "cannot be combined with --out", hint="--out runs the named targets without a config")
        jobs = _jobs_for_out(targets, protocol_path or Path("protocol"), out, package, source_format)
        outcome = run_jobs(jobs, check, _progress, use_cache=False)
    else:
        if package is not None:
            raise InputError("--package", "applies with --out", hint="set `package` per target in the config")
        jobs, root = _jobs_from_config(targets, config_file, protocol_path)
        outcome = run_jobs(jobs, check, _progress, use_cache=not no_cache, cache_root=root)
    _report(outcome, check)


def _jobs_for_out(targets: tuple[str, ...], protocol: Path, out: Path, package: str | None, source_format: str | None) -> list[Job]:
    """`--out DIR`: the named targets, for the protocol at `protocol`, all into `out`."""
    from threadloom.generate import Context, Job, available_targets, require_targets
    from threadloom.loader import load_protocols

    if not targets:
        raise InputError("threadloom generate", "name the targets to run with --out", hint=f"available: {', '.join(available_targets())}")
    require_targets(targets)
    protocols = load_protocols(protocol, source_format)  # before any output: bad input fails at once
    return [
        Job(
            name,
            Context(
                root=Path.cwd(),
                protocol_path=protocol,
                out=out,
                package=package,
                command=_command(name, protocol, out, package, source_format),
                source_format=source_format,
                loaded=protocols,
            ),
        )
        for name in targets
    ]


def _jobs_from_config(targets: tuple[str, ...], config_file: Path | None, protocol: Path | None) -> tuple[list[Job], Path]:
    """No `--out`: the config's targets (or those of them named); also the project root for the cache."""
    from threadloom.config import CONFIG_NAME, jobs_from_config, read_config
    from threadloom.generate import require_targets

    file = config_file or Path(CONFIG_NAME)
    if not file.is_file():
        raise InputError(file, "no generate config here", hint=f"pass --out DIR (and --protocol PATH), or write {CONFIG_NAME}; see protocol/README.md")
    config = read_config(file)
    jobs = jobs_from_config(config, protocol)
    if targets:
        require_targets(targets)
        jobs = [job for job in jobs if job.target in targets]
    return jobs, config.root


def _progress(line: str) -> None:
    """`generating python` ... on an interactive terminal; CI logs get only the outcome."""
    if wants_progress(sys.stderr):
        click.echo(line, err=True)


def _command(target: str, protocol: Path, out: Path, package: str | None, source_format: str | None) -> str:
    """The exact command that regenerates a target's files, for the banner."""
    words = ["threadloom", "generate", target, "--protocol", str(protocol), "--out", str(out)]
    if package:
        words += ["--package", package]
    if source_format:
        words += ["--source-format", source_format]
    return shlex.join(words)


def _report(outcome: Outcome, check: bool) -> None:
    if check:
        for stale in outcome.stale:
            click.echo(f"stale: {stale}")
        if outcome.stale:
            click.echo(f"{len(outcome.stale)} stale file(s); run `threadloom generate` and commit the result", err=True)
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{outcome.unchanged} generated file(s) up to date", err=True)
        sys.exit(EXIT_OK)
    for path in outcome.written:
        click.echo(f"wrote {path}")
    for path in outcome.removed:
        click.echo(f"removed {path}")
    click.echo(f"{len(outcome.written)} written, {len(outcome.removed)} removed, {outcome.unchanged} unchanged", err=True)
