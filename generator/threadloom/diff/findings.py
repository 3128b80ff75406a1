"""What a diff reports: levels, the populations a change can break, and the finding itself."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field, replace


class Level(enum.IntEnum):
    """Ordered so that `max()` gives the most serious level."""

    INFO = 0  # compatible
    WARN = 1  # possibly breaking
    ERR = 2  # breaking

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown level `{text}` (expected ERR, WARN or INFO)") from None


class Audience(enum.StrEnum):
    """Who a change can break."""

    OLD_CLIENTS = "old-clients"  # a client built for the old version talking to the new server
    NEW_CLIENTS = "new-clients"  # a client built for the new version talking to an old server


class Role(enum.StrEnum):
    """How the server uses a schema; a schema reachable both ways is judged in both roles."""

    READ = "read"  # the server reads it: client request params, client notifications, client replies
    WRITTEN = "written"  # the server writes it: results, server notifications and requests, error data
    METHOD = "method"  # method-table and error-table changes (not tied to a payload schema)
    CODEGEN = "codegen"  # no wire effect: generated names or documentation change


@dataclass(frozen=True)
class Hit:
    """What a rule reports before the engine places it: a message and a level per (role, audience).

    A missing (role, audience) key means the change does not concern that population in that role.
    """

    message: str
    levels: dict[tuple[Role, Audience], Level]
    old_pointer: str | None = None  # defaults to the pointers of the compared pair
    new_pointer: str | None = None
    experimental: bool = False  # concerns an experimental member: INFO unless experimental changes are checked


def compat(message: str, backward: Level, forward: Level, old_pointer: str | None = None, new_pointer: str | None = None, experimental: bool = False) -> Hit:
    """A schema change judged by the two classic compatibilities.

    backward: a reader with the NEW schema gets data written against the OLD schema.
    forward:  a reader with the OLD schema gets data written against the NEW schema.
    Read by the server, old clients need backward and new clients forward; written by the server,
    the other way round.
    """
    return Hit(
        message,
        {
            (Role.READ, Audience.OLD_CLIENTS): backward,
            (Role.READ, Audience.NEW_CLIENTS): forward,
            (Role.WRITTEN, Audience.OLD_CLIENTS): forward,
            (Role.WRITTEN, Audience.NEW_CLIENTS): backward,
        },
        old_pointer,
        new_pointer,
        experimental,
    )


def by_role(message: str, read: Level, written: Level, old_pointer: str | None = None, new_pointer: str | None = None) -> Hit:
    """A change whose verdict depends only on the role, the same for both populations."""
    levels = {(role, audience): level for role, level in ((Role.READ, read), (Role.WRITTEN, written)) for audience in Audience}
    return Hit(message, levels, old_pointer, new_pointer)


def method_hit(message: str, old_clients: Level | None, new_clients: Level | None, old_pointer: str | None = None, new_pointer: str | None = None) -> Hit:
    levels = {(Role.METHOD, a): lvl for a, lvl in ((Audience.OLD_CLIENTS, old_clients), (Audience.NEW_CLIENTS, new_clients)) if lvl is not None}
    return Hit(message, levels, old_pointer, new_pointer)


def codegen(message: str, old_pointer: str | None = None, new_pointer: str | None = None, audience: Audience = Audience.NEW_CLIENTS) -> Hit:
    """No wire change (generated names, documentation, deprecation marks); reported once, at INFO."""
    return Hit(message, {(Role.CODEGEN, audience): Level.INFO}, old_pointer, new_pointer)


@dataclass(frozen=True)
class DiffFinding:
    rule: str
    level: Level
    audience: Audience
    role: Role
    message: str
    old_pointer: str
    new_pointer: str
    methods: tuple[str, ...] = ()
    area: str = ""
    notes: tuple[str, ...] = ()  # why the level differs from the rule's verdict (experimental, --level, ...)
    # The reason the new version gives in `x-protocol.breaks` when it declares this change on
    # purpose. A declared break keeps its level: declaring only lets `threadloom check` pass.
    declared: str = ""
    fingerprint: str = field(default="")

    def __post_init__(self) -> None:
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", make_fingerprint(self.rule, self.audience, self.role, self.old_pointer, self.new_pointer))

    def with_level(self, level: Level, note: str) -> DiffFinding:
        return replace(self, level=level, notes=(*self.notes, note))

    @property
    def subject_pointer(self) -> str:
        """Where the change itself is: the deeper of the two pointers (the new one on a tie).

        For an addition the old pointer is only the parent it was added to, for a removal the new
        pointer is only the parent it was removed from; the other pointer names the member itself.
        """
        return self.old_pointer if self.old_pointer.count("/") > self.new_pointer.count("/") else self.new_pointer

    @property
    def sort_key(self) -> tuple[object, ...]:
        return (-self.level, self.area, pointer_key(self.new_pointer), pointer_key(self.old_pointer), self.rule, self.audience, self.role)

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "level": self.level.name,
            "audience": str(self.audience),
            "role": str(self.role),
            "message": self.message,
            "methods": list(self.methods),
            "area": self.area,
            "oldPointer": self.old_pointer,
            "newPointer": self.new_pointer,
            "notes": list(self.notes),
            "declared": self.declared or None,
            "fingerprint": self.fingerprint,
        }


def pointer_key(pointer: str) -> tuple[tuple[int, int, str], ...]:
    """Sorts `/x-methods/9` before `/x-methods/10`."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pointer.split("/"))


def make_fingerprint(rule: str, audience: Audience, role: Role, old_pointer: str, new_pointer: str) -> str:
    """Stable across runs and message rewording: only what identifies the change."""
    key = "\0".join((rule, str(audience), str(role), old_pointer, new_pointer))
    return hashlib.sha256(key.encode()).hexdigest()[:16]
