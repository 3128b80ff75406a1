"""What a protocol tells the runtime about itself, beyond its method table: plain data, generated.

The runtime knows JSON-RPC and nothing else. Whether a connection opens with a handshake (and
which method, which members offer and choose a version, opt in to experimental methods, opt out
of notifications), which error codes answer which lifecycle situation, what every message carries
on the wire and how large a message may be: all of it comes from a `ProtocolSpec` that generated
code builds from the protocol document (`x-protocol.handshake`, `x-protocol.framing`,
`x-protocol.transports`, `x-errors`). A protocol without a handshake has `handshake=None`: every
method is callable from the first message.

The classes are NamedTuples, not dataclasses: they are defined at import of every generated
package, and a NamedTuple costs a fraction of a dataclass to define (cold start matters).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from threadloom_runtime import errors


class Member(NamedTuple):
    """A member inside the handshake's params or result: a JSON pointer split into its keys, and
    the protocol version that introduced it (a peer of an older version never sends it)."""

    path: tuple[str, ...]
    since: int = 1

    def get(self, data: Any) -> Any:
        for key in self.path:
            if not isinstance(data, dict) or key not in data:
                return None
            data = data[key]
        return data

    def present(self, data: Any) -> bool:
        for key in self.path:
            if not isinstance(data, dict) or key not in data:
                return False
            data = data[key]
        return True

    def set_default(self, data: dict[str, Any], value: Any) -> None:
        """Write `value` at this member unless something is already there (parents are created)."""
        for key in self.path[:-1]:
            child = data.get(key)
            if not isinstance(child, dict):
                child = data[key] = {}
            data = child
        data.setdefault(self.path[-1], value)


class HandshakeSpec(NamedTuple):
    method: str  # the request that opens a connection; other requests before it are refused
    initialized: str | None = None  # the notification the client sends once it has the answer
    version_offer: Member | None = None  # params: versions the client speaks (a list or one integer)
    version_chosen: Member | None = None  # result: the version the server picked
    experimental_opt_in: Member | None = None  # params: `true` enables experimental methods and members
    opt_out_notifications: Member | None = None  # params: notification methods the client does not want
    # What a client that omits the offer speaks: the version before the offer member existed.
    version_without_offer: int = 1
    version_offer_is_list: bool = True  # the offer is a list of versions (else one integer)


class ErrorCodes(NamedTuple):
    """The code the runtime answers with in each situation; the protocol's own error table decides."""

    not_initialized: int = errors.INVALID_REQUEST
    already_initialized: int = errors.INVALID_REQUEST
    unsupported_version: int = errors.INVALID_PARAMS
    experimental_required: int = errors.INVALID_REQUEST
    overloaded: int = errors.SERVER_OVERLOADED
    message_too_large: int = errors.MESSAGE_TOO_LARGE


class Framing(NamedTuple):
    jsonrpc_member: bool = True  # write `"jsonrpc": "2.0"` on every message (and require it on input)
    notification_extras: tuple[str, ...] = ()  # extra top-level members a peer puts on notifications (tolerated)


class ProtocolSpec(NamedTuple):
    name: str
    version: int
    handshake: HandshakeSpec | None = None
    error_codes: ErrorCodes = ErrorCodes()
    framing: Framing = Framing()
    max_message_bytes: int | None = None  # from the stdio transport's `maxMessageBytes`, if declared


NO_PROTOCOL = ProtocolSpec(name="", version=1)
