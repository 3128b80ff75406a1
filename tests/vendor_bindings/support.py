"""Bindings generated from real vendor releases (Codex, ACP), once per test session.

Each release is generated with the commands a client author runs,
`threadloom generate python|typescript --protocol EXPORT --out DIR --package NAME` (one folder per
target), into a session-scoped folder. The TypeScript packages resolve `@threadloom/runtime`, `typescript` and
`@types/node` through a link to this repository's bindings/typescript/node_modules (which links
the runtime at bindings/runtime/typescript), the way our own package does.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NODE_MODULES = ROOT / "bindings" / "typescript" / "node_modules"
TSC = NODE_MODULES / ".bin" / "tsc"
# A name ending in digits: what generators invent for unnamed schemas (`CreateElicitationResponse1`).
NUMBERED = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*?[0-9]+$")
# Placeholders datamodel-code-generator falls back to for a schema without a name.
PLACEHOLDERS = frozenset({"Model", "Item", "Items", "Value", "Root", "Field", "Type", "Object"})


@dataclass(frozen=True)
class Generated:
    """One release's generated Python and TypeScript packages."""

    key: str  # e.g. codex-0.171.0-experimental
    source: Path  # the export / schema folder it came from
    out: Path  # the Python package's folder: <package>/, pyproject.toml, ...
    package: str  # the Python package (and npm package) name
    typescript: bool

    @property
    def ts_out(self) -> Path:
        """The npm package's folder: src/, package.json, tsconfig.json (beside the Python one)."""
        return self.out.parent / "typescript"

    def labels(self) -> list[str]:
        return sorted(p.name for p in (self.out / self.package).iterdir() if p.is_dir() and p.name.startswith("v"))

    def module(self, label: str, name: str) -> ModuleType:
        if str(self.out) not in sys.path:
            sys.path.insert(0, str(self.out))
        return importlib.import_module(f"{self.package}.{label}.{name}")


def generate(source: Path, out: Path, package: str, *, typescript: bool = True, key: str = "") -> Generated:
    """Python into `out`, TypeScript into `out/../typescript`."""
    generated = Generated(key or package, source, out, package, typescript)
    outputs = {"python": out, **({"typescript": generated.ts_out} if typescript else {})}
    for target, folder in outputs.items():
        command = [str(BIN / "threadloom"), "generate", target, "--protocol", str(source), "--out", str(folder), "--package", package]
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    if typescript:
        (generated.ts_out / "node_modules").symlink_to(NODE_MODULES)
    return generated


def run_mypy(folders: list[tuple[Path, str]]) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` over several generated packages in one run (each `(out, package)`)."""
    path = ":".join(str(out) for out, _ in folders)
    # Our own configuration (the repository's pyproject.toml) must not apply: a user's project has its own.
    command = [str(BIN / "mypy"), "--config-file", "", "--strict", "--no-incremental", "--cache-dir", "/dev/null"]
    for _, package in folders:
        command += ["-p", package]
    cwd = folders[0][0].parent
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=cwd, env={"MYPYPATH": path, "PATH": str(BIN)})


def run_tsc(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TSC), "-p", str(project / "tsconfig.json"), "--noEmit"], capture_output=True, text=True, timeout=900, check=False, cwd=project)


def python_type_names(generated: Generated) -> set[str]:
    """Every class and module-level alias of the generated models."""
    names: set[str] = set()
    for label in generated.labels():
        text = models_source(generated, label)
        names |= set(re.findall(r"^class ([A-Za-z_0-9]+)\b", text, re.M))
        names |= set(re.findall(r"^([A-Za-z_][A-Za-z_0-9]*) = TypeAliasType\(", text, re.M))
    return names


def models_source(generated: Generated, label: str) -> str:
    """The full models module: the stub of lazy models (large protocols), else the module itself."""
    folder = generated.out / generated.package / label
    stub = folder / "models.pyi"
    return (stub if stub.is_file() else folder / "models.py").read_text(encoding="utf-8")


def typescript_type_names(generated: Generated) -> set[str]:
    names: set[str] = set()
    for module in sorted((generated.ts_out / "src").glob("v*.ts")):
        text = module.read_text(encoding="utf-8")
        names |= set(re.findall(r"^export (?:type|interface|class) ([A-Za-z_$][A-Za-z_0-9$]*)", text, re.M))
    return names


def schema_names(source: Path) -> set[str]:
    """The definition names the release itself spells (root and nested `definitions`/`$defs`)."""
    names: set[str] = set()
    for path in sorted(source.rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        names |= _definition_names(document)
    return names


def _definition_names(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key in ("definitions", "$defs"):
            table = node.get(key)
            if isinstance(table, dict):
                found |= set(table)
                found |= _definition_names(table)
        for key, value in node.items():
            if key not in ("definitions", "$defs") and isinstance(value, dict | list):
                found |= _definition_names(value)
    elif isinstance(node, list):
        for item in node:
            found |= _definition_names(item)
    return found


def invented_names(names: set[str], schema: set[str]) -> list[str]:
    """Numbered or placeholder names the schema does not itself use (`ToolsV2` is Codex's own)."""
    return sorted(n for n in names if n not in schema and (NUMBERED.match(n) or n in PLACEHOLDERS))
