"""The diff rules: one module per rule, found automatically.

A rule module defines `RULE = RuleInfo(...)` and `check`:
- scope "schema": `check(pair: SchemaPair) -> Iterable[Hit]`, called for every pair of
  corresponding schemas (each definition and every schema nested in it);
- scope "protocol": `check(ctx: DiffContext) -> Iterable[Placed]`, called once (methods, errors,
  definitions as a whole).
A rule only says what changed and how serious it is for each (role, audience); the engine decides
which roles apply, adds methods and areas, and applies stability, declared breaks and overrides.
Modules whose name starts with `_` are helpers.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from threadloom.diff.context import DiffContext, Placed, SchemaPair
from threadloom.diff.findings import Hit


@dataclass(frozen=True)
class RuleInfo:
    id: str
    summary: str
    scope: Literal["schema", "protocol"]


@dataclass(frozen=True)
class LoadedRule:
    info: RuleInfo
    check: Callable[[Any], Iterable[Any]]


@functools.cache
def all_rules() -> tuple[LoadedRule, ...]:
    found = []
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        info = module.RULE
        if info.id != module_info.name.replace("_", "-"):
            raise RuntimeError(f"rule module {module_info.name} declares id {info.id}")
        found.append(LoadedRule(info, module.check))
    return tuple(sorted(found, key=lambda r: r.info.id))


def schema_rules() -> tuple[tuple[str, Callable[[SchemaPair], Iterable[Hit]]], ...]:
    return tuple((r.info.id, r.check) for r in all_rules() if r.info.scope == "schema")


def protocol_rules() -> tuple[tuple[str, Callable[[DiffContext], Iterable[Placed]]], ...]:
    return tuple((r.info.id, r.check) for r in all_rules() if r.info.scope == "protocol")


def rule_ids() -> list[str]:
    return [r.info.id for r in all_rules()]
