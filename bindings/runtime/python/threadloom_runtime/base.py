"""Building blocks the generated models import (hand-written, kept tiny: it is on the import path).

- `ProtocolModel`: base of every generated object model. Unknown members are kept (`extra="allow"`)
  so a newer peer's fields survive a round trip; closed objects override this with `forbid`.
  `defer_build` keeps import cheap: a model's validator is built on first use. Its default dump is
  the wire format: `model_dump()` / `model_dump_json()` use the wire names and leave out members
  that were never set, so absent stays absent and an explicit null stays null.
- `TaggedModel`: a model with constant members (a union variant's tag, a wire message's `method`):
  the constructor fills them in (`TextUserInput(text="hi")`), they are always dumped, and parsing
  still requires them.
- `UnknownValue`: what an open enum decodes to when the value is newer than these bindings.
- `UnknownVariant`: base of `Unknown<Union>` classes, what an open union decodes to when the tag
  is newer than these bindings; every member of the raw object is kept in `model_extra`.
- `NOT_NULL`: optional members that the schema does not let be null are typed `X | None = None` (so
  they can be left out) and carry this validator so an explicit null is still rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Literal, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetCoreSchemaHandler, RootModel, StrictStr
from pydantic_core import CoreSchema, PydanticUndefined

UNKNOWN_TAG = "__unknown__"


class ProtocolModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)

    def model_dump(self, *, by_alias: bool | None = True, exclude_unset: bool = True, **options: Any) -> dict[str, Any]:
        """The wire form by default (wire names, unset members left out); pydantic's options apply."""
        return super().model_dump(by_alias=by_alias, exclude_unset=exclude_unset, **options)

    def model_dump_json(self, *, by_alias: bool | None = True, exclude_unset: bool = True, **options: Any) -> str:
        """The wire form by default (wire names, unset members left out); pydantic's options apply."""
        return super().model_dump_json(by_alias=by_alias, exclude_unset=exclude_unset, **options)


class TaggedModel(ProtocolModel):
    """A model with constant members (a union variant's tag, a wire message's `method`).

    Constructing it fills them in (`TextUserInput(text="hi")`), so they are set and always dumped;
    parsing still requires them, as the schema does: the defaults are for the constructor only.
    """

    _wire_constants: ClassVar[dict[str, Any] | None] = None

    def __init__(self, /, **data: Any) -> None:
        for key, value in _wire_constants(type(self)).items():
            data.setdefault(key, value)
        super().__init__(**data)

    # Marked as pydantic's own __init__ so validation (model_validate, nested members) never calls it.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """The constants' defaults are the constructor's: in the validator they are required members."""
        schema = handler(source)
        if cls is not TaggedModel:
            _require(schema, _wire_constants(cls))
        return schema


def _require(schema: Any, names: Iterable[str]) -> None:
    while schema.get("type") in ("definitions", "model"):
        schema = schema["schema"]
    fields = schema.get("fields", {}) if schema.get("type") == "model-fields" else {}
    for name in names:
        field = fields.get(name)
        if field is not None and field["schema"].get("type") == "default":
            field["schema"] = field["schema"]["schema"]


def _wire_constants(model: type[BaseModel]) -> dict[str, Any]:
    """Attribute name -> value of the members typed `Literal[<one value>]` with a default (computed once per class)."""
    found = model.__dict__.get("_wire_constants")
    if found is None:
        found = {}
        for name, info in model.model_fields.items():
            if get_origin(info.annotation) is Literal and len(get_args(info.annotation)) == 1 and info.default is not PydanticUndefined:
                found[name] = info.default
        type.__setattr__(model, "_wire_constants", found)
    return found


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
