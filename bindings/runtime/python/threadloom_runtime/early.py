"""Answer a protocol's handshake before the heavy stack (asyncio, pydantic, the models) has loaded.

A stdio server spends most of its start importing (bench/NOTES.md, "Cold start"). `answer_while_loading`
reads the first line of stdin while the stack loads; when that line is the protocol's handshake
request and this module can be *certain* of the answer, it writes the answer at once. Then the full
server takes over: everything read so far goes to its stdio transport (`Handover.already_read`),
the normal session handles the handshake line as usual (negotiation, side effects), and its own
answer to that id is dropped instead of sent twice (`Handover.transport`), after a byte-for-byte
comparison with the early one (a difference is logged as an error: it would be a bug).

Falling back is the rule: anything this module is unsure of (another first message, params the
light validator does not accept, a version that needs downgrading, a schema keyword it does not
know, stdio that is not a pair of pipes) writes nothing early and the full server answers as
always. The light validator only accepts what the generated models accept, never more: it knows a
few JSON Schema keywords and refuses every schema that uses another one.

Only the standard library is imported here (`json`, not orjson, which alone imports dataclasses,
uuid and inspect): this module runs before everything else.
"""

from __future__ import annotations

import json
import math
import os
import select
import stat
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from threadloom_runtime.spec import ProtocolSpec

T = TypeVar("T")
RequestId = int | str
ResultOf = Callable[[int], dict[str, Any]]

_READ = 64 * 1024
_INT_RANGE = (-(2**63), 2**64 - 1)  # what orjson reads as an integer (it reads larger ones as floats)
# While the first line is answered, the loader thread gives up the GIL sooner (the default is 5 ms).
_SWITCH_INTERVAL = 0.0005


class Handover:
    """What the early handshake leaves to the full server: the bytes it read, and the answer it sent."""

    def __init__(self, already_read: bytes = b"", request_id: RequestId | None = None, answer: bytes | None = None) -> None:
        self.already_read = already_read
        self.request_id = request_id
        self.answer = answer  # the message written early (no newline), or None: nothing was

    def transport(self, transport: T) -> T:
        """`transport` itself, or (when an answer went out early) one that drops the server's second answer to it."""
        if self.answer is None:
            return transport
        return _AnsweredOnce(transport, self)  # type: ignore[return-value]


NOTHING_EARLY = Handover()


class _AnsweredOnce:
    """A transport whose first write answering the early-answered request is compared, then dropped.

    After that one write, `write` is the wrapped transport's own bound method: no cost per message."""

    def __init__(self, transport: Any, handover: Handover) -> None:
        self._transport = transport
        self._handover = handover
        self.read: Callable[[], Awaitable[bytes | None]] = transport.read
        self.close: Callable[[], Awaitable[None]] = transport.close
        self.write: Callable[[bytes], Awaitable[None]] = self._write_until_answered

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    async def _write_until_answered(self, data: bytes) -> None:
        if data == self._handover.answer:
            self.write = self._transport.write
            return
        if _answers(data, self._handover.request_id):
            import logging

            logging.getLogger("threadloom_runtime").error(
                "the early answer to the handshake (id %r) differs from the server's; sent %r, the server's was %r",
                self._handover.request_id,
                self._handover.answer,
                data,
            )
            self.write = self._transport.write
            return
        await self._transport.write(data)


def _answers(data: bytes, request_id: RequestId | None) -> bool:
    try:
        message = json.loads(data)
    except ValueError:
        return False
    if not isinstance(message, dict) or "method" in message or not ("result" in message or "error" in message):
        return False
    found = message.get("id")
    return type(found) is type(request_id) and found == request_id


# -- the answer --------------------------------------------------------------------------------------


