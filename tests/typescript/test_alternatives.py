"""Objects with properties beside `anyOf`/`oneOf` (a base plus alternatives), in the TypeScript target.

One small definition per shape, all in one protocol (one package, one tsc run):
- `Upload`: options the shared lift can name (a titled inline object, a titled `$ref`): each becomes
  `Upload<Title>` with the base members merged in, `Upload` their union (the names the Python
  target gives them);
- `Target`: options with no label (`{"required": [...]}` only): the base intersected with the union
  of what each option requires, `{...} & ({ url: string } | { path: string })`;
- `Shape`: a discriminated open union with members of its own: the known variants intersected with
  those members, the unknown member left as it is.
Each usage that must compile is a plain line of `usage.ts`; each that must not sits under
`@ts-expect-error` (tsc fails on one that is not needed), and the control removes one of them.
"""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

from tests.hang import RUN_HANG_LIMIT
from tests.typescript.test_typescript import PACKAGE, ensure_node_packages
from threadloom.formats.threadloom import to_model
from threadloom.model import DefinitionKind, Protocol
from threadloom.plugins import typescript
from threadloom.plugins.lift import lifted_protocol
from threadloom.plugins.python.models import prepare_schema

UPLOAD = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
    "required": ["name"],
    "oneOf": [
        {"title": "Url", "type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]},
        {"title": "Inline", "$ref": "#/$defs/Blob"},
    ],
}
BLOB = {"type": "object", "properties": {"data": {"type": "string"}}, "required": ["data"]}
TARGET = {
    "type": "object",
    "properties": {"url": {"type": "string"}, "path": {"type": "string"}, "label": {"type": "string"}},
    "anyOf": [{"required": ["url"]}, {"required": ["path"]}],
}
SHAPE = {
    "type": "object",
    "properties": {"id": {"type": "string"}},
    "required": ["id"],
    "oneOf": [{"$ref": "#/$defs/Circle"}, {"$ref": "#/$defs/Square"}],
    "discriminator": {"propertyName": "kind"},
    "x-open": True,
}
CIRCLE = {"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}}, "required": ["kind", "r"]}
SQUARE = {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "number"}}, "required": ["kind", "side"]}

USAGE = """import * as v1 from './v1.js';

export const byUrl: v1.Upload = { name: 'a', url: 'https://example.com/a' };
export const inline: v1.Upload = { name: 'b', size: 3, data: 'abc' };
export const asOption: v1.UploadUrl = { name: 'c', url: 'u' };
// @ts-expect-error the base member `name` is required in every option
export const noName: v1.Upload = { url: 'u' };
// @ts-expect-error one of the options must match: neither `url` nor `data`
export const noOption: v1.Upload = { name: 'd' };
// @ts-expect-error the object is closed
export const extra: v1.Upload = { name: 'e', url: 'u', bogus: 1 };

export const target: v1.Target = { url: 'u', label: 'l' };
export const other: v1.Target = { path: 'p' };
// @ts-expect-error one of `url` and `path` is required
export const neither: v1.Target = { label: 'l' };

export const circle: v1.Shape = { kind: 'circle', r: 1, id: 'x' };
// @ts-expect-error a known variant must carry the union's own member `id`
export const noId: v1.Shape = { kind: 'circle', r: 1 };
export function radius(shape: v1.Shape): number {
  if (v1.isKnownShape(shape) && shape.kind === 'circle') return shape.r + shape.id.length;
  return 0;
}
"""


def _protocol() -> Protocol:
    document: dict[str, Any] = {
        "title": "Alternatives",
        "x-protocol": {"name": "alternatives", "version": 1},
        "x-methods": [],
        "x-errors": [],
        "$defs": {"Upload": UPLOAD, "Blob": BLOB, "Target": TARGET, "Shape": SHAPE, "Circle": CIRCLE, "Square": SQUARE},
    }
    return to_model(copy.deepcopy(document), Path("alternatives.json"))


def _module() -> str:
    return typescript.render_module(_protocol())


def test_named_options_are_the_base_merged_into_each_option() -> None:
    module = _module()
    assert "export type Upload = UploadUrl | UploadInline;" in module
    assert "export interface UploadUrl {\n  name: string;\n  size?: number;\n  url: string;\n}" in module
    assert "export type UploadInline = Blob & {\n  name: string;\n  size?: number;\n};" in module


def test_unlabelled_options_intersect_the_base() -> None:
    assert "export type Target = {\n  url?: string;\n  path?: string;\n  label?: string;\n} & ({ url: string } | { path: string });" in _module()


def test_a_discriminated_union_with_members_of_its_own_intersects_the_known_variants() -> None:
    module = _module()
    assert "export type Shape = KnownShape | UnknownShape;" in module
    assert "export type KnownShape = (Circle | Square) & { id: string };" in module


def test_python_and_typescript_name_the_lifted_options_alike() -> None:
    protocol = _protocol()
    python_names = set(prepare_schema(protocol)["$defs"])
    lifted = lifted_protocol(protocol)
    assert set(lifted.definitions) == python_names
    assert {"UploadUrl", "UploadInline"} <= python_names
    assert lifted.definitions["Upload"].kind is DefinitionKind.ALIAS
    assert lifted.definitions["UploadUrl"].kind is DefinitionKind.OBJECT


def test_lifting_leaves_the_protocol_unchanged() -> None:
    protocol = _protocol()
    before = copy.deepcopy({name: d.schema for name, d in protocol.definitions.items()})
    lifted_protocol(protocol)
    assert {name: d.schema for name, d in protocol.definitions.items()} == before
    assert "UploadUrl" not in protocol.definitions


def _tsc(project: Path) -> subprocess.CompletedProcess[str]:
    tsc = PACKAGE / "node_modules" / ".bin" / "tsc"
    return subprocess.run([str(tsc), "-p", "tsconfig.json", "--noEmit"], cwd=project, capture_output=True, text=True, timeout=RUN_HANG_LIMIT, check=False)


def test_usages_compile_or_fail_under_tsc_strict(tmp_path: Path) -> None:
    ensure_node_packages()
    project = tmp_path / "alternatives"
    for path, content in typescript.generate_package([_protocol()], "alternatives", project).items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(content, encoding="utf-8")
    (project / "node_modules").symlink_to(PACKAGE / "node_modules")
    usage = project / "src" / "usage.ts"
    usage.write_text(USAGE, encoding="utf-8")
    done = _tsc(project)
    assert done.returncode == 0, done.stdout + done.stderr
    # The control: without one expectation, tsc reports that usage.
    usage.write_text(USAGE.replace("// @ts-expect-error the base member", "// (expectation removed)", 1), encoding="utf-8")
    broken = _tsc(project)
    assert broken.returncode != 0 and "usage.ts" in broken.stdout, broken.stdout
