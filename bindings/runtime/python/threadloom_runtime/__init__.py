"""The protocol-agnostic JSON-RPC runtime that Threadloom-generated Python bindings import.

It knows JSON-RPC 2.0 and nothing of any particular protocol: a generated package hands it a
`ProtocolSpec` (handshake, framing, error codes, limits) and its method tables.

The names below are loaded on first use, so `import <package>.vN.models` (which needs only
`threadloom_runtime.base`) does not pay for asyncio, the connection and the transports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from threadloom_runtime.binding import MethodInfo
    from threadloom_runtime.connection import Connection, Limits
    from threadloom_runtime.errors import ConnectionClosed, MessageTooLarge, PeerTooOld, ProtocolError
    from threadloom_runtime.spec import ErrorCodes, Framing, HandshakeSpec, Member, ProtocolSpec
    from threadloom_runtime.transport import JsonLinesTransport, SubprocessTransport, Transport, stdio_transport

__version__ = "0.2.0"

_WHERE = {
    "MethodInfo": "binding",
    "Connection": "connection",
    "Limits": "connection",
    "ConnectionClosed": "errors",
    "MessageTooLarge": "errors",
    "PeerTooOld": "errors",
    "ProtocolError": "errors",
    "ErrorCodes": "spec",
    "Framing": "spec",
    "HandshakeSpec": "spec",
    "Member": "spec",
    "ProtocolSpec": "spec",
    "JsonLinesTransport": "transport",
    "SubprocessTransport": "transport",
    "Transport": "transport",
    "stdio_transport": "transport",
}

__all__ = [
    "Connection",
    "ConnectionClosed",
    "ErrorCodes",
    "Framing",
    "HandshakeSpec",
    "JsonLinesTransport",
    "Limits",
    "Member",
    "MessageTooLarge",
    "MethodInfo",
    "PeerTooOld",
    "ProtocolError",
    "ProtocolSpec",
    "SubprocessTransport",
    "Transport",
    "stdio_transport",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'threadloom_runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(f"threadloom_runtime.{module}"), name)