class EarlyHandshake:
    """The answer to a handshake line, when it can be given without the full stack (else None).

    `result` is the server's own pure function from the negotiated version to the handshake's result
    (the full handler must build its answer with the same function). Data comes from the generated
    `<package>.vN.handshake` module: see `from_module`."""

    def __init__(
        self,
        protocol: ProtocolSpec,
        params_schema: Any,
        result_schema: Any,
        result: ResultOf,
        *,
        experimental: bool = False,
        experimental_fields: Sequence[str] = (),
        supported_versions: Sequence[int] | None = None,
        max_message_bytes: int | None = None,
    ) -> None:
        self.protocol = protocol
        self.params_schema = params_schema
        self.result_schema = result_schema
        self.result = result
        self.experimental = experimental
        self.experimental_fields = tuple(experimental_fields)
        # As `ServerSession` chooses: the versions from 1 to the protocol's own, unless told otherwise.
        self.supported_versions = tuple(sorted(supported_versions or range(1, protocol.version + 1)))
        self.max_message_bytes = max_message_bytes or protocol.max_message_bytes or 8 * 1024 * 1024

    @classmethod
    def from_module(cls, module: Any, result: ResultOf, **options: Any) -> EarlyHandshake:
        """From a generated `vN.handshake` module (PROTOCOL, PARAMS_SCHEMA, RESULT_SCHEMA, EXPERIMENTAL, EXPERIMENTAL_FIELDS)."""
        return cls(
            module.PROTOCOL,
            module.PARAMS_SCHEMA,
            module.RESULT_SCHEMA,
            result,
            experimental=module.EXPERIMENTAL,
            experimental_fields=module.EXPERIMENTAL_FIELDS,
            **options,
        )

    def answer(self, line: bytes) -> tuple[RequestId, bytes] | None:
        """(request id, the answer message without its newline), or None: let the full server answer."""
        handshake = self.protocol.handshake
        if handshake is None or self.params_schema is None or len(line) > self.max_message_bytes:
            return None
        message = _load(line)
        if not isinstance(message, dict) or not self._is_handshake_request(message, handshake.method):
            return None
        params = message.get("params", {})
        if not isinstance(params, dict) or self.experimental or any(field in params for field in self.experimental_fields):
            return None
        if not accepts(self.params_schema, params):
            return None
        chosen = self._chosen_version(params)
        if chosen != self.protocol.version:  # an older peer: its answer is shaped by the full server
            return None
        result = self.result(chosen)
        if handshake.version_chosen is not None:
            handshake.version_chosen.set_default(result, chosen)
        if self.result_schema is None or not accepts(self.result_schema, result):
            return None
        envelope: dict[str, Any] = {"jsonrpc": "2.0"} if self.protocol.framing.jsonrpc_member else {}
        request_id = message["id"]
        return request_id, _dump({**envelope, "id": request_id, "result": in_declared_order(self.result_schema, result)})

    def _is_handshake_request(self, message: dict[str, Any], method: str) -> bool:
        jsonrpc = message.get("jsonrpc", None if self.protocol.framing.jsonrpc_member else "2.0")
        request_id = message.get("id")
        valid_id = isinstance(request_id, str) or (type(request_id) is int)
        return jsonrpc == "2.0" and message.get("method") == method and "id" in message and valid_id

    def _chosen_version(self, params: dict[str, Any]) -> int | None:
        handshake = self.protocol.handshake
        assert handshake is not None
        offer = handshake.version_offer
        if offer is None:
            return self.protocol.version
        offered = offer.get(params) if offer.present(params) else handshake.version_without_offer
        requested = offered if isinstance(offered, list) else [offered]
        return next((v for v in requested if type(v) is int and v in self.supported_versions), None)


