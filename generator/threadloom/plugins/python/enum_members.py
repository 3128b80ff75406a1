"""Post-pass edits on enums for `mypy --strict`, on the ast of datamodel-code-generator's output.

- A default written as the enum's plain string (`role: ConversationTextRole = "user"`, or a list of
  them) is not of the enum type: it becomes the member (`ConversationTextRole.user`). The member is
  looked up through the annotation, following type aliases (Codex's `MultiAgentMode` is an alias of
  `MultiAgentModeValue | UnknownValue | CustomMultiAgentMode`).
- A member named like a `str` method (`replace = "replace"` in a `StrEnum`) overrides that method
  with an incompatible type: it is renamed `replace_` (values, hence the wire form, are unchanged).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable

# An edit: (node to replace, replacement text); models.py turns it into its positional Edit.
NodeEdit = tuple[ast.AST, str]

STR_ATTRIBUTES = frozenset(dir(str))
ENUM_BASES = frozenset({"StrEnum", "Enum", "IntEnum"})


def member_name(name: str) -> str:
    return f"{name}_" if name in STR_ATTRIBUTES else name


def enum_values(tree: ast.Module) -> dict[str, dict[object, str]]:
    """Enum class -> value -> (final) member name."""
    enums: dict[str, dict[object, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(getattr(base, "id", "") in ENUM_BASES for base in node.bases):
            members = enums.setdefault(node.name, {})
            for member in _members(node):
                target = member.targets[0]
                assert isinstance(target, ast.Name) and isinstance(member.value, ast.Constant)
                members.setdefault(member.value.value, member_name(target.id))
    return enums


def _members(node: ast.ClassDef) -> list[ast.Assign]:
    return [m for m in node.body if isinstance(m, ast.Assign) and isinstance(m.targets[0], ast.Name) and isinstance(m.value, ast.Constant)]


def rename_edits(tree: ast.Module) -> list[NodeEdit]:
    edits: list[NodeEdit] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(getattr(base, "id", "") in ENUM_BASES for base in node.bases):
            for member in _members(node):
                target = member.targets[0]
                assert isinstance(target, ast.Name)
                if member_name(target.id) != target.id:
                    edits.append((target, member_name(target.id)))
    return edits


def _aliases(tree: ast.Module) -> dict[str, ast.AST]:
    """Type alias name -> its type expression (`X = TypeAliasType("X", <type>)`)."""
    found: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call) and len(node.value.args) == 2:
            found[node.targets[0].id] = node.value.args[1]
    return found


def _names_in(annotation: ast.AST, aliases: dict[str, ast.AST]) -> list[str]:
    """Every name the annotation refers to, aliases followed (in source order, each once)."""
    seen: list[str] = []
    pending: list[ast.AST] = [annotation]
    while pending:
        for node in ast.walk(pending.pop(0)):
            if isinstance(node, ast.Name) and node.id not in seen:
                seen.append(node.id)
                if node.id in aliases:
                    pending.append(aliases[node.id])
    return seen


def default_edits(tree: ast.Module) -> list[NodeEdit]:
    enums, aliases = enum_values(tree), _aliases(tree)
    edits: list[NodeEdit] = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for member in node.body:
            if isinstance(member, ast.AnnAssign) and member.value is not None:
                candidates = [n for n in _names_in(member.annotation, aliases) if n in enums]
                edits += _member_defaults(member.value, functools.partial(_lookup, enums, candidates))
    return edits


def _lookup(enums: dict[str, dict[object, str]], candidates: list[str], value: object) -> str | None:
    for enum in candidates:
        if value in enums[enum]:
            return f"{enum}.{enums[enum][value]}"
    return None


def _member_defaults(value: ast.expr, lookup: Callable[[object], str | None]) -> list[NodeEdit]:
    constants = value.elts if isinstance(value, ast.List) else [value]
    edits: list[NodeEdit] = []
    for constant in constants:
        if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
            replacement = lookup(constant.value)
            if replacement is not None:
                edits.append((constant, replacement))
    return edits
