"""Where replay and record get protocol versions from: the one place that calls the loader.

`--protocol PATH` is a folder of versions (`protocol/` holding `v1/`, `v2/`), one version folder,
or one document, in any source format the loader reads. Everything else in the package works on
the `ProtocolDoc`s this returns, so a new loader (or format adapters) plugs in here alone.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from threadloom.errors import InputError
from threadloom.loader import load_protocols
from threadloom.model import Protocol
from threadloom_conformance.protocol import ProtocolDoc, ProtocolLoadError, from_model


def load_models(path: Path) -> list[Protocol]:
    """Every version PATH holds, oldest first, in any format the loader reads."""
    return load_protocols(path)


@cache
def _load(path: Path) -> tuple[ProtocolDoc, ...]:
    try:
        return tuple(from_model(model) for model in load_models(path))
    except InputError as error:
        raise ProtocolLoadError(str(error)) from None


def load_versions(path: Path) -> list[ProtocolDoc]:
    """The versions at PATH, oldest first; ProtocolLoadError (naming the file) when there are none."""
    return list(_load(path.resolve()))


def find_version(versions: list[ProtocolDoc], wanted: str, where: Path) -> ProtocolDoc:
    """The version named `wanted` (`2`, `v2`, a release such as `0.169.0`)."""
    for doc in versions:
        if doc.named(wanted):
            return doc
    known = ", ".join(doc.identity for doc in versions)
    raise ProtocolLoadError(f"{where}: no version {wanted} (it holds: {known})")
