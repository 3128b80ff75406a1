"""Building blocks the generated models import (hand-written, kept tiny: it is on the import path).

- `ProtocolModel`: base of every generated object model. Unknown members are kept (`extra="allow"`)
  so a newer peer's fields survive a round trip; closed objects override this with `forbid`.
  `defer_build` keeps import cheap: a model's validator is built on first use.
- `UnknownValue`: what an open enum decodes to when the value is newer than these bindings.
- `UnknownVariant`: base of `Unknown<Union>` classes, what an open union decodes to when the tag
  is newer than these bindings; every member of the raw object is kept in `model_extra`.
- `NOT_NULL`: optional members that the schema does not let be null are typed `X | None = None` (so
  they can be left out) and carry this validator so an explicit null is still rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, StrictStr

UNKNOWN_TAG = "__unknown__"


class ProtocolModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


class UnknownValue(RootModel[StrictStr]):
    """A value of an open enum that these bindings do not know; `root` is the raw string."""

    model_config = ConfigDict(defer_build=True)

    def __str__(self) -> str:
        return self.root


class UnknownVariant(ProtocolModel):
    """A member of an open union whose tag these bindings do not know. The raw members are kept."""

    def raw(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_unset=True)


def _reject_null(value: Any) -> Any:
    if value is None:
        raise ValueError("null is not allowed here; leave the member out instead")
    return value


NOT_NULL = AfterValidator(_reject_null)

# An open enum is validated as `Known | UnknownValue`, trying the known values first.
OPEN_ENUM = Field(union_mode="left_to_right")


def open_tag(field: str, known: frozenset[str]) -> Callable[[Any], str]:
    """Discriminator of an open union: a known tag selects its variant, anything else `UNKNOWN_TAG`."""

    def tag(value: Any) -> str:
        raw = value.get(field) if isinstance(value, dict) else getattr(value, field, None)
        return raw if isinstance(raw, str) and raw in known else UNKNOWN_TAG

    return tag
