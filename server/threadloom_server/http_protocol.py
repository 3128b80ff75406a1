"""uvicorn's HTTP protocol with the limits an unauthenticated peer must not get past.

Everything here happens before the bearer token is looked at, because an attacker has no token:
- at most `max_connections` connections; more are closed as soon as they are accepted;
- request headers (request line included) of at most `max_header_bytes`, else 431 and close;
- the headers must arrive within `header_timeout` of the request's first byte (or of the connection),
  the body within `body_timeout` of the headers, else the connection is closed (slowloris).
An SSE stream has no body: once its headers are in, only the keep-alive comments flow.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 256
    max_header_bytes: int = 16 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 30.0


HEADERS_TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class GuardedHttpProtocol(HttpToolsProtocol):
    limits = ConnectionLimits()
    _timer: asyncio.TimerHandle | None = None
    _header_bytes = 0
    _in_headers = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        if len(self.connections) > self.limits.max_connections:
            self.transport.close()  # before reading a byte: descriptors stay bounded
            return
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes and self.parser is not None:
                self._refuse_headers(data)
                return
        super().data_received(data)

    def _refuse_headers(self, data: bytes) -> None:
        """Over the limit with the headers still incomplete: parse what fits, else 431."""
        fits = len(data) - (self._header_bytes - self.limits.max_header_bytes)
        if fits > 0:
            super().data_received(data[:fits])
        if self._in_headers and not self.transport.is_closing():
            self.transport.write(HEADERS_TOO_LARGE)
            self.transport.close()
        elif not self._in_headers:
            super().data_received(data[fits:])

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._header_bytes = 0
        if self._timer is None:
            self._arm(self.limits.header_timeout)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._arm(self.limits.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_headers = True  # the next bytes on this connection start the next request's headers
        self._header_bytes = 0
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_slow(self) -> None:
        self._timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


def protocol_with(limits: ConnectionLimits) -> type[GuardedHttpProtocol]:
    """The protocol class uvicorn instantiates per connection, carrying these limits."""
    return type("LimitedHttpProtocol", (GuardedHttpProtocol,), {"limits": limits})
