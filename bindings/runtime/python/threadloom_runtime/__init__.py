"""The hand-written JSON-RPC runtime shared by every generated protocol version."""

from threadloom_runtime.binding import MethodInfo
from threadloom_runtime.connection import Connection, Limits
from threadloom_runtime.errors import ConnectionClosed, MessageTooLarge, PeerTooOld, ProtocolError
from threadloom_runtime.transport import JsonLinesTransport, SubprocessTransport, Transport, stdio_transport

__all__ = [
    "Connection",
    "ConnectionClosed",
    "JsonLinesTransport",
    "Limits",
    "MessageTooLarge",
    "MethodInfo",
    "PeerTooOld",
    "ProtocolError",
    "SubprocessTransport",
    "Transport",
    "stdio_transport",
]
