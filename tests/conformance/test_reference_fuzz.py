"""The committed, generated conformance suite's schema-driven fuzzing, run as a server author runs
it (`pytest conformance/suite --server ...`), against the reference server: for every client ->
server request of v1 and v2, valid params get a valid result or a documented error and invalid
params get -32602 (or a documented error), never -32603 and never a crash."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conformance.helpers import ROOT
from threadloom.jsonio import read_json

SERVE = f"{Path(sys.executable).parent / 'threadloom'} serve --store :memory: --workspace ${{tmpdir}}"


def test_generated_fuzz_suite_passes_against_the_reference_server() -> None:
    suite = read_json(ROOT / "conformance/suite/suite.json")
    cases = 2 * sum(len(entry["requestMethods"]) for entry in suite["versions"].values())
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "conformance/suite/test_fuzz.py", "--server", SERVE, "--fuzz-examples", "5"]
    outcome = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert outcome.returncode == 0, outcome.stdout[-3000:] + outcome.stderr[-2000:]
    assert re.search(rf"\b{cases} passed\b", outcome.stdout), outcome.stdout[-500:]
