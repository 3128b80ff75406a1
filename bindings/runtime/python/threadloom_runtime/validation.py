"""Turning pydantic validation failures into JSON-RPC -32602 errors with a JSON pointer."""

from __future__ import annotations

import functools
from typing import Any, TypeVar, overload

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from threadloom_runtime import errors
from threadloom_runtime.errors import ProtocolError

ModelT = TypeVar("ModelT", bound=BaseModel)


@overload
def parse(model: type[ModelT], data: Any) -> ModelT: ...
@overload
def parse(model: object, data: Any) -> Any: ...
def parse(model: object, data: Any) -> Any:
    """Validate wire data (camelCase members only) or raise -32602 pointing at the first problem."""
    try:
        return validate(model, data)
    except ValidationError as failure:
        raise invalid_params(failure, data) from None


@overload
def validate(model: type[ModelT], data: Any) -> ModelT: ...
@overload
def validate(model: object, data: Any) -> Any: ...
def validate(model: object, data: Any) -> Any:
    """Validate against a model class, or any other type form a protocol's params or result may have
    (a union alias, `None`, `Any`: vendor schemas use them); raises ValidationError."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        # What `model_validate` calls, without its frames: this runs for every message.
        return model.__pydantic_validator__.validate_python(data, by_alias=True, by_name=False)
    return _adapter(model).validate_python(data, by_alias=True, by_name=False)


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def dump(value: Any) -> Any:
    """The wire form of params or a result: a model's set members by alias, anything else as JSON."""
    if isinstance(value, BaseModel):
        # What `model_dump(by_alias=True, exclude_unset=True)` calls, without its frames.
        return type(value).__pydantic_serializer__.to_python(value, by_alias=True, exclude_unset=True)
    return to_jsonable_python(value, by_alias=True, exclude_none=False)


def invalid_params(failure: ValidationError, data: Any) -> ProtocolError:
    first = failure.errors(include_url=False, include_context=False, include_input=False)[0]
    return ProtocolError(errors.INVALID_PARAMS, "Invalid params", {"path": json_pointer(first["loc"], data), "reason": first["msg"]})


def json_pointer(loc: tuple[int | str, ...], data: Any) -> str:
    """Follow pydantic's error location through the data itself.

    Locations also name union tags and validator labels, which are not in the data: an element
    that is not found is skipped unless it is the last one (then it names a missing member).
    """
    parts: list[str] = []
    current = data
    for position, element in enumerate(loc):
        in_object = isinstance(current, dict) and isinstance(element, str) and element in current
        in_array = isinstance(current, list) and isinstance(element, int) and 0 <= element < len(current)
        if in_object or in_array:
            current = current[element]
        elif position == len(loc) - 1 and isinstance(current, dict):
            current = None
        else:
            continue
        parts.append(str(element).replace("~", "~0").replace("/", "~1"))
    return "".join(f"/{part}" for part in parts)
