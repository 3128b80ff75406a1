"""Plain-data tables computed from the intermediate model: method constants and downgrade shapes."""

from __future__ import annotations

import keyword
import re
from typing import Any

from threadloom.model import Definition, DefinitionKind, Method, Protocol, ref_name


def python_name(method: str) -> str:
    """`item/commandExecution/requestApproval` -> `item_command_execution_request_approval`; JSON-RPC's
    `$/` prefix of protocol-level methods is dropped (`$/cancel_request` -> `cancel_request`); a
    keyword gets a trailing underscore, as PEP 8 says (`import` -> `import_`)."""
    name = _snake(method)
    return name + "_" if keyword.iskeyword(name) else name


def _snake(method: str) -> str:
    parts = re.split(r"[/.\-$]", method)
    return "_".join(re.sub(r"(?<!^)(?=[A-Z])", "_", part).lower() for part in parts if part)


def constant_name(method: Method) -> str:
    return _snake(method.name).upper()  # `IMPORT`: no keyword in upper case


def child_refs(schema: Any) -> list[str]:
    """Definitions a member's value (or its items, or its nullable alternative) refers to."""
    if not isinstance(schema, dict):
        return []
    found = [ref_name(schema["$ref"])] if "$ref" in schema else []
    for key in ("items", "additionalProperties"):
        found += child_refs(schema.get(key))
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            found += child_refs(option)
    return found


def shapes(protocol: Protocol) -> dict[str, dict[str, Any]]:
    """What must be shaped for older peers: {definition: spec}, only where something changes."""
    defs = protocol.definitions
    needs = {name for name, d in defs.items() if _changes_itself(d, defs)}
    while True:
        grown = needs | {name for name, d in defs.items() if any(child in needs for child in _children(d))}
        if grown == needs:
            break
        needs = grown
    return {name: _spec(defs[name], needs, defs) for name in sorted(needs)}


def _changes_itself(definition: Definition, defs: dict[str, Definition]) -> bool:
    if definition.kind is DefinitionKind.OBJECT:
        return any(p.since > 1 for p in definition.properties)
    if definition.kind is DefinitionKind.UNION:
        return any(defs[v.definition].since > 1 for v in definition.variants if v.definition in defs)
    return False


def _children(definition: Definition) -> list[str]:
    if definition.kind is DefinitionKind.OBJECT:
        return [ref for p in definition.properties for ref in child_refs(p.schema)]
    if definition.kind is DefinitionKind.UNION:
        return [v.definition for v in definition.variants]
    return []


def _spec(definition: Definition, needs: set[str], defs: dict[str, Definition]) -> dict[str, Any]:
    if definition.kind is DefinitionKind.UNION:
        variants = {v.tag: (defs[v.definition].since, v.definition) for v in definition.variants if v.definition in defs}
        return {"union": definition.discriminator, "variants": variants, "omit": definition.downgrade == "omit"}
    added = {p.name: p.since for p in definition.properties if p.since > 1}
    children = {}
    for prop in definition.properties:
        refs = [ref for ref in child_refs(prop.schema) if ref in needs]
        if refs:
            children[prop.name] = refs[0]
    return {"added": added, "children": children}
