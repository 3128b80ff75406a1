"""What every rule sees: the two protocols, their reachability, renames, and the pair being compared."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from threadloom.diff.findings import Hit, Role
from threadloom.diff.reach import Reach
from threadloom.model import Definition, DefinitionKind, Method, Protocol, Stability

FORMATS_WITH_SINCE = frozenset({"threadloom"})  # formats whose `since` / `x-since` marks are meaningful


@dataclass(frozen=True)
class Options:
    include_experimental: bool = False  # judge experimental methods and fields like stable ones


@dataclass
class DiffContext:
    old: Protocol
    new: Protocol
    old_reach: Reach
    new_reach: Reach
    renames: dict[str, str]  # old definition name -> new name (equal structure)
    options: Options
    method_unions: frozenset[str]  # unions tagged by method name: the method table speaks for them
    cache: dict[Any, Any] = field(default_factory=dict)

    def counterpart(self, old_name: str) -> str | None:
        """The new definition an old one became: same name, else a detected rename."""
        if old_name in self.new.definitions:
            return old_name
        return self.renames.get(old_name)

    def same_definition(self, old_name: str, new_name: str) -> bool:
        return self.counterpart(old_name) == new_name

    def method(self, name: str) -> Method | None:
        return self.new.method(name) or self.old.method(name)

    @property
    def tracks_since(self) -> bool:
        """Whether the new version's format marks additions with the version they appeared in.
        Other vendors' exports (identified by release strings such as "0.169.0") have no such
        marks: nothing in them is gated, and messages do not mention marks."""
        return self.new.format in FORMATS_WITH_SINCE

    def is_gated(self, since: int | None) -> bool:
        """Marked as newer than the old version: only sent on connections that negotiated it."""
        return self.tracks_since and isinstance(since, int) and since > self.old.version

    def all_experimental(self, methods: Iterable[str]) -> bool:
        found = [m for name in methods if (m := self.method(name))]
        return bool(found) and all(m.stability is Stability.EXPERIMENTAL for m in found)

    def area_of(self, methods: Iterable[str]) -> str:
        areas = sorted({m.area for name in methods if (m := self.method(name)) and m.area})
        if not areas:
            return "general"
        return areas[0] if len(areas) == 1 else "shared"


@dataclass(frozen=True)
class Scope:
    """The pair of definitions a compared schema belongs to, and how the server uses them."""

    old_name: str
    new_name: str
    roles: frozenset[Role]
    methods: tuple[str, ...]
    experimental: bool


@dataclass(frozen=True)
class SchemaPair:
    ctx: DiffContext
    scope: Scope
    old: Any
    new: Any
    old_pointer: str
    new_pointer: str
    at_root: bool  # the definitions themselves, not a schema nested inside them
    unwrapped: bool = False  # an option taken out of an inline anyOf/oneOf: nullability is judged outside

    @property
    def old_definition(self) -> Definition:
        return self.ctx.old.definitions[self.scope.old_name]

    @property
    def new_definition(self) -> Definition:
        return self.ctx.new.definitions[self.scope.new_name]

    def tagged_unions(self) -> tuple[Definition, Definition] | None:
        """Both definitions, when this is a pair of tagged unions whose variants the union rules judge."""
        if not self.at_root:
            return None
        old, new = self.old_definition, self.new_definition
        if old.kind is not DefinitionKind.UNION or new.kind is not DefinitionKind.UNION:
            return None
        if old.name in self.ctx.method_unions or new.name in self.ctx.method_unions:
            return None
        return old, new

    def objects(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Both schemas, when both describe objects with properties."""
        old, new = self.old, self.new
        if not (isinstance(old, dict) and isinstance(new, dict)):
            return None
        if _is_object(old) and _is_object(new):
            return old, new
        return None


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or "properties" in schema


@dataclass(frozen=True)
class Placed:
    """A hit of a protocol-level rule (methods, errors, definitions as a whole)."""

    hit: Hit
    old_pointer: str
    new_pointer: str
    methods: tuple[str, ...] = ()
    experimental: bool = False
