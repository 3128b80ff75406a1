"""Runs the steps of the repository's composite action (action.yml) the way the GitHub runner does,
on this machine: each `run` script under bash, in order, with its `env` evaluated, and the runner's
files (GITHUB_OUTPUT per step, GITHUB_PATH, GITHUB_STEP_SUMMARY) as temporary files.

Only the expressions the action may use are understood: `${{ inputs.NAME }}` and
`${{ steps.ID.outputs.NAME }}`; any other expression fails the test, so the action cannot come to
depend on something this runner does not emulate.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML comes with datamodel-code-generator; no stubs installed

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# A hang detector only: a step that runs this long is stuck, not slow.
STEP_TIMEOUT = 600


@dataclass
class StepResult:
    name: str
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class ActionRun:
    steps: list[StepResult] = field(default_factory=list)
    summary: str = ""

    @property
    def exit_code(self) -> int:
        """The job's verdict: the first failing step's code (the runner stops there), else 0."""
        return next((s.code for s in self.steps if s.code != 0), 0)

    @property
    def stdout(self) -> str:
        return "".join(s.stdout for s in self.steps)

    def annotations(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if re.match(r"::(error|warning|notice)[ :]", line)]

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)


def load_action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def _evaluate(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if m := re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", expression):
            return inputs[m.group(1)]
        if m := re.fullmatch(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", expression):
            return outputs.get(m.group(1), {}).get(m.group(2), "")
        raise AssertionError(f"action.yml uses an expression the test runner does not emulate: {expression}")

    return EXPRESSION.sub(value, text)


def _read_outputs(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {k: v for k, v in pairs}


def run_action(workspace: Path, scratch: Path, inputs: dict[str, str], env: dict[str, str] | None = None) -> ActionRun:
    """Run every step in `workspace` (the checked-out repository), stopping at the first failure."""
    action = load_action()
    given = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(inputs) - set(given)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    given.update(inputs)
    scratch.mkdir(parents=True, exist_ok=True)
    summary, path_file = scratch / "step-summary.md", scratch / "github-path"
    summary.touch()
    path_file.touch()
    base_env = {
        **os.environ,
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_PATH": str(path_file),
        "RUNNER_TEMP": str(scratch),
        "NO_COLOR": "1",
        **(env or {}),
    }
    outputs: dict[str, dict[str, str]] = {}
    result = ActionRun()
    for index, step in enumerate(action["runs"]["steps"]):
        assert "if" not in step, "conditions are not emulated: let the script decide"
        output_file = scratch / f"output-{index}"
        output_file.write_text("", encoding="utf-8")
        added_paths = [line for line in path_file.read_text(encoding="utf-8").splitlines() if line]
        step_env = {
            **base_env,
            "GITHUB_OUTPUT": str(output_file),
            "PATH": os.pathsep.join([*reversed(added_paths), base_env["PATH"]]),
            **{k: _evaluate(str(v), given, outputs) for k, v in (step.get("env") or {}).items()},
        }
        assert step.get("shell") == "bash", "every step runs under bash"
        script = _evaluate(step["run"], given, outputs)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
            cwd=workspace,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        step_outputs = _read_outputs(output_file)
        if "id" in step:
            outputs[step["id"]] = step_outputs
        result.steps.append(StepResult(step["name"], done.returncode, done.stdout, done.stderr, step_outputs))
        if done.returncode != 0:
            break
    result.summary = summary.read_text(encoding="utf-8")
    return result
