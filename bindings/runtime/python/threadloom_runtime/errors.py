"""JSON-RPC error codes and the exceptions that carry them."""

from __future__ import annotations

import sys
from typing import Any, ClassVar, Generic, TypeVar

# JSON-RPC 2.0's own codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# The runtime's own conditions, in the range JSON-RPC reserves for implementation-defined server
# errors; a protocol may map them to codes of its error table (`spec.ErrorCodes`).
SERVER_OVERLOADED = -32001
MESSAGE_TOO_LARGE = -32004


class ProtocolError(Exception):
    """An error that is sent to (or was received from) the peer as a JSON-RPC error response.

    Raise it (or a generated subclass from a bindings package's `errors` module) from a
    handler: the peer receives `code`, `message` and `data`. Any other exception becomes -32603
    with a generic message, so internals never leak.
    """

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data.model_dump(by_alias=True, exclude_unset=True) if _is_model(self.data) else self.data
        return error


def _is_model(value: Any) -> bool:
    """A pydantic model? Asked without importing pydantic: this module is on the early handshake's
    path (`threadloom_runtime.early`), and no model can exist before pydantic is loaded."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


DataT = TypeVar("DataT")


class CodedError(ProtocolError):
    """The base of a generated error without `data`: the subclass sets `CODE` and its default `MESSAGE`."""

    CODE: ClassVar[int]
    MESSAGE: ClassVar[str]

    def __init__(self, message: str | None = None) -> None:
        super().__init__(self.CODE, self.MESSAGE if message is None else message)


class DataError(ProtocolError, Generic[DataT]):
    """The base of a generated error whose `data` is a model of the protocol: `DataError[ItsModel]`."""

    CODE: ClassVar[int]
    MESSAGE: ClassVar[str]
    data: DataT

    def __init__(self, data: DataT, message: str | None = None) -> None:
        super().__init__(self.CODE, self.MESSAGE if message is None else message, data)


class ConnectionClosed(Exception):
    """The connection closed (EOF or `close()`) while a request was waiting for its response."""


class PeerTooOld(Exception):
    """A server->client request that the negotiated protocol version does not have."""


class MessageTooLarge(Exception):
    """Raised by a transport's `read()` for a message over its size limit (the message is discarded)."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"message exceeds the {limit_bytes}-byte limit")
        self.limit_bytes = limit_bytes
