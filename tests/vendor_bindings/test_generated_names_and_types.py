"""Bindings of real releases: readable names only, and strict type checks pass.

The official `openai-codex` SDK (datamodel-code-generator over Codex's flattened v2 bundle) has 7
numbered class names out of 1,054; ours have none on the largest Codex release (0.171.0 with
`--experimental`), its stable export, and ACP 0.4.5 and 2.4.0 (v1 and v2). Names ending in digits
that the schema itself spells (Codex's `ToolsV2`) are the schema's, not invented.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from tests.vendor_bindings.support import Generated, invented_names, models_source, python_type_names, run_mypy, run_tsc, schema_names, typescript_type_names
from threadloom.plugins import typescript


def _all(codex_171_experimental: Generated, codex_171: Generated, acp_releases: dict[str, Generated]) -> list[Generated]:
    return [codex_171_experimental, codex_171, *acp_releases.values()]


def test_no_numbered_or_placeholder_names(codex_171_experimental: Generated, codex_171: Generated, acp_releases: dict[str, Generated]) -> None:
    for generated in _all(codex_171_experimental, codex_171, acp_releases):
        spelled = schema_names(generated.source)
        python, typescript = python_type_names(generated), typescript_type_names(generated)
        assert len(python) > 100 and len(typescript) > 100, generated.key
        assert invented_names(python, spelled) == [], f"{generated.key}: Python"
        assert invented_names(typescript, spelled) == [], f"{generated.key}: TypeScript"


# What each target declares and the other does not, by design. TypeScript: the module's own names
# (method maps, tables, `Spec`, the client class) and the `Known<X>` type of each open enum and union
# (Python tests membership at runtime instead). Python: datamodel-code-generator's aliases of
# constrained scalars inside arrays (Codex's `indices: list[Indice]`, `Indice` an int >= 0), which
# TypeScript types as plain `number`.
KNOWN_HELPER = re.compile(r"/\*\* The (?:variants|values) of \w+ this version knows\. \*/\nexport type (\w+) =")
CLIENT_CLASS = re.compile(r"^export class (\w+)", re.M)
SCALAR_ALIAS = re.compile(r'^(\w+) = TypeAliasType\("\1", Annotated\[Strict(?:Int|Float|Str), Field\(', re.M)


def test_python_and_typescript_declare_the_same_types(codex_171_experimental: Generated, codex_171: Generated, acp_releases: dict[str, Generated]) -> None:
    """Inline options are named once (threadloom.plugins.lift) for both targets: Codex 0.171.0 and
    ACP 2.4.0 declare the same types in Python and TypeScript, apart from the differences above."""
    for generated in (codex_171_experimental, codex_171, acp_releases["2.4.0"]):
        python, typescript_names = python_type_names(generated), typescript_type_names(generated)
        modules = [path.read_text(encoding="utf-8") for path in sorted((generated.ts_out / "src").glob("v*.ts"))]
        own = set(typescript.RESERVED) | {name for text in modules for name in CLIENT_CLASS.findall(text)}
        known = {name for text in modules for name in KNOWN_HELPER.findall(text)}
        assert typescript_names - python == (own | known) & typescript_names, generated.key
        scalars = {name for label in generated.labels() for name in SCALAR_ALIAS.findall(models_source(generated, label))}
        assert python - typescript_names <= scalars, generated.key
        assert python - typescript_names == ({"Indice"} if generated.key.startswith("codex") else set()), generated.key
    # ACP 2.4.0's base-plus-alternatives objects: the parent a union of named, merged options.
    module = (acp_releases["2.4.0"].ts_out / "src" / "v2.ts").read_text(encoding="utf-8")
    assert "export type ElicitationUrlMode = ElicitationUrlModeSession | ElicitationUrlModeRequest;" in module
    assert "export type ElicitationUrlModeSession = ElicitationSessionScope & {" in module
    assert "export interface IdleStateUpdateEndTurn {" in module


def test_the_largest_codex_release_has_both_versions_of_every_type(codex_171_experimental: Generated) -> None:
    """The experimental export of 0.171.0 is the largest; `ToolsV2` is kept as the schema spells it."""
    python = python_type_names(codex_171_experimental)
    assert len(python) > 1400
    assert "ToolsV2" in python and "ToolsV2" in typescript_type_names(codex_171_experimental)


def test_helper_names_never_take_a_schema_name(codex_171_experimental: Generated, acp_releases: dict[str, Generated]) -> None:
    """Codex's `CommandAction` has a real variant `UnknownCommandAction` (tagged `unknown`), ACP 2.4.0's
    `StateUpdate` one named `UnknownStateUpdate`: the catch-alls of the open unions get the next
    candidate name (`CommandActionUnknown`), in Python and TypeScript alike."""
    models = models_source(codex_171_experimental, "v1")
    assert models.count("class UnknownCommandAction(") == 1
    assert "class CommandActionUnknown(UnknownVariant):" in models
    module = (codex_171_experimental.ts_out / "src" / "v1.ts").read_text(encoding="utf-8")
    assert "export interface UnknownCommandAction {" in module and "export interface CommandActionUnknown {" in module
    assert "export type CommandAction = KnownCommandAction | CommandActionUnknown;" in module
    # ACP 2.4.0 v2 spells both `UnknownStateUpdate` and `StateUpdateUnknown`: the third candidate.
    acp = acp_releases["2.4.0"]
    acp_module = (acp.ts_out / "src" / "v2.ts").read_text(encoding="utf-8")
    assert "export type StateUpdate = KnownStateUpdate | UnrecognisedStateUpdate;" in acp_module
    assert "class UnrecognisedStateUpdate(UnknownVariant):" in models_source(acp, "v2")


def test_generated_python_passes_mypy_strict(codex_171_experimental: Generated, codex_171: Generated, acp_releases: dict[str, Generated]) -> None:
    packages = [(g.out, g.package) for g in _all(codex_171_experimental, codex_171, acp_releases)]
    done = run_mypy(packages)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout


@pytest.mark.parametrize("which", ["codex", "acp"])
def test_generated_typescript_passes_tsc_strict(
    which: str, codex_171_experimental: Generated, codex_171: Generated, acp_releases: dict[str, Generated]
) -> None:
    chosen = [codex_171_experimental, codex_171] if which == "codex" else list(acp_releases.values())
    for generated in chosen:
        config = json.loads((generated.ts_out / "tsconfig.json").read_text(encoding="utf-8").split("\n", 2)[2])
        assert config["compilerOptions"]["strict"] is True and config["compilerOptions"]["exactOptionalPropertyTypes"] is True
        done = run_tsc(generated.ts_out)
        assert done.returncode == 0, f"{generated.key}:\n{done.stdout[-6000:]}"


def test_a_broken_type_check_is_seen(tmp_path: Path, acp_releases: dict[str, Generated]) -> None:
    """The control: tsc and mypy do fail on the generated packages when a type is misused."""
    generated = acp_releases["0.4.5"]
    (generated.ts_out / "src" / "misuse.ts").write_text("import type * as v1 from './v1.js';\nexport const x: v1.SessionId = 42;\n", encoding="utf-8")
    try:
        assert run_tsc(generated.ts_out).returncode != 0
    finally:
        (generated.ts_out / "src" / "misuse.ts").unlink()
    misuse = generated.out / generated.package / "misuse.py"
    misuse.write_text("from .v1.models import ContentBlock\n\nx: ContentBlock = 42\n", encoding="utf-8")
    try:
        assert run_mypy([(generated.out, generated.package)]).returncode != 0
    finally:
        misuse.unlink()


def test_every_generated_module_imports_and_builds(codex_171_experimental: Generated, codex_171: Generated, acp_releases: dict[str, Generated]) -> None:
    """Type checkers do not evaluate the module: forward references in unions must import too."""
    for generated in _all(codex_171_experimental, codex_171, acp_releases):
        for label in generated.labels():
            for name in ("models", "methods", "errors", "server", "client"):
                module = generated.module(label, name)
                assert module.__name__.endswith(name)
            methods = generated.module(label, "methods")
            # Every params and result type can build its validator (no unresolved forward reference).
            for info in methods.METHODS.values():
                for kind in (info.params, info.result):
                    if kind is not None:
                        TypeAdapter(kind).json_schema()
