"""Names the targets emit beside a protocol's own definitions, chosen so they never clash with them.

An open union `X` gets a catch-all member (`UnknownX`) and a type of its known members (`KnownX`).
Real schemas already use such names for their own types: Codex's `CommandAction` has a real variant
`UnknownCommandAction` (tagged `unknown`), ACP's `StateUpdate` one named `UnknownStateUpdate`. So each
helper name is the first of a fixed list of candidates that no schema name (nor an earlier helper)
takes; the lists hold no numbers, and unions are visited in name order, so the choice is
deterministic and stable as long as the schema does not itself start using the name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from threadloom.errors import InputError
from threadloom.model import DefinitionKind, Protocol

Candidates = Callable[[str], tuple[str, ...]]


def unknown_candidates(name: str) -> tuple[str, ...]:
    return (f"Unknown{name}", f"{name}Unknown", f"Unrecognised{name}", f"{name}FromNewerRelease")


def known_candidates(name: str) -> tuple[str, ...]:
    return (f"Known{name}", f"{name}Known", f"Recognised{name}", f"{name}FromThisRelease")


def pick(candidates: Iterable[str], taken: set[str]) -> str | None:
    return next((candidate for candidate in candidates if candidate not in taken), None)


def helper_names(protocol: Protocol, candidates: Candidates, taken: set[str], *, kinds: tuple[DefinitionKind, ...] = (DefinitionKind.UNION,)) -> dict[str, str]:
    """Open definition of one of `kinds` -> its helper name. `taken` (the schema's names and whatever
    else the target emits) grows by every name handed out."""
    chosen: dict[str, str] = {}
    for name in sorted(protocol.definitions):
        definition = protocol.definitions[name]
        if not (definition.open and definition.kind in kinds):
            continue
        options = candidates(name)
        helper = pick(options, taken)
        if helper is None:
            message = f"every helper name for `{name}` ({', '.join(options)}) is already a definition"
            raise InputError(protocol.source, message, definition.pointer, "rename one of them")
        taken.add(helper)
        chosen[name] = helper
    return chosen
