"""The protocol-agnostic JSON-RPC runtime that Threadloom-generated Python bindings import.

It knows JSON-RPC 2.0 and nothing of any particular protocol: a generated package hands it a
`ProtocolSpec` (handshake, framing, error codes, limits) and its method tables.
"""

from threadloom_runtime.binding import MethodInfo
from threadloom_runtime.connection import Connection, Limits
from threadloom_runtime.errors import ConnectionClosed, MessageTooLarge, PeerTooOld, ProtocolError
from threadloom_runtime.spec import ErrorCodes, Framing, HandshakeSpec, Member, ProtocolSpec
from threadloom_runtime.transport import JsonLinesTransport, SubprocessTransport, Transport, stdio_transport

__version__ = "0.2.0"

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
