"""Markdown reference, one page per protocol version: methods by area, types, errors, examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from threadloom.generate import Context, Target
from threadloom.jsonio import dumps_stable, read_json
from threadloom.model import Definition, DefinitionKind, Method, Protocol, Stability, envelope_name, ref_name

TARGET = Target(name="docs", description="Markdown protocol reference (docs/reference/)", owned_dirs=("docs/reference",))

DIRECTION_LABEL = {"clientToServer": "client → server", "serverToClient": "server → client"}


def generate(context: Context) -> dict[str, str]:
    head = context.banner("<!-- ", " -->").rstrip("\n")
    files = {f"docs/reference/{p.label}.md": render(p, head) for p in context.protocols}
    files["docs/reference/README.md"] = render_index(context.protocols, head)
    return files


def render_index(protocols: list[Protocol], head: str) -> str:
    lines = [head, "# Protocol reference", ""]
    lines += [f"- [{p.label}]({p.label}.md): {len(p.methods)} methods, {len(p.definitions)} definitions" for p in protocols]
    return "\n".join(lines) + "\n"


def render(protocol: Protocol, head: str) -> str:
    examples = _examples(protocol.examples_dir)
    out = [head, f"# {protocol.document.get('title', protocol.name)}", "", protocol.document.get("description", ""), ""]
    out += _transports(protocol)
    out += ["## Methods", ""]
    areas = sorted({m.area for m in protocol.methods})
    for area in areas:
        out += [f"### Area `{area}`", ""]
        for method in (m for m in protocol.methods if m.area == area):
            out += _method(protocol, method, examples)
    out += _errors(protocol)
    out += ["## Types", ""]
    for name, definition in sorted(protocol.definitions.items()):
        out += _definition(definition, examples.get(name, []))
    return "\n".join(out).rstrip("\n") + "\n"


def _examples(folder: Path) -> dict[str, list[tuple[str, Any]]]:
    found: dict[str, list[tuple[str, Any]]] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*/*.json")):
            found.setdefault(path.parent.name, []).append((path.stem, read_json(path)))
    return found


def _transports(protocol: Protocol) -> list[str]:
    if not protocol.transports:
        return []
    out = ["## Transports", ""]
    for name, settings in protocol.transports.items():
        details = ", ".join(f"{key} `{value}`" for key, value in settings.items())
        out.append(f"- **{name}**: {details}")
    return [*out, ""]


def _method(protocol: Protocol, method: Method, examples: dict[str, list[tuple[str, Any]]]) -> list[str]:
    out = [f"#### `{method.name}`", ""]
    badges = [DIRECTION_LABEL[method.direction], method.kind, f"since v{method.since}", method.stability]
    out += [" · ".join(f"*{b}*" for b in badges), "", method.description, ""]
    if method.stability is Stability.DEPRECATED and method.deprecation:
        out += [_deprecation_note(method.deprecation.replacement, method.deprecation.remove_in), ""]
    out.append(f"- params: {_link(method.params)}")
    if method.result:
        out.append(f"- result: {_link(method.result)}")
    if method.errors:
        codes = ", ".join(f"`{e.code}` {e.name}" for name in method.errors if (e := protocol.error(name)))
        out.append(f"- errors: {codes}")
    out.append("")
    envelope = _envelope_name(protocol, method)
    for title, example in examples.get(envelope or "", []):
        out += [f"Example ({title}):", "", "```json", dumps_stable(example).rstrip(), "```", ""]
    return out


def _envelope_name(protocol: Protocol, method: Method) -> str | None:
    return envelope_name(protocol, method)


def _deprecation_note(replacement: str | None, remove_in: int | None) -> str:
    text = "**Deprecated**"
    if replacement:
        text += f": use `{replacement}` instead"
    if remove_in:
        text += f"; may be removed in v{remove_in}"
    return text + "."


def _errors(protocol: Protocol) -> list[str]:
    out = ["## Errors", "", "| code | name | data | description |", "|---|---|---|---|"]
    for error in protocol.errors:
        data = _link(error.data) if error.data else ""
        out.append(f"| `{error.code}` | {error.name} | {data} | {error.description} |")
    return [*out, ""]


def _definition(definition: Definition, examples: list[tuple[str, Any]]) -> list[str]:
    out = [f"### {definition.name}", ""]
    notes = []
    if definition.since > 1:
        notes.append(f"since v{definition.since}")
    if definition.open is not None:
        notes.append("open: clients must tolerate unknown members" if definition.open else "closed")
    out += [definition.description + (f" *({'; '.join(notes)})*" if notes else ""), ""]
    if definition.kind is DefinitionKind.OBJECT and definition.properties:
        out += ["| field | type | required | description |", "|---|---|---|---|"]
        for prop in definition.properties:
            description = prop.description or prop.schema.get("description", "")
            if prop.deprecation:
                description += " " + _deprecation_note(prop.deprecation.replacement, prop.deprecation.remove_in)
            if prop.since > 1:
                description += f" *(since v{prop.since})*"
            out.append(f"| `{prop.name}` | {type_label(prop.schema)} | {'yes' if prop.required else 'no'} | {description.strip()} |")
        out.append("")
    elif definition.kind in (DefinitionKind.UNION, DefinitionKind.ENVELOPE_UNION):
        options = definition.variants and [f"{_link(v.definition)} (`{definition.discriminator}: {v.tag}`)" for v in definition.variants]
        options = options or [type_label(o) for o in definition.schema.get("anyOf", [])]
        out += [f"One of: {', '.join(options)}", ""]
    elif definition.kind is DefinitionKind.ENUM:
        out += ["Values: " + ", ".join(f"`{v}`" for v in definition.values), ""]
    else:
        out += [f"Type: {type_label(definition.schema)}", ""]
    for title, example in examples:
        out += [f"Example ({title}):", "", "```json", dumps_stable(example).rstrip(), "```", ""]
    return out


def _link(name: str) -> str:
    return f"[{name}](#{name.lower()})"


def type_label(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any"
    if "$ref" in schema:
        return _link(ref_name(schema["$ref"]))
    if "const" in schema:
        return f"`{schema['const']!r}`".replace("'", '"')
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " \\| ".join(type_label(option) for option in schema[key])
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    labels = [f"{type_label(schema.get('items'))}[]" if k == "array" else str(k) for k in kinds]
    return " \\| ".join(labels) or "any"
