"""Pairing the variants of a tagged union across versions: by tag, then by best structural match."""

from __future__ import annotations

from dataclasses import dataclass

from threadloom.diff.context import DiffContext
from threadloom.diff.structure import similarity
from threadloom.model import Definition, Variant

# Below this, two unpaired variants are a removal and an addition rather than one changed variant.
MATCH_THRESHOLD = 0.5


@dataclass(frozen=True)
class VariantPairing:
    pairs: tuple[tuple[int, int], ...]  # (old index, new index) in the unions' oneOf lists
    removed: tuple[int, ...]  # old indexes
    added: tuple[int, ...]  # new indexes


def pair_variants(ctx: DiffContext, old: Definition, new: Definition) -> VariantPairing:
    key = ("variants", old.name, new.name)
    if key not in ctx.cache:
        ctx.cache[key] = _pair(ctx, old.variants, new.variants)
    pairing: VariantPairing = ctx.cache[key]
    return pairing


def _pair(ctx: DiffContext, old: tuple[Variant, ...], new: tuple[Variant, ...]) -> VariantPairing:
    pairs: list[tuple[int, int]] = []
    old_left = list(range(len(old)))
    new_left = list(range(len(new)))

    def take(match: list[tuple[int, int]]) -> None:
        for i, j in match:
            if i in old_left and j in new_left:
                pairs.append((i, j))
                old_left.remove(i)
                new_left.remove(j)

    new_by_tag = {v.tag: j for j, v in enumerate(new) if v.tag}
    take([(i, new_by_tag[v.tag]) for i, v in enumerate(old) if v.tag in new_by_tag])
    new_by_name = {v.definition: j for j, v in enumerate(new)}
    take([(i, new_by_name[c]) for i in list(old_left) if (c := ctx.counterpart(old[i].definition)) in new_by_name])
    scored = sorted(
        ((similarity(_schema(ctx.old.definitions, old[i]), _schema(ctx.new.definitions, new[j])), i, j) for i in old_left for j in new_left),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    take([(i, j) for score, i, j in scored if score >= MATCH_THRESHOLD])
    return VariantPairing(tuple(sorted(pairs)), tuple(old_left), tuple(new_left))


def _schema(definitions: dict[str, Definition], variant: Variant) -> object:
    target = definitions.get(variant.definition)
    return target.schema if target else {}
