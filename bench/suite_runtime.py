"""Issue 11 (protocol-agnostic runtime): cold start and import time, before and after, in one run.

"Before" is the code of BEFORE (the last commit before the runtime stopped hard-coding our
protocol): its runtime, generated bindings and server are exported with `git archive` into a
temporary folder and put first on PYTHONPATH, so the same interpreter, CLI and machine run both.
"After" is this checkout, through the same PYTHONPATH mechanism so both pay the same. On a
shared, busy machine wall times swing by tens of percent, so CPU times (the server process's
user+system time for spawn, initialize, exit; the importing process's CPU time) are reported too.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from bench.harness import BIN, ROOT, Figure
from bench.rpc_driver import cold_start_ms

BEFORE = "1900a5bc682527e327fa97b52529246007ec04a4"
FOLDERS = ("bindings/runtime/python", "bindings/python", "server")
IMPORT_SNIPPET = "import time; t, c = time.perf_counter(), time.process_time(); import {module}; print(time.perf_counter() - t, time.process_time() - c)"
INITIALIZE_LINE = b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientInfo":{"name":"bench","version":"1"},"protocolVersions":[2]}}\n'
CLIENT_AND_SERVER = "threadloom_protocol.v2.client, threadloom_protocol.v2.server"


def export_before(target: Path) -> Path:
    archive = subprocess.run(["git", "archive", "--format=tar", BEFORE, *FOLDERS], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def python_path(root: Path) -> str:
    return os.pathsep.join(str(root / folder) for folder in FOLDERS)


def import_ms(path: str, module: str, cpu: bool = False) -> float:
    env = {**os.environ, "PYTHONPATH": path}
    out = subprocess.run([str(BIN / "python"), "-c", IMPORT_SNIPPET.format(module=module)], capture_output=True, text=True, check=True, env=env)
    wall, cpu_seconds = (float(part) for part in out.stdout.split())
    return (cpu_seconds if cpu else wall) * 1000


def cold_start_cpu(path: str) -> float:
    """CPU time of a server that starts, answers `initialize` and exits at EOF."""
    env = {**os.environ, "PYTHONPATH": path}
    command = [str(BIN / "threadloom"), "serve", "--store", ":memory:"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(INITIALIZE_LINE)
    process.stdin.close()
    assert b'"result"' in process.stdout.read()
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0  # reaped here; keeps Popen from waiting again
    return (usage.ru_utime + usage.ru_stime) * 1000


def cold_start(path: str) -> float:
    command = ["env", f"PYTHONPATH={path}", str(BIN / "threadloom"), "serve", "--store", ":memory:"]
    return asyncio.run(cold_start_ms(command))


def run(runs: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="threadloom-before-") as folder:
        before, after = python_path(export_before(Path(folder))), python_path(ROOT)
        samples = max(5, runs)
        figures = []
        for name, measure in (
            ("cold start: spawn -> initialize response", cold_start),
            ("import v2 models", lambda p: import_ms(p, "threadloom_protocol.v2.models")),
            ("import v2 client + server", lambda p: import_ms(p, CLIENT_AND_SERVER)),
            ("cold start CPU: spawn, initialize, exit", cold_start_cpu),
            ("import v2 models CPU", lambda p: import_ms(p, "threadloom_protocol.v2.models", cpu=True)),
            ("import v2 client + server CPU", lambda p: import_ms(p, CLIENT_AND_SERVER, cpu=True)),
        ):
            # Interleaved, so a machine that gets busier during the run slows both alike.
            old, new = [], []
            for _ in range(samples):
                old.append(measure(before))
                new.append(measure(after))
            old_ms, new_ms = sorted(old)[len(old) // 2], sorted(new)[len(new) // 2]
            figures.append(Figure(f"{name} (issue 11, after)", new_ms, "ms", old_ms * 1.05, False, "before, same run", old_ms, "target: not slower (5% noise)"))
        return figures