def _load(line: bytes) -> Any:
    """JSON as orjson (the full server's parser) would read it, or None where the two could differ."""
    try:
        value = json.loads(line.decode("utf-8"), parse_constant=_refuse)
        return value if _plain(value) else None
    except (ValueError, RecursionError):
        return None


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _plain(value: Any) -> bool:
    """No integer orjson would read as a float, no infinite float, no lone surrogate."""
    if isinstance(value, str):
        return _utf8(value)
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return _INT_RANGE[0] <= value <= _INT_RANGE[1]
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(_utf8(key) and _plain(item) for key, item in value.items())
    return False


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _dump(message: dict[str, Any]) -> bytes:
    """The bytes orjson writes for plain JSON data: compact, UTF-8, nothing escaped that need not be."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def in_declared_order(schema: Any, value: Any) -> Any:
    """`value` with each object's declared members first, in the schema's order, then the others: the
    order in which a generated model dumps them."""
    if isinstance(value, list) and isinstance(schema, dict) and isinstance(schema.get("items"), dict):
        return [in_declared_order(schema["items"], item) for item in value]
    if not isinstance(value, dict) or not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return value
    declared: dict[str, Any] = schema["properties"]
    ordered = {name: in_declared_order(declared[name], value[name]) for name in declared if name in value}
    ordered.update((name, item) for name, item in value.items() if name not in declared)
    return ordered


# -- the light validator --------------------------------------------------------------------------


def accepts(schema: Any, value: Any) -> bool:
    """Does `value` satisfy `schema`? False also for any schema using a keyword not known here."""
    if not isinstance(schema, dict):
        return False
    for keyword, argument in schema.items():
        check = _KEYWORDS.get(keyword)
        if check is None or not check(argument, value, schema):
            return False
    return True


def _is_type(name: str, value: Any) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "integer":  # as the models' StrictInt: no bool, no 1.0
        return type(value) is int
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    return False  # "number" and anything else: the models' float rules are not mirrored here


def _type(argument: Any, value: Any, _: Mapping[str, Any]) -> bool:
    names = argument if isinstance(argument, list) else [argument]
    return any(isinstance(name, str) and _is_type(name, value) for name in names)


def _properties(argument: Any, value: Any, _: Mapping[str, Any]) -> bool:
    if not isinstance(argument, dict):
        return False
    if not isinstance(value, dict):
        return True
    return all(accepts(argument[name], item) for name, item in value.items() if name in argument)


def _required(argument: Any, value: Any, _: Mapping[str, Any]) -> bool:
    if not isinstance(argument, list):
        return False
    return not isinstance(value, dict) or all(name in value for name in argument)


def _additional(argument: Any, value: Any, schema: Mapping[str, Any]) -> bool:
    if not isinstance(value, dict):
        return isinstance(argument, bool | dict)
    declared = schema.get("properties", {})
    extra = [item for name, item in value.items() if name not in declared]
    if argument is True:
        return True
    if argument is False:
        return not extra
    return isinstance(argument, dict) and all(accepts(argument, item) for item in extra)


def _items(argument: Any, value: Any, _: Mapping[str, Any]) -> bool:
    if not isinstance(argument, dict):
        return False
    return not isinstance(value, list) or all(accepts(argument, item) for item in value)


def _unique(argument: Any, value: Any, _: Mapping[str, Any]) -> bool:
    if argument is False or not isinstance(value, list):
        return argument in (True, False)
    # Strings only: JSON's equality of other values (1 and 1.0 and true) is not Python's.
    return all(isinstance(item, str) for item in value) and len(set(value)) == len(value)


def _bound(compare: Callable[[int, int], bool], of: type[Any]) -> Callable[[Any, Any, Mapping[str, Any]], bool]:
    def check(argument: Any, value: Any, _: Mapping[str, Any]) -> bool:
        if type(argument) is not int or (of is int and isinstance(value, float)):
            return False  # a float bound, or a float against an integer bound: not mirrored here
        if not isinstance(value, of) or isinstance(value, bool):
            return True
        measured = value if of is int else len(value)
        return compare(measured, argument)

    return check


def _const(argument: Any, value: Any, _: Mapping[str, Any]) -> bool:
    return _same(argument, value)


def _enum(argument: Any, value: Any, _: Mapping[str, Any]) -> bool:
    return isinstance(argument, list) and any(_same(option, value) for option in argument)


def _any_of(argument: Any, value: Any, _: Mapping[str, Any]) -> bool:
    """A union: the models' unions accept a value one of their members accepts (`X | None` is the usual one)."""
    return isinstance(argument, list) and any(accepts(option, value) for option in argument)


def _same(expected: Any, value: Any) -> bool:
    """Strings, integers, booleans and null only (JSON's equality of the rest is not Python's)."""
    plain = (str, int, bool, type(None))
    return type(expected) is type(value) and isinstance(value, plain) and expected == value


