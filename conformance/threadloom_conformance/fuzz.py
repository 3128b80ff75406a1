"""Schema-driven fuzzing of client -> server requests (used by the generated suite).

For a request method, `valid_params` draws params from the method's params schema
(hypothesis-jsonschema) and `invalid_params` breaks such params in ways every validator agrees on
(params that are not an object, a required member removed, a member of the wrong JSON type).
`answer_problems` states the property: a valid request gets a result that validates against the
method's result schema or a documented error of that method (or -32602 when the server rejects a
value on semantic grounds); an invalid one gets -32602; never -32603; and the server stays up.

`Connection` is a blocking client over the same transports as replay, so hypothesis tests can
call it directly.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import assume
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from threadloom_conformance.protocol import ProtocolDoc, ref_to_name
from threadloom_conformance.transport import BadLine, TransportError, make_transport

T = TypeVar("T")
INVALID_PARAMS = -32602
INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603
WRONG_TYPED: tuple[Any, ...] = (0, 1.5, "text", True, None, [], {})
REFUSAL = {"code": -32601, "message": "the fuzzing client answers no requests"}


class ConnectionLost(Exception):
    pass


class Connection:
    """A blocking JSON-RPC client: runs the async transport on a private event loop thread.

    `timeout` detects a hung request once the server has answered once; until then (process start,
    imports on a busy machine) the generous `startup_timeout` applies.
    """

    def __init__(self, command: str, transport: str = "stdio", timeout: float = 10.0, startup_timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.answered = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.transport = make_transport(transport, command)
        self.ids = itertools.count(1)
        self._run(self.transport.start(), startup_timeout)

    def _run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout if timeout is not None else self.timeout)

    def notify(self, method: str, params: Any) -> None:
        self._run(self.transport.send({"jsonrpc": "2.0", "method": method, "params": params}))

    def request(self, method: str, params: Any) -> dict[str, Any]:
        """Send a request and return its response; server requests meanwhile get a -32601 error."""
        request_id = next(self.ids)
        waiting = None
        patience = self.timeout if self.answered else max(self.timeout, self.startup_timeout)
        try:
            self._run(self.transport.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
            waiting = asyncio.run_coroutine_threadsafe(self._response(request_id), self.loop)
            answer = waiting.result(patience)
            self.answered = True
            return answer
        except TimeoutError:
            if waiting is not None:
                waiting.cancel()
            raise ConnectionLost(f"no response to `{method}` within {patience:g}s") from None
        except TransportError as error:
            raise ConnectionLost(f"{error}; exit status {self.transport.exit_status()}{self._stderr()}") from None

    async def _response(self, request_id: int) -> dict[str, Any]:
        while True:
            message = await self.transport.receive()
            if message is None:
                raise ConnectionLost(f"the server exited (status {self.transport.exit_status()}){self._stderr()}")
            if isinstance(message, BadLine):
                raise ConnectionLost(f"the server wrote a line that is {message.reason}: {message.text[:200]}")
            if "method" in message and "id" in message:
                await self.transport.send({"jsonrpc": "2.0", "id": message["id"], "error": REFUSAL})
            elif "method" not in message and message.get("id") == request_id:
                return message

    def _stderr(self) -> str:
        tail = self.transport.stderr_tail().strip()
        return f"; server stderr:\n{tail}" if tail else ""

    def close(self) -> None:
        try:
            self._run(self.transport.close(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


def handshake(connection: Connection, doc: ProtocolDoc, initialize_params: dict[str, Any]) -> None:
    """initialize (+ initialized when the protocol has it); raises ConnectionLost when refused."""
    answer = connection.request("initialize", initialize_params)
    if "result" not in answer:
        raise ConnectionLost(f"initialize was refused: {answer.get('error')}")
    if doc.method("initialized") is not None:
        connection.notify("initialized", {})


def request_methods(doc: ProtocolDoc) -> list[str]:
    return sorted(m.name for m in doc.methods.values() if m.direction == "clientToServer" and m.kind == "request")


def _params_schema(doc: ProtocolDoc, method: str) -> dict[str, Any]:
    info = doc.method(method)
    if info is None or info.params is None:
        return {"type": "object"}
    return params_schema(doc, ref_to_name(info.params))


def params_schema(doc: ProtocolDoc, definition: str) -> dict[str, Any]:
    """A self-contained schema for one definition: the document's definition containers plus a `$ref`."""
    containers: dict[str, Any] = {key: doc.document[key] for key in ("$defs", "definitions") if key in doc.document}
    return {**containers, "$ref": f"#{doc.pointers[definition]}"}


def valid_params(doc: ProtocolDoc, method: str) -> st.SearchStrategy[Any]:
    from hypothesis_jsonschema import from_schema

    return from_schema(_params_schema(doc, method))


def invalid_params(doc: ProtocolDoc, method: str) -> st.SearchStrategy[Any]:
    """Params every JSON Schema validator rejects (checked, not assumed)."""
    schema = _params_schema(doc, method)
    validator = Draft202012Validator(schema)
    not_an_object = st.sampled_from([[], "params", 7, True])

    @st.composite
    def broken(draw: st.DrawFn) -> Any:
        params = draw(valid_params(doc, method))
        assume(isinstance(params, dict) and params)
        key = draw(st.sampled_from(sorted(params)))
        broken_params = _without(params, key) if draw(st.booleans()) else {**params, key: draw(st.sampled_from(WRONG_TYPED))}
        assume(not validator.is_valid(broken_params))
        return broken_params

    return st.one_of(not_an_object, broken())


def _allowed_for_invalid(documented: set[int], stability: str, params: Any) -> set[int]:
    allowed = {INVALID_PARAMS}
    if not isinstance(params, dict):
        allowed.add(INVALID_REQUEST)  # JSON-RPC: params that are not structured make an invalid request
    if stability == "experimental":
        allowed |= documented  # a method gated behind an opt-in may refuse before it looks at params
    return allowed


def _without(params: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k != key}


def answer_problems(doc: ProtocolDoc, method: str, params: Any, response: dict[str, Any], valid: bool) -> list[str]:
    """Why `response` breaks the property (empty: it holds)."""
    info = doc.method(method)
    assert info is not None
    error = response.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        if code == INTERNAL_ERROR:
            return [f"-32603 internal error for params {params!r}: {error.get('message')!r}"]
        documented = set(doc.declared_error_codes(info))
        allowed = documented | {INVALID_PARAMS} if valid else _allowed_for_invalid(documented, info.stability, params)
        if code not in allowed:
            kind = "valid" if valid else "invalid"
            return [f"error {code} for {kind} params {params!r}; expected one of {sorted(allowed)}: {error.get('message')!r}"]
        return []
    if not valid:
        return [f"invalid params {params!r} were accepted (result {response.get('result')!r}); expected error -32602"]
    issues = doc.validate_ref(info.result, response.get("result"), ("result",))
    return [f"result for params {params!r} does not validate: {i.path}: {i.message}" for i in issues if not i.undeclared]
