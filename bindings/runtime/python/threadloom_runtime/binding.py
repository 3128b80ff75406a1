"""What a generated version package tells the runtime: its method table and downgrade table.

Both are plain data computed by the generator, so the hot path does dictionary lookups only. They
are NamedTuples rather than dataclasses because defining one is much cheaper at import.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

from threadloom_runtime.connection import Limits
from threadloom_runtime.spec import ProtocolSpec

CLIENT_TO_SERVER = "clientToServer"
SERVER_TO_CLIENT = "serverToClient"


class MethodInfo(NamedTuple):
    name: str  # wire name, e.g. `thread/start`
    python_name: str  # e.g. `thread_start`
    direction: str  # clientToServer | serverToClient
    kind: str  # request | notification
    params: Any  # a model class, or a type form (union alias, None, Any) of a vendor schema
    result: Any  # the same, or None for a notification
    params_definition: str
    result_definition: str | None
    since: int
    stability: str  # stable | experimental | deprecated
    errors: tuple[str, ...] = ()
    experimental_fields: tuple[str, ...] = ()  # wire names of experimental params members

    @property
    def is_request(self) -> bool:
        return self.kind == "request"

    @property
    def experimental(self) -> bool:
        return self.stability == "experimental"


class ObjectShape(NamedTuple):
    """Members added after some version, and members whose value may itself need shaping."""

    added: dict[str, int]  # wire member name -> version that added it
    children: dict[str, str]  # wire member name -> definition name of its value (or of its items)


class UnionShape(NamedTuple):
    discriminator: str
    variants: dict[str, tuple[int, str]]  # tag -> (since, definition name)
    omit_newer: bool  # `x-downgrade: omit`: a variant newer than the peer is left out


Shape = ObjectShape | UnionShape


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = _Omit()


def downgrade(table: dict[str, Shape], definition: str, value: Any, version: int) -> Any:
    """Shape a dumped value of `definition` for a peer speaking `version` (mutates dicts in place).

    Returns OMIT when the value itself must not be sent (a union variant newer than the peer):
    the caller drops the containing array element, or the whole message.
    """
    shape = table.get(definition)
    if shape is None or not isinstance(value, dict):
        return value
    if isinstance(shape, UnionShape):
        entry = shape.variants.get(value.get(shape.discriminator))  # type: ignore[arg-type]
        if entry is None:
            return value
        since, variant = entry
        if since > version and shape.omit_newer:
            return OMIT
        return downgrade(table, variant, value, version)
    for member, since in shape.added.items():
        if since > version:
            value.pop(member, None)
    for member, child in shape.children.items():
        if member not in value:
            continue
        shaped = _downgrade_member(table, child, value[member], version)
        if shaped is OMIT:
            return OMIT
        value[member] = shaped
    return value


def _downgrade_member(table: dict[str, Shape], definition: str, value: Any, version: int) -> Any:
    if isinstance(value, list):
        shaped = (downgrade(table, definition, item, version) for item in value)
        return [item for item in shaped if item is not OMIT]
    return downgrade(table, definition, value, version)


def default_limits(protocol: ProtocolSpec) -> Limits:
    """The runtime's limits, with the message size the protocol declares for its stdio transport."""
    if protocol.max_message_bytes is None:
        return Limits()
    return Limits(max_message_bytes=protocol.max_message_bytes)
