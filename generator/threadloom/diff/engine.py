"""The diff engine: pairs what corresponds across two versions and lets every rule judge each pair.

1. Reachability gives each definition its roles (read and/or written by the server) and methods.
2. Definitions pair by name, then renames are found by equal structure; union variants pair by tag
   then by best structural match, and method payloads pair through the method table.
3. Each pair of definitions is walked once; every schema rule judges every pair of sub-schemas.
   Identical sub-trees are skipped, which keeps large, mostly unchanged documents fast.
4. Levels are then adjusted for experimental members; breaks the new version declares are marked
   (they keep their level).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from threadloom.diff.context import DiffContext, Options, Placed, SchemaPair, Scope
from threadloom.diff.findings import DiffFinding, Hit, Level, Role
from threadloom.diff.reach import compute_reach
from threadloom.diff.rules import protocol_rules, schema_rules
from threadloom.diff.structure import find_renames
from threadloom.diff.unions import pair_variants
from threadloom.errors import pointer_join
from threadloom.model import DefinitionKind, Protocol, ref_name

NESTED_KEYWORDS = ("items", "additionalProperties", "contains", "propertyNames", "not")
EXPERIMENTAL_NOTE = "experimental: not checked at this stability level (use --include-experimental)"


def build_context(old: Protocol, new: Protocol, options: Options) -> DiffContext:
    renames = find_renames({n: d.schema for n, d in old.definitions.items()}, {n: d.schema for n, d in new.definitions.items()})
    return DiffContext(
        old=old,
        new=new,
        old_reach=compute_reach(old),
        new_reach=compute_reach(new),
        renames=renames,
        options=options,
        method_unions=_method_unions(old) | _method_unions(new),
    )


def _method_unions(protocol: Protocol) -> frozenset[str]:
    names = {m.name for m in protocol.methods}
    return frozenset(
        d.name
        for d in protocol.definitions.values()
        if d.kind is DefinitionKind.UNION and d.discriminator == "method" and d.variants and all(v.tag in names for v in d.variants)
    )


def diff_protocols(old: Protocol, new: Protocol, options: Options | None = None) -> list[DiffFinding]:
    """Every finding between two versions, most serious first, in a stable order."""
    ctx = build_context(old, new, options or Options())
    findings: list[DiffFinding] = []
    for rule_id, check in protocol_rules():
        for placed in check(ctx):
            findings += _place_protocol(ctx, rule_id, placed)
    for old_name, new_name in definition_pairs(ctx):
        findings += walk_definitions(ctx, old_name, new_name)
    return sorted(apply_declared_breaks(new, unique(findings)), key=lambda f: f.sort_key)


def unique(findings: Iterable[DiffFinding]) -> list[DiffFinding]:
    """One finding per change and population: a schema reached along several paths is judged once
    (the most serious verdict wins)."""
    kept: dict[tuple[str, str], DiffFinding] = {}
    for finding in findings:
        key = (finding.fingerprint, finding.message)
        if key not in kept or finding.level > kept[key].level:
            kept[key] = finding
    return list(kept.values())


def definition_pairs(ctx: DiffContext) -> list[tuple[str, str]]:
    """Same names, renames, then differently named variants and method payloads that correspond."""
    pairs = [(name, c) for name in ctx.old.definitions if (c := ctx.counterpart(name))]
    seen = set(pairs)
    for extra in [*_variant_pairs(ctx), *_payload_pairs(ctx)]:
        if extra not in seen and not ctx.same_definition(*extra):
            seen.add(extra)
            pairs.append(extra)
    return pairs


def _variant_pairs(ctx: DiffContext) -> Iterator[tuple[str, str]]:
    for old_name, old_def in ctx.old.definitions.items():
        new_name = ctx.counterpart(old_name)
        new_def = ctx.new.definitions.get(new_name) if new_name else None
        if new_def is None or old_def.kind is not DefinitionKind.UNION or new_def.kind is not DefinitionKind.UNION:
            continue
        for i, j in pair_variants(ctx, old_def, new_def).pairs:
            if old_name in ctx.method_unions and old_def.variants[i].tag != new_def.variants[j].tag:
                continue  # envelopes of different methods are not one changed method: the method table judges them
            pair = (old_def.variants[i].definition, new_def.variants[j].definition)
            if pair[0] in ctx.old.definitions and pair[1] in ctx.new.definitions:
                yield pair


def _payload_pairs(ctx: DiffContext) -> Iterator[tuple[str, str]]:
    """Params and results of the same method, and data of the same error, correspond."""
    candidates: list[tuple[str | None, str | None]] = []
    for new_method in ctx.new.methods:
        old_method = ctx.old.method(new_method.name)
        if old_method is not None:
            candidates += [(old_method.params, new_method.params), (old_method.result, new_method.result)]
    for new_error in ctx.new.errors:
        old_error = ctx.old.error(new_error.name)
        if old_error is not None:
            candidates.append((old_error.data, new_error.data))
    for old_name, new_name in candidates:
        if old_name and new_name and old_name in ctx.old.definitions and new_name in ctx.new.definitions:
            yield old_name, new_name


def make_scope(ctx: DiffContext, old_name: str, new_name: str) -> Scope:
    methods = tuple(sorted(ctx.old_reach.methods_of(old_name) | ctx.new_reach.methods_of(new_name)))
    flagged = bool(ctx.old.definitions[old_name].schema.get("x-experimental") or ctx.new.definitions[new_name].schema.get("x-experimental"))
    return Scope(
        old_name=old_name,
        new_name=new_name,
        roles=ctx.old_reach.roles_of(old_name) | ctx.new_reach.roles_of(new_name),
        methods=methods,
        experimental=flagged or ctx.all_experimental(methods),
    )


def walk_definitions(ctx: DiffContext, old_name: str, new_name: str) -> list[DiffFinding]:
    """Compare one pair of definitions (once per diff, however often it is reached)."""
    walked: set[tuple[str, str]] = ctx.cache.setdefault("walked", set())
    if (old_name, new_name) in walked:
        return []
    walked.add((old_name, new_name))
    scope = make_scope(ctx, old_name, new_name)
    old_def, new_def = ctx.old.definitions[old_name], ctx.new.definitions[new_name]
    return _walk(ctx, schema_rules(), scope, old_def.schema, new_def.schema, old_def.pointer, new_def.pointer, scope.experimental, True, False)


def _walk(
    ctx: DiffContext,
    rules: tuple[tuple[str, Any], ...],
    scope: Scope,
    old: Any,
    new: Any,
    old_pointer: str,
    new_pointer: str,
    experimental: bool,
    at_root: bool,
    unwrapped: bool,
) -> list[DiffFinding]:
    if old == new and not at_root:
        return []  # identical sub-tree: nothing inside can differ (definitions pair by name)
    if isinstance(old, dict) and isinstance(new, dict) and ("$ref" in old or "$ref" in new):
        return _follow_refs(ctx, rules, scope, old, new, old_pointer, new_pointer, experimental)
    findings: list[DiffFinding] = []
    pair = SchemaPair(ctx, scope, old, new, old_pointer, new_pointer, at_root, unwrapped)
    for rule_id, check in rules:
        for hit in check(pair):
            findings += place(ctx, rule_id, hit, old_pointer, new_pointer, scope.roles, scope.methods, experimental)
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return findings
    for child_old, child_new, old_ptr, new_ptr, child_experimental, child_unwrapped in _children(old, new, old_pointer, new_pointer):
        findings += _walk(ctx, rules, scope, child_old, child_new, old_ptr, new_ptr, experimental or child_experimental, False, child_unwrapped)
    return findings


def _follow_refs(
    ctx: DiffContext,
    rules: tuple[tuple[str, Any], ...],
    scope: Scope,
    old: dict[str, Any],
    new: dict[str, Any],
    old_pointer: str,
    new_pointer: str,
    experimental: bool,
) -> list[DiffFinding]:
    """`$ref`s are resolved: the same definition is judged on its own; a reference to another
    definition compares the two definitions; a reference against an inline schema compares the
    referenced definition with it, in the context of the referring schema."""
    old_target = _target(ctx.old, old)
    new_target = _target(ctx.new, new)
    if old_target and new_target:
        if ctx.same_definition(old_target, new_target):
            return []
        return walk_definitions(ctx, old_target, new_target)
    if old_target:
        definition = ctx.old.definitions[old_target]
        return _walk(ctx, rules, scope, definition.schema, new, definition.pointer, new_pointer, experimental, False, False)
    if new_target:
        definition = ctx.new.definitions[new_target]
        return _walk(ctx, rules, scope, old, definition.schema, old_pointer, definition.pointer, experimental, False, False)
    return []  # references that resolve to nothing: `threadloom check` reports them


def _target(protocol: Protocol, schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref_name(ref) in protocol.definitions:
        return ref_name(ref)
    return None


def _children(old: dict[str, Any], new: dict[str, Any], old_pointer: str, new_pointer: str) -> Iterator[tuple[Any, Any, str, str, bool, bool]]:
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    if isinstance(old_props, dict) and isinstance(new_props, dict):
        for name, new_sub in new_props.items():
            old_sub = old_props.get(name)
            if isinstance(old_sub, dict) and isinstance(new_sub, dict):
                flagged = bool(old_sub.get("x-experimental") or new_sub.get("x-experimental"))
                yield old_sub, new_sub, old_pointer + pointer_join("properties", name), new_pointer + pointer_join("properties", name), flagged, False
    for key in NESTED_KEYWORDS:
        if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
            yield old[key], new[key], old_pointer + pointer_join(key), new_pointer + pointer_join(key), False, False
    if "discriminator" not in old and "discriminator" not in new:  # tagged unions pair their variants by tag instead
        yield from _option_pairs(old, new, old_pointer, new_pointer)


def _options(schema: dict[str, Any]) -> tuple[str, list[Any]] | None:
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return key, schema[key]
    return None


def _is_null(option: Any) -> bool:
    return isinstance(option, dict) and option.get("type") == "null" and len(option) <= 2


def _option_pairs(old: dict[str, Any], new: dict[str, Any], old_pointer: str, new_pointer: str) -> Iterator[tuple[Any, Any, str, str, bool, bool]]:
    """Inline alternatives (`anyOf: [X, null]`, ...): pair equal options, then the single leftovers."""
    old_opts, new_opts = _options(old), _options(new)
    old_list = [(old_pointer + pointer_join(old_opts[0], i), o) for i, o in enumerate(old_opts[1]) if not _is_null(o)] if old_opts else [(old_pointer, old)]
    new_list = [(new_pointer + pointer_join(new_opts[0], i), o) for i, o in enumerate(new_opts[1]) if not _is_null(o)] if new_opts else [(new_pointer, new)]
    if not old_opts and not new_opts:
        return
    old_left = [item for item in old_list if not any(item[1] == other for _, other in new_list)]
    new_left = [item for item in new_list if not any(item[1] == other for _, other in old_list)]
    if len(old_left) == 1 and len(new_left) == 1:
        (old_ptr, old_option), (new_ptr, new_option) = old_left[0], new_left[0]
        yield old_option, new_option, old_ptr, new_ptr, False, True


def place(
    ctx: DiffContext,
    rule_id: str,
    hit: Hit,
    old_pointer: str,
    new_pointer: str,
    roles: frozenset[Role],
    methods: tuple[str, ...],
    experimental: bool,
) -> list[DiffFinding]:
    """Turn a hit into findings for the roles the schema really has."""
    area = ctx.area_of(methods)
    out = []
    for (role, audience), level in hit.levels.items():
        if role in (Role.READ, Role.WRITTEN) and role not in roles:
            continue
        finding = DiffFinding(
            rule=rule_id,
            level=level,
            audience=audience,
            role=role,
            message=hit.message,
            old_pointer=hit.old_pointer if hit.old_pointer is not None else old_pointer,
            new_pointer=hit.new_pointer if hit.new_pointer is not None else new_pointer,
            methods=methods,
            area=area,
        )
        if (experimental or hit.experimental) and level > Level.INFO and not ctx.options.include_experimental:
            finding = finding.with_level(Level.INFO, EXPERIMENTAL_NOTE)
        out.append(finding)
    return out


def _place_protocol(ctx: DiffContext, rule_id: str, placed: Placed) -> list[DiffFinding]:
    return place(ctx, rule_id, placed.hit, placed.old_pointer, placed.new_pointer, frozenset(), placed.methods, placed.experimental)


def declared_breaks(new: Protocol) -> list[dict[str, Any]]:
    """The new version's `x-protocol.breaks` entries (formats without them declare none)."""
    header = new.document.get("x-protocol") if isinstance(new.document, dict) else None
    breaks = header.get("breaks", []) if isinstance(header, dict) else []
    return [b for b in breaks if isinstance(b, dict) and isinstance(b.get("rule"), str)]


def apply_declared_breaks(new: Protocol, findings: Iterable[DiffFinding]) -> list[DiffFinding]:
    """Mark the breaks the new version declares on purpose (x-protocol.breaks) with their reason.

    The level stays: a declared break is still a break, and every report says so; declaring only
    lets `threadloom check` pass.
    """
    declared = declared_breaks(new)
    out = []
    for finding in findings:
        entry = next((b for b in declared if finding.level > Level.INFO and declares(b, finding)), None)
        out.append(replace(finding, declared=str(entry.get("reason") or "no reason given")) if entry else finding)
    return out


def declares(entry: dict[str, Any], finding: DiffFinding) -> bool:
    """A declaration names one change: its rule and the change's own pointer, matched exactly.

    The pointer is the member that changed (`subject_pointer`: in the new document, or in the old
    one for something removed), never a parent: a parent would silence every later break under it.
    A declaration without a pointer matches nothing (`threadloom check` reports it).
    """
    return entry["rule"] == finding.rule and entry.get("pointer") == finding.subject_pointer
