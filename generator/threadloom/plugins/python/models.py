"""models.py of one version: datamodel-code-generator output, pre- and post-processed.

Pre-pass (on a copy of the JSON Schema): the documents already carry OpenAPI `discriminator`
keywords, which is what makes datamodel-code-generator emit `Field(discriminator=...)` (see codegen
facts); inline options it would number get names (`lift`). Post-pass (on the Python source, driven by `ast`
positions so descriptions are never touched):
- open enums (`x-open: true`) are typed `Annotated[Enum | UnknownValue, OPEN_ENUM]` where used;
- open unions are rewritten to a callable `Discriminator` with an `Unknown<Name>` catch-all;
- optional members that must not be null get `NOT_NULL` (the generator types them `X | None = None`);
- constant members (a union variant's tag, a wire message's `method`) default to their value and
  their class derives from `TaggedModel`, so `TextUserInput(text="hi")` works and dumps its tag;
- class docstrings (the schema's descriptions) are rewrapped as one would write them;
- enum defaults are written as members and members named like `str` methods renamed (`enum_members`);
- object defaults of model-typed members become default factories (`object_defaults`);
- the datamodel-codegen header is replaced by the threadloom banner.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import warnings
from dataclasses import dataclass
from typing import Any

from threadloom.errors import InputError
from threadloom.model import Definition, DefinitionKind, Protocol
from threadloom.plugins import lift
from threadloom.plugins.helper_names import helper_names, unknown_candidates
from threadloom.plugins.python import enum_members, object_defaults
from threadloom.plugins.python.emit import docstring

BASE_CLASS = "threadloom_runtime.base.ProtocolModel"


def codegen(protocol: Protocol) -> str:
    """Raw datamodel-code-generator output with the flags of the shared codegen facts."""
    from datamodel_code_generator import generate as dmcg_generate

    schema = prepare_schema(protocol)
    with warnings.catch_warnings():
        # Vendor exports carry integer formats such as Rust's `uint64`; they still mean an integer
        # (bounds are in minimum/maximum), so the generator's "not understood" note is only noise.
        warnings.filterwarnings("ignore", message="format of '.*' not understood", category=UserWarning)
        output = _run_datamodel_codegen(dmcg_generate, schema)
    if not isinstance(output, str):
        raise InputError(protocol.source, "datamodel-code-generator returned no single module")
    return output


def _run_datamodel_codegen(dmcg_generate: Any, schema: dict[str, Any]) -> object:
    from datamodel_code_generator.enums import DataModelType, InputFileType, StrictTypes
    from datamodel_code_generator.format import Formatter, PythonVersion
    from datamodel_code_generator.parser import LiteralType

    return dmcg_generate(
        json.dumps(schema),
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        use_annotated=True,
        field_constraints=True,
        use_union_operator=True,
        use_standard_collections=True,
        snake_case_field=True,
        # populate_by_name lives on the base class: no per-class model_config noise.
        allow_population_by_field_name=False,
        use_schema_description=True,
        strict_nullable=True,
        use_type_alias=True,
        enum_field_as_literal=LiteralType.One,
        use_specialized_enum=True,
        skip_root_model=True,
        type_mappings=["uri=string"],
        disable_timestamp=True,
        formatters=[Formatter.BUILTIN],
        # Beyond the facts' flag set: strict scalars (no "1" -> 1 coercion: parse succeeds exactly when
        # the schema says valid) and one base class carrying extra="allow" and defer_build.
        strict_types=[StrictTypes.str, StrictTypes.int, StrictTypes.bool, StrictTypes.float],
        base_class=BASE_CLASS,
    )


def prepare_schema(protocol: Protocol) -> dict[str, Any]:
    """The JSON Schema handed to datamodel-code-generator (a copy; the document is not changed)."""
    schema: dict[str, Any] = copy.deepcopy(protocol.document)
    for key in [k for k in schema if k.startswith("x-")]:
        del schema[key]
    schema.pop("anyOf", None)  # the root ClientMessage|ServerMessage union would become a model named Model
    lift.lift_numbered_options(schema.get("$defs", {}))
    return schema


@dataclass
class Edit:
    start: tuple[int, int]  # (line, column), lines 1-based as in ast
    end: tuple[int, int]
    text: str


def postprocess(protocol: Protocol, source: str, banner: str) -> str:
    tree = ast.parse(source)
    _check_names(protocol, tree)
    edits: list[Edit] = []
    edits += _open_enum_edits(protocol, tree)
    edits += _not_null_edits(protocol, tree)
    edits += _open_union_edits(protocol, tree)
    edits += _constant_edits(tree)
    edits += _docstring_edits(tree)
    edits += [_edit(node, text) for node, text in (*enum_members.rename_edits(tree), *enum_members.default_edits(tree))]
    edits += [_edit(node, text) for node, text in object_defaults.default_edits(tree, source)]
    text = _apply(source, edits)
    text = _replace_header(text, banner, protocol)
    return _add_imports(text)


def _check_names(protocol: Protocol, tree: ast.Module) -> None:
    """Every definition must keep its own name in Python: renamed classes would break the stubs."""
    defined = _module_names(tree)
    missing = sorted(name for name, d in protocol.definitions.items() if d.kind is not DefinitionKind.ALIAS and name not in defined)
    if missing:
        raise InputError(protocol.source, f"datamodel-code-generator did not emit definitions under their own names: {', '.join(missing)}")


def _open_enums(protocol: Protocol) -> set[str]:
    return {d.name for d in protocol.definitions.values() if d.kind is DefinitionKind.ENUM and d.open and len(d.values) > 1}


def _annotations(tree: ast.Module) -> list[tuple[ast.ClassDef | None, ast.AST]]:
    """Every type expression: class member annotations and type alias values."""
    found: list[tuple[ast.ClassDef | None, ast.AST]] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found += [(node, member.annotation) for member in node.body if isinstance(member, ast.AnnAssign)]
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.value.args) == 2:
            found.append((None, node.value.args[1]))  # X = TypeAliasType("X", <type>)
    return found


def _open_enum_edits(protocol: Protocol, tree: ast.Module) -> list[Edit]:
    open_enums = _open_enums(protocol)
    edits = []
    for _, annotation in _annotations(tree):
        for node in ast.walk(annotation):
            if isinstance(node, ast.Name) and node.id in open_enums:
                edits.append(_edit(node, f"Annotated[{node.id} | UnknownValue, OPEN_ENUM]"))
    return edits


def _not_null_edits(protocol: Protocol, tree: ast.Module) -> list[Edit]:
    edits = []
    for node in tree.body:
        definition = protocol.definitions.get(node.name) if isinstance(node, ast.ClassDef) else None
        if definition is None or not isinstance(node, ast.ClassDef):
            continue
        for member in node.body:
            if not (isinstance(member, ast.AnnAssign) and isinstance(member.value, ast.Constant) and member.value.value is None):
                continue
            prop = definition.property(_wire_name(member))
            if prop is not None and not prop.nullable:
                edits += _not_null(member.annotation)
    return edits


def _wire_name(member: ast.AnnAssign) -> str:
    for node in ast.walk(member.annotation):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Field":
            for keyword in node.keywords:
                if keyword.arg == "alias" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    assert isinstance(member.target, ast.Name)
    return member.target.id


def _not_null(annotation: ast.expr) -> list[Edit]:
    if isinstance(annotation, ast.Subscript) and getattr(annotation.value, "id", "") == "Annotated" and isinstance(annotation.slice, ast.Tuple):
        last = annotation.slice.elts[-1]
        assert last.end_lineno is not None and last.end_col_offset is not None
        after = (last.end_lineno, last.end_col_offset)  # after the last metadata element, before any trailing comma
        return [Edit(after, after, ", NOT_NULL")]
    # Two insertions rather than one replacement, so edits inside the annotation (open enums) still apply.
    start = (annotation.lineno, annotation.col_offset)
    end = (annotation.end_lineno or 0, annotation.end_col_offset or 0)
    return [Edit(start, start, "Annotated["), Edit(end, end, ", NOT_NULL]")]


def _single_literal(annotation: ast.expr) -> ast.Constant | None:
    """`Literal['x']` or `Annotated[Literal['x'], ...]` -> the constant 'x'."""
    if isinstance(annotation, ast.Subscript) and getattr(annotation.value, "id", "") == "Annotated" and isinstance(annotation.slice, ast.Tuple):
        annotation = annotation.slice.elts[0]
    if isinstance(annotation, ast.Subscript) and getattr(annotation.value, "id", "") == "Literal" and isinstance(annotation.slice, ast.Constant):
        return annotation.slice
    return None


def _constant_edits(tree: ast.Module) -> list[Edit]:
    edits = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        constants = [m for m in node.body if isinstance(m, ast.AnnAssign) and m.value is None and _single_literal(m.annotation) is not None]
        for member in constants:
            value = _single_literal(member.annotation)
            assert value is not None
            end = (member.annotation.end_lineno or 0, member.annotation.end_col_offset or 0)
            edits.append(Edit(end, end, f" = {value.value!r}"))
        base = node.bases[0] if node.bases else None
        if constants and isinstance(base, ast.Name) and base.id == "ProtocolModel":
            edits.append(_edit(base, "TaggedModel"))
    return edits


def _docstring_edits(tree: ast.Module) -> list[Edit]:
    edits = []
    for node in tree.body:
        first = node.body[0] if isinstance(node, ast.ClassDef) and node.body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            text = docstring(first.value.value, " " * first.col_offset).lstrip(" ").rstrip("\n")
            edits.append(_edit(first, text))
    return edits


def _open_union_edits(protocol: Protocol, tree: ast.Module) -> list[Edit]:
    unions = {d.name: d for d in protocol.definitions.values() if d.kind is DefinitionKind.UNION and d.open}
    unknown = helper_names(protocol, unknown_candidates, _module_names(tree) | set(protocol.definitions))
    position = {name: index for index, node in enumerate(tree.body) for name in _module_names(ast.Module(body=[node], type_ignores=[]))}
    edits = []
    for index, node in enumerate(tree.body):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and node.targets[0].id in unions:
            name = node.targets[0].id
            later = {v.definition for v in unions[name].variants if position.get(v.definition, -1) > index}
            edits.append(_edit(node, open_union_source(unions[name], unknown[name], later)))
    return edits


def _module_names(tree: ast.Module) -> set[str]:
    names = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    return names | {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}


def open_union_source(definition: Definition, unknown: str, later: set[str] | frozenset[str] = frozenset()) -> str:
    """The union as a callable-discriminator alias with `unknown`, its catch-all class (named so it
    clashes with no schema name, see helper_names). Variants in `later` (defined further down the
    module) are forward references: the alias is evaluated at import."""
    field = definition.discriminator or "type"
    tags = ", ".join(repr(v.tag) for v in definition.variants)
    members = "\n        | ".join(f"Annotated[{_forward(v.definition, later)}, Tag({v.tag!r})]" for v in definition.variants)
    description = definition.description
    return (
        f"class {unknown}(UnknownVariant):\n"
        f'    """A {definition.name} whose `{field}` these bindings do not know: every member is kept."""\n\n'
        f"    {field}: StrictStr\n\n\n"
        f"{definition.name}_TAGS = frozenset({{{tags}}})\n\n"
        f"{definition.name} = TypeAliasType(\n"
        f"    {definition.name!r},\n"
        f"    Annotated[\n"
        f"        (\n        {members}\n        | Annotated[{unknown}, Tag(UNKNOWN_TAG)]\n        ),\n"
        f"        Discriminator(open_tag({field!r}, {definition.name}_TAGS)),\n"
        f"        Field(description={description!r}),\n"
        f"    ],\n"
        f")"
    )


def _forward(name: str, later: set[str] | frozenset[str]) -> str:
    return repr(name) if name in later else name


def _edit(node: ast.AST, text: str) -> Edit:
    end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    assert end_line is not None and end_col is not None
    return Edit((getattr(node, "lineno", 0), getattr(node, "col_offset", 0)), (end_line, end_col), text)


def _apply(source: str, edits: list[Edit]) -> str:
    """Apply edits bottom-up so earlier positions stay valid. ast columns are UTF-8 byte offsets."""
    lines = [line.encode("utf-8") for line in source.splitlines(keepends=True)]
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    data = b"".join(lines)
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        start = offsets[edit.start[0] - 1] + edit.start[1]
        end = offsets[edit.end[0] - 1] + edit.end[1]
        data = data[:start] + edit.text.encode("utf-8") + data[end:]
    return data.decode("utf-8")


def _replace_header(text: str, banner: str, protocol: Protocol) -> str:
    body = text.split("from __future__ import annotations", 1)[1]
    doc = f'"""pydantic models of protocol {protocol.label}: one class or type alias per `$defs` entry."""\n\n'
    return banner + doc + "from __future__ import annotations" + body


def _add_imports(text: str) -> str:
    body = text.split("from threadloom_runtime.base")[1]
    needed = [n for n in ("NOT_NULL", "OPEN_ENUM", "UNKNOWN_TAG", "TaggedModel", "UnknownValue", "UnknownVariant", "open_tag") if n in body]
    base = "from threadloom_runtime.base import " + ", ".join(["ProtocolModel", *needed])
    text = text.replace("from threadloom_runtime.base import ProtocolModel", base, 1)
    if "Discriminator(" in text:
        # datamodel-code-generator writes the import on one line or, when long, parenthesised.
        text = re.sub(r"from pydantic import (\(\s*)?", lambda m: f"{m.group(0)}Discriminator, Tag, ", text, count=1)
    return text