_KEYWORDS: dict[str, Callable[[Any, Any, Mapping[str, Any]], bool]] = {
    "type": _type,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional,
    "items": _items,
    "uniqueItems": _unique,
    "minItems": _bound(lambda n, bound: n >= bound, list),
    "maxItems": _bound(lambda n, bound: n <= bound, list),
    "minLength": _bound(lambda n, bound: n >= bound, str),
    "maxLength": _bound(lambda n, bound: n <= bound, str),
    "minimum": _bound(lambda n, bound: n >= bound, int),
    "maximum": _bound(lambda n, bound: n <= bound, int),
    "const": _const,
    "enum": _enum,
    "anyOf": _any_of,
}


# -- reading stdin while the stack loads ----------------------------------------------------------


def stdio_is_pipes() -> bool:
    """Both stdin and stdout are pipes (or sockets): the only case the early handshake handles
    (on POSIX: it waits for stdin with `select`, which Windows offers for sockets only)."""
    if sys.platform == "win32":
        return False
    try:
        modes = (os.fstat(0).st_mode, os.fstat(1).st_mode)
    except OSError:
        return False
    return all(stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) for mode in modes)


class _Loader(Generic[T]):
    """`load()` in a daemon thread; `done` (a pipe) becomes readable when it has finished."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._value: T | None = None
        self._error: BaseException | None = None
        import threading  # here: when the first line is already there, no thread is started

        self.done, self._signal = os.pipe()
        self._thread = threading.Thread(target=self._run, name="threadloom-early-loader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._load()
        except BaseException as error:  # handed to the main thread, which raises it
            self._error = error
        finally:
            os.write(self._signal, b"x")

    def result(self) -> T:
        self._thread.join()
        os.close(self.done)
        os.close(self._signal)
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def answer_while_loading(load: Callable[[], T], early: Callable[[], EarlyHandshake | None]) -> tuple[T, Handover]:
    """Run `load()` (importing the full server) while reading stdin's first line; answer it early when
    `early()` (called once that line is complete: it may import only light modules) can.

    When the first line is already there, it is answered before loading starts (nothing competes for
    the interpreter); otherwise loading starts at once and the line is answered when it comes.
    Returns what `load()` returned and the `Handover` for the full server's stdio transport."""
    if not stdio_is_pipes():
        return load(), NOTHING_EARLY
    data = bytearray()
    loader: _Loader[T] | None = None
    interval = sys.getswitchinterval()
    try:
        while b"\n" not in data:
            if loader is None and not _readable(0, timeout=0):
                sys.setswitchinterval(_SWITCH_INTERVAL)
                loader = _Loader(load)
            if loader is not None and not _readable(0, also=loader.done):
                break  # loaded before a whole line came: the full server reads the rest
            chunk = os.read(0, _READ)
            if not chunk:
                break
            data += chunk
            if b"\n" not in data and len(data) > 16 * 1024 * 1024:
                break  # no line in sight: nothing to answer early
        handover = _answer_first_line(bytes(data), early)
    finally:
        sys.setswitchinterval(interval)
    loaded = loader.result() if loader is not None else load()
    return loaded, handover


def _readable(fd: int, *, timeout: float | None = None, also: int | None = None) -> bool:
    """Wait for `fd` (or `also`) to be readable; whether `fd` is."""
    watched = [fd] if also is None else [fd, also]
    ready, _, _ = select.select(watched, [], [], timeout)
    return fd in ready


def _answer_first_line(data: bytes, early: Callable[[], EarlyHandshake | None]) -> Handover:
    end = data.find(b"\n")
    try:
        answerer = early() if end >= 0 else None
        found = answerer.answer(data[:end]) if answerer is not None else None
    except Exception as error:  # a bug here must not stop the server: it answers as always
        sys.stderr.write(f"threadloom_runtime.early: no early answer ({type(error).__name__}: {error})\n")
        found = None
    if found is None:
        return Handover(data)
    request_id, answer = found
    _write_all(1, answer + b"\n")
    return Handover(data, request_id, answer)


def _write_all(fd: int, data: bytes) -> None:
    """A failed write (a closed stdout) is left for the full server to meet: it writes there too."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError:
        pass
