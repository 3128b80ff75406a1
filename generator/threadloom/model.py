"""The intermediate model: what every plugin, the linter and the diff work on.

A loader (one per source format, see `generator/threadloom/formats/`) turns a schema document into a
`Protocol`. Nothing downstream reads format-specific keywords; everything it needs is an explicit
field here. The raw JSON Schema is kept too (`Protocol.document`) because validators and
datamodel-code-generator consume JSON Schema directly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadloom.findings import Finding

JSON = Any


class Direction(enum.StrEnum):
    CLIENT_TO_SERVER = "clientToServer"
    SERVER_TO_CLIENT = "serverToClient"


class Kind(enum.StrEnum):
    REQUEST = "request"
    NOTIFICATION = "notification"


class Stability(enum.StrEnum):
    STABLE = "stable"
    EXPERIMENTAL = "experimental"
    DEPRECATED = "deprecated"


class DefinitionKind(enum.StrEnum):
    OBJECT = "object"
    UNION = "union"  # a tagged oneOf
    ENUM = "enum"
    ENVELOPE_UNION = "envelopeUnion"  # anyOf of JSON-RPC message shapes (ClientMessage, ...)
    ALIAS = "alias"  # anything else: a named scalar, array or map


@dataclass(frozen=True)
class Deprecation:
    replacement: str | None
    remove_in: int | None
    since: int | None = None


@dataclass(frozen=True)
class Property:
    name: str
    schema: JSON
    required: bool
    description: str
    since: int
    experimental: bool = False
    deprecation: Deprecation | None = None

    @property
    def nullable(self) -> bool:
        return schema_allows_null(self.schema)


@dataclass(frozen=True)
class Variant:
    tag: str
    definition: str  # name of the $defs entry


@dataclass(frozen=True)
class Definition:
    name: str
    kind: DefinitionKind
    schema: JSON
    description: str
    since: int
    pointer: str  # JSON pointer of the definition inside its document
    properties: tuple[Property, ...] = ()
    closed: bool = False  # objects: additionalProperties false
    variants: tuple[Variant, ...] = ()  # unions
    discriminator: str | None = None  # unions
    values: tuple[str, ...] = ()  # enums
    open: bool | None = None  # unions and enums: must clients tolerate unknown members?
    downgrade: str | None = None  # unions: what a server does with a variant newer than the peer

    def property(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)


@dataclass(frozen=True)
class Method:
    name: str
    direction: Direction
    kind: Kind
    params: str  # definition name
    result: str | None  # definition name, requests only
    errors: tuple[str, ...]  # error names from the error table
    since: int
    stability: Stability
    area: str
    description: str
    deprecation: Deprecation | None = None
    pointer: str = ""  # JSON pointer of the method entry

    @property
    def is_request(self) -> bool:
        return self.kind is Kind.REQUEST


@dataclass(frozen=True)
class ErrorCode:
    code: int
    name: str
    description: str
    data: str | None  # definition name of the typed `data`
    since: int


@dataclass(frozen=True)
class Framing:
    """What every message carries on the wire besides the JSON-RPC shapes; runtimes and validators
    follow it instead of assuming JSON-RPC 2.0 to the letter (Codex omits `"jsonrpc"`)."""

    jsonrpc_member: bool = True  # every message carries `"jsonrpc": "2.0"`
    notification_extras: tuple[str, ...] = ()  # extra top-level members on notifications (Codex: `emittedAtMs`)


@dataclass(frozen=True)
class Handshake:
    """The protocol's opening exchange, declared in the document (`x-protocol.handshake`).

    Pointers are JSON pointers into the handshake request's params or result. Every field but
    `method` is optional: a protocol may have a handshake without version negotiation, and a
    protocol without any handshake has `Protocol.handshake = None`.
    """

    method: str  # the request that opens a connection (requests before it are refused)
    initialized: str | None = None  # the notification the client sends once it has the answer
    version_offer: str | None = None  # params: the list of versions the client speaks
    version_chosen: str | None = None  # result: the version the server picked
    experimental_opt_in: str | None = None  # params: boolean enabling experimental methods and fields
    opt_out_notifications: str | None = None  # params: notification methods the client does not want
    # error-table names the runtime answers with: notInitialized, alreadyInitialized,
    # unsupportedVersion, experimentalRequired (each optional; standard codes otherwise)
    errors: tuple[tuple[str, str], ...] = ()

    def error(self, situation: str) -> str | None:
        return dict(self.errors).get(situation)


@dataclass
class Protocol:
    name: str
    version: int
    document: JSON
    source: Path
    methods: tuple[Method, ...]
    errors: tuple[ErrorCode, ...]
    definitions: dict[str, Definition]
    messages: dict[Direction, str]  # direction -> envelope union definition name
    transports: JSON = field(default_factory=dict)
    # A release's identity as its owners name it ("2" for our v2, "0.169.0" for a Codex export,
    # "2.4.0" for an ACP package); `version` stays the ordinal that `since` fields count in.
    release: str = ""
    format: str = "threadloom"  # the source format module that produced this model
    framing: Framing = field(default_factory=Framing)
    handshake: Handshake | None = None
    # How a method is bound to its types. None: by method-tagged wire-message unions
    # (`ClientRequest`, ..., Threadloom and Codex). A keyword (ACP: "x-method"): each params and
    # result definition names its method itself, and the vendor's own envelopes are not tagged.
    method_key: str | None = None
    # What an adapter could not map faithfully (e.g. a result type guessed or unknown): `check`
    # reports these as findings.
    notes: tuple[Finding, ...] = ()

    def method(self, name: str) -> Method | None:
        return next((m for m in self.methods if m.name == name), None)

    def methods_by(self, direction: Direction, kind: Kind | None = None) -> list[Method]:
        return [m for m in self.methods if m.direction is direction and (kind is None or m.kind is kind)]

    def error(self, name: str) -> ErrorCode | None:
        return next((e for e in self.errors if e.name == name), None)

    @property
    def label(self) -> str:
        return f"v{self.version}"

    @property
    def identity(self) -> str:
        return self.release or str(self.version)

    @property
    def examples_dir(self) -> Path:
        """`examples/<Definition>/*.json` beside the version's document (it may not exist)."""
        return self.source.parent / "examples"


def schema_allows_null(schema: JSON) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(schema_allows_null(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def ref_name(ref: str) -> str:
    """`#/$defs/Thread` -> `Thread`."""
    return ref.rsplit("/", 1)[-1]


def envelope_name(protocol: Protocol, method: Method) -> str | None:
    """The wire-message definition (e.g. `ThreadStartRequest`) that carries a method."""
    for definition in protocol.definitions.values():
        if definition.kind is DefinitionKind.UNION and definition.discriminator == "method":
            for variant in definition.variants:
                if variant.tag == method.name:
                    return variant.definition
    return None
