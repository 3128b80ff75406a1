"""Run the real `codex app-server` offline: a fresh CODEX_HOME, a scripted model on loopback.

    python -m threadloom_conformance.codex_session --release 0.169.0 --scenario S.json [--workspace DIR]
    python -m threadloom_conformance.codex_session --codex /path/to/codex --scenario S.json

The process speaks the App Server protocol on its own stdin/stdout (they are handed to Codex
unchanged), so it is a drop-in server command for `threadloom record` and `threadloom replay`:
every run gets its own CODEX_HOME (config, sessions, logs) and its own scripted model, both gone
when Codex exits. The configuration follows what Codex's own tests do: a custom model provider
whose `base_url` is the scripted model, no retries, approvals on request, workspace-write sandbox.

The host must not show through either. On Linux, Codex looks for bubblewrap on PATH and, when it
finds none, sends a `configWarning` ("Codex could not find bubblewrap on PATH") after `initialize`
and falls back to the copy its release bundles (`codex-resources/bwrap`). Whether that warning is
sent would depend on the machine, so every run puts the folder of the release's own bundled bwrap
first on Codex's PATH. Every machine then gives the same answer, with the same bwrap binary. (Not a
link in the run's temporary folder: with the workspace-write sandbox Codex does not trust a bwrap
in a folder the sandbox may write to, such as /tmp or the workspace, and warns all the same.)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from threadloom_conformance.scripted_model import Scenario, ScenarioError, ScriptedModel

CONFIG = """\
model = "mock-model"
model_provider = "mock"
approval_policy = "on-request"
sandbox_mode = "workspace-write"

[model_providers.mock]
name = "scripted model"
base_url = "{base_url}"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
"""


def write_codex_home(home: Path, base_url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(CONFIG.format(base_url=base_url), encoding="utf-8")


def codex_environment(home: Path, tools: Path | None = None) -> dict[str, str]:
    """Codex reads CODEX_HOME; HOME too (its other dot-folders), so neither leaks the user's.
    `tools` goes first on PATH: the folder of the release's bundled bwrap (see the module's doc)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEX_"))}
    env.update(CODEX_HOME=str(home), HOME=str(home), NO_COLOR="1")
    if tools is not None:
        env["PATH"] = os.pathsep.join(filter(None, [str(tools), env.get("PATH", "")]))
    return env


def bundled_bubblewrap(codex: Path) -> Path | None:
    """The bwrap a Codex release ships next to its binary (npm layout: <triple>/{bin,codex}/codex
    and <triple>/codex-resources/bwrap); None for a binary without one (not Linux, a custom build)."""
    candidate = codex.resolve().parent.parent / "codex-resources" / "bwrap"
    return candidate if candidate.is_file() else None


def run(codex: Path, scenario: Scenario, workspace: Path | None) -> int:
    with tempfile.TemporaryDirectory(prefix="codex-home-") as tmp, ScriptedModel(scenario) as model:
        home = Path(tmp) / "home"
        write_codex_home(home, model.base_url)
        cwd = workspace or Path(tmp) / "workspace"
        cwd.mkdir(parents=True, exist_ok=True)
        bwrap = bundled_bubblewrap(codex)
        child = subprocess.Popen([str(codex), "app-server"], env=codex_environment(home, bwrap and bwrap.parent), cwd=cwd)
        _forward_termination(child)
        return child.wait()


def _forward_termination(child: subprocess.Popen[bytes]) -> None:
    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m threadloom_conformance.codex_session", description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--codex", type=Path, help="the codex binary")
    which.add_argument("--release", help="a Codex version from the release cache (fetched from npm when missing)")
    parser.add_argument("--scenario", type=Path, required=True, help="the scripted model's scenario (JSON)")
    parser.add_argument("--workspace", type=Path, default=None, help="Codex's working directory [default: a fresh temporary one]")
    args = parser.parse_args(argv)
    try:
        scenario = Scenario.load(args.scenario)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.release:
        from threadloom_conformance.releases import codex_binary

        codex = codex_binary(args.release)
    else:
        codex = args.codex
    if not codex.is_file():
        print(f"error: {codex}: no codex binary there", file=sys.stderr)
        return 2
    return run(codex, scenario, args.workspace)


if __name__ == "__main__":
    sys.exit(main())
