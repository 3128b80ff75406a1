"""Post-pass edit for `mypy --strict`: object-valued defaults of model-typed members.

datamodel-code-generator writes a schema's object `default` as a dict literal with
`validate_default=True` (ACP: `mcp_capabilities: McpCapabilities = {"http": False, ...}`): right at
run time, but a dict is not a `McpCapabilities` to a type checker. It becomes a default factory that
builds the model from the same data, when an instance is made (so importing the models stays cheap).
"""

from __future__ import annotations

import ast

from threadloom.plugins.python.enum_members import NodeEdit


def _model_classes(tree: ast.Module) -> set[str]:
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef) and not any(getattr(b, "id", "").endswith("Enum") for b in node.bases)}


def _member_type(annotation: ast.expr) -> ast.expr:
    """`Annotated[X, ...]` -> X."""
    if isinstance(annotation, ast.Subscript) and getattr(annotation.value, "id", "") == "Annotated" and isinstance(annotation.slice, ast.Tuple):
        return annotation.slice.elts[0]
    return annotation


def default_edits(tree: ast.Module, source: str) -> list[NodeEdit]:
    models = _model_classes(tree)
    edits: list[NodeEdit] = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for member in node.body:
            if not (isinstance(member, ast.AnnAssign) and isinstance(member.value, ast.Dict)):
                continue
            kind = _member_type(member.annotation)
            if isinstance(kind, ast.Name) and kind.id in models:
                data = ast.get_source_segment(source, member.value)
                edits.append((member.value, f"Field(default_factory=lambda: {kind.id}.model_validate({data}))"))
    return edits
