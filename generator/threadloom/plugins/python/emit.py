"""Source of the non-model modules of one version: methods, errors, server stubs, client, package.

Only what differs per version is emitted: tables, and one typed one-line method per protocol method.
What every version shares lives in the runtime (`threadloom_runtime.serving`, `.typed_client`,
`.errors.CodedError`/`DataError`), which the generated modules bind to their version's tables.
"""

from __future__ import annotations

import textwrap
from typing import Any

from threadloom.model import DefinitionKind, Direction, Kind, Method, Protocol
from threadloom.plugins.python.spec import handshake_note
from threadloom.plugins.python.tables import constant_name, python_name, shapes


def docstring(text: str, indent: str = "    ") -> str:
    """A docstring wrapped as a person would write it (one line when it fits)."""
    text = " ".join(text.split()).replace("\\", "\\\\").replace('"""', "'''")
    lines = textwrap.wrap(text, width=150 - len(indent))
    if len(lines) == 1:
        return f'{indent}"""{text}"""\n'
    body = "".join(f"{indent}{line}\n" for line in lines[1:])
    return f'{indent}"""{lines[0]}\n{body}{indent}"""\n'


def _requests(protocol: Protocol, direction: Direction) -> list[Method]:
    return protocol.methods_by(direction, Kind.REQUEST)


def _notifications(protocol: Protocol, direction: Direction) -> list[Method]:
    return protocol.methods_by(direction, Kind.NOTIFICATION)


# Generated modules reach the models as `_models.Name`: one import line instead of a list of every
# params and result model per module, and no clash between a model's name and a name of the module.
MODELS_IMPORT = "from . import models as _models\n"


def _head(banner: str, doc: str, *blocks: str) -> list[str]:
    """The start of a generated module: banner, docstring, then its import blocks (stdlib, runtime, package)."""
    imports = "\n".join(block for block in blocks if block)
    return [banner, f'"""{doc}"""\n\n', "from __future__ import annotations\n\n", imports, "\n\n"]


def _method(signature: str, doc: str, body: str) -> str:
    """One generated method: its `def` line, its docstring and a one-line body."""
    return f"\n    {signature}:\n{docstring(doc, '        ')}        {body}\n"


def _ref(definition: str | None) -> str:
    """The generated expression for a definition's model or type alias (`None` for a notification's result)."""
    return "None" if definition is None else f"_models.{definition}"


def _has_member(protocol: Protocol, definition: str, member: str) -> bool:
    found = protocol.definitions.get(definition)
    return found is not None and found.property(member) is not None


def _all_optional(protocol: Protocol, definition: str) -> bool:
    """Whether the params may be left out: a model with no required member, or a type that admits null."""
    found = protocol.definitions.get(definition)
    if found is None:
        return False
    if not _is_model(protocol, definition):
        return _admits_null(found.schema)
    return not any(p.required for p in found.properties)


def _is_model(protocol: Protocol, definition: str) -> bool:
    """Whether the definition is a model class (a vendor's params or result may be a union, null or anything)."""
    found = protocol.definitions.get(definition)
    return found is not None and found.kind is DefinitionKind.OBJECT and not ("oneOf" in found.schema or "anyOf" in found.schema)


def _admits_null(schema: Any) -> bool:
    if not isinstance(schema, dict) or _is_anything(schema):
        return True
    kinds = schema.get("type")
    options = schema.get("anyOf") or schema.get("oneOf") or []
    return kinds == "null" or (isinstance(kinds, list) and "null" in kinds) or any(_admits_null(o) for o in options if isinstance(o, dict) and "$ref" not in o)


def _is_anything(schema: Any) -> bool:
    return isinstance(schema, dict) and not any(k in schema for k in ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const", "not"))


def _typed_result(protocol: Protocol, result: str, call: str) -> str:
    """`return <call>`: the runtime types the result of a model class; others (a union alias) are cast."""
    found = protocol.definitions.get(result)
    if _is_model(protocol, result) or (found is not None and _is_anything(found.schema)):
        return f"return {call}"
    return f"return cast({_ref(result)}, {call})"


def _default_params(protocol: Protocol, params: str) -> str:
    return f"params or {_ref(params)}()" if _is_model(protocol, params) else "params"


# -- methods.py ------------------------------------------------------------------------------------


def methods_module(protocol: Protocol, banner: str) -> str:
    out = [banner, f'"""Method table of protocol {protocol.label}: one MethodInfo per method, and the downgrade shapes."""\n\n']
    out.append("from __future__ import annotations\n\n")
    out.append("from threadloom_runtime.binding import MethodInfo, ObjectShape, Shape, UnionShape\n")
    out.append(f"\n{MODELS_IMPORT}\n")
    out.append("# What the runtime follows for this protocol (handshake, framing, error codes, limits): plain data in `handshake.py`.\n")
    out.append("from .handshake import PROTOCOL as PROTOCOL\n\n")
    out.append(f"VERSION = {protocol.version}\n\n")
    for method in protocol.methods:
        out.append(_method_info(protocol, method))
    names = ", ".join(constant_name(m) for m in protocol.methods)
    out.append(f"\nMETHODS: dict[str, MethodInfo] = {{info.name: info for info in ({names},)}}\n\n")
    out.append("# Definition -> what to change when writing it for a peer of an older version.\n")
    out.append("SHAPES: dict[str, Shape] = {\n")
    for name, spec in shapes(protocol).items():
        if "union" in spec:
            out.append(f"    {name!r}: UnionShape({spec['union']!r}, {spec['variants']!r}, omit_newer={spec['omit']!r}),\n")
        else:
            out.append(f"    {name!r}: ObjectShape({spec['added']!r}, {spec['children']!r}),\n")
    out.append("}\n")
    return "".join(out)


def _method_info(protocol: Protocol, method: Method) -> str:
    params_def = protocol.definitions.get(method.params)
    experimental = tuple(p.name for p in params_def.properties if p.experimental) if params_def else ()
    fields = [
        f"name={method.name!r}",
        f"python_name={python_name(method.name)!r}",
        f"direction={method.direction.value!r}",
        f"kind={method.kind.value!r}",
        f"params={_ref(method.params)}",
        f"result={_ref(method.result)}",
        f"params_definition={method.params!r}",
        f"result_definition={method.result!r}",
        f"since={method.since}",
        f"stability={method.stability.value!r}",
        f"errors={tuple(method.errors)!r}",
        f"experimental_fields={experimental!r}",
    ]
    return f"{constant_name(method)} = MethodInfo({', '.join(fields)})\n"


# -- errors.py -------------------------------------------------------------------------------------


def errors_module(protocol: Protocol, banner: str) -> str:
    """One small class per error: the runtime's `CodedError`/`DataError[Model]` hold the shared machinery."""
    doc = f"Typed errors of protocol {protocol.label}: raise them from handlers; clients receive them."
    with_data = any(e.data for e in protocol.errors)
    bases = sorted({"DataError" if e.data else "CodedError" for e in protocol.errors} | {"ProtocolError"})
    runtime = f"from threadloom_runtime.errors import {', '.join(bases)}\n"
    out = _head(banner, doc, "from pydantic import BaseModel\n", runtime, MODELS_IMPORT if with_data else "")
    for error in protocol.errors:
        base = f"DataError[{_ref(error.data)}]" if error.data else "CodedError"
        out.append(f"\n\nclass {error.name}({base}):\n")
        out.append(docstring(f"{error.description} (code {error.code})"))
        out.append(f"\n    CODE = {error.code}\n    MESSAGE = {error.description!r}\n")
    out.append("\n\n# code -> (exception class, model of its `data`)\n")
    out.append("ERROR_TYPES: dict[int, tuple[type[ProtocolError], type[BaseModel] | None]] = {\n")
    for error in protocol.errors:
        out.append(f"    {error.code}: ({error.name}, {_ref(error.data)}),\n")
    out.append("}\n")
    return "".join(out)


# -- server.py -------------------------------------------------------------------------------------


def server_module(protocol: Protocol, banner: str) -> str:
    doc = f"Typed server stubs of protocol {protocol.label}: subclass `ServerHandler`, then `serve_stdio(handler)`."
    runtime = "from threadloom_runtime.server import Handler, RequestContext as _RequestContext\nfrom threadloom_runtime.serving import Serving, SessionPeer\n"
    out = _head(banner, doc, "import abc\nfrom collections.abc import Mapping\n", runtime, f"from . import methods as _m\n{MODELS_IMPORT}")
    out.append(_peer_class(protocol))
    out.append("\n\nRequestContext = _RequestContext[ServerPeer]\n\n\n")
    out.append(_handler_class(protocol))
    out.append(_serve_functions(protocol))
    return _with_cast_import("".join(out))


def _peer_class(protocol: Protocol) -> str:
    out = ['class ServerPeer(SessionPeer["ServerPeer"]):\n']
    out.append(docstring("The client of one connection, typed: send notifications and server->client requests."))
    for method in _notifications(protocol, Direction.SERVER_TO_CLIENT):
        newer = f" Not sent to clients older than v{method.since}." if method.since > 1 else ""
        doc = f"`{method.name}`: {method.description}{newer} Skipped when the client opted out."
        signature = f"async def {python_name(method.name)}(self, params: {_ref(method.params)}) -> None"
        out.append(_method(signature, doc, f"await self.session.notify(_m.{constant_name(method)}, params)"))
    for method in _requests(protocol, Direction.SERVER_TO_CLIENT):
        note = " Pass a string `request_id` to choose the id (e.g. to refer to the request later); cancel the awaiting task to abandon it."
        parameters = f"self, params: {_ref(method.params)}, *, request_id: int | str | None = None"
        signature = f"async def {python_name(method.name)}({parameters}) -> {_ref(method.result)}"
        call = f"await self.session.request(_m.{constant_name(method)}, params, {_ref(method.result)}, request_id)"
        out.append(_method(signature, f"`{method.name}`: {method.description}{note}", _typed_result(protocol, method.result or "", call)))
    return "".join(out)


def _handler_class(protocol: Protocol) -> str:
    out = ["class ServerHandler(abc.ABC):\n"]
    out.append(docstring("One async method per client->server method. Raise errors from `.errors`; other exceptions become -32603."))
    for method in _requests(protocol, Direction.CLIENT_TO_SERVER):
        out.append(_handler_method(protocol, method))
    for method in _notifications(protocol, Direction.CLIENT_TO_SERVER):
        signature = f"async def {python_name(method.name)}(self, params: {_ref(method.params)}, ctx: RequestContext) -> None"
        out.append(_method(signature, f"`{method.name}` (notification): {method.description}", "return None"))
    out.append("\n    def handlers(self) -> Mapping[str, Handler]:\n")
    out.append(docstring("Wire method -> bound handler, built once per connection (no per-message lookup by name).", "        "))
    out.append("        return {\n")
    for method in protocol.methods_by(Direction.CLIENT_TO_SERVER):
        out.append(f"            {method.name!r}: self.{python_name(method.name)},\n")
    out.append("        }\n")
    return "".join(out)


def _handler_method(protocol: Protocol, method: Method) -> str:
    signature = f"    async def {python_name(method.name)}(self, params: {_ref(method.params)}, ctx: RequestContext) -> {_ref(method.result)}:\n"
    extra = f" Errors: {', '.join(method.errors)}." if method.errors else ""
    stability = " Experimental." if method.stability.value == "experimental" else ""
    note = handshake_note(protocol, method)
    return f"\n    @abc.abstractmethod\n{signature}{docstring(f'`{method.name}`: {method.description}{extra}{stability}{note}', '        ')}"


def _serve_functions(protocol: Protocol) -> str:
    return """

# `session(handler, transport)`, `serve(handler, transport)` and `serve_stdio(handler)`: the runtime's,
# bound to this version's tables and typed for its handler and peer.
_serving: Serving[ServerHandler, ServerPeer] = Serving(_m.PROTOCOL, _m.METHODS, _m.SHAPES, ServerPeer)
session = _serving.session
serve = _serving.serve
serve_stdio = _serving.serve_stdio
"""


# -- client.py -------------------------------------------------------------------------------------


def client_module(protocol: Protocol, banner: str) -> str:
    doc = f"Typed client of protocol {protocol.label}: one async method per request, typed subscriptions, waiters and handlers of server requests."
    runtime = "from threadloom_runtime.typed_client import Spawning, TypedClient\n"
    package = f"from . import methods as _m\n{MODELS_IMPORT}from .errors import ERROR_TYPES\n"
    out = _head(banner, doc, "from collections.abc import Awaitable, Callable\n", runtime, package)
    out.append(_client_class(protocol))
    out.append(_spawn_function())
    return _with_cast_import("".join(out))


def _with_cast_import(text: str) -> str:
    """Import `typing.cast` where a union result is cast (see `_typed_result`)."""
    if " cast(" not in text:
        return text
    return text.replace("from __future__ import annotations\n\n", "from __future__ import annotations\n\nfrom typing import cast\n\n", 1)


def _client_class(protocol: Protocol) -> str:
    out = ["class Client(TypedClient, protocol=_m.PROTOCOL, methods=_m.METHODS, error_types=ERROR_TYPES):\n"]
    text = "A typed client over any transport (`Client(transport, limits)`, then `async with` or `start()`/`close()`)."
    out.append(docstring(f"{text} Use `spawn_server(command)` to run a server over stdio."))
    out.append(_connect_method(protocol))
    for method in _requests(protocol, Direction.CLIENT_TO_SERVER):
        out.append(_client_request(protocol, method))
    for method in _notifications(protocol, Direction.CLIENT_TO_SERVER):
        default = " | None = None" if _all_optional(protocol, method.params) else ""
        value = _default_params(protocol, method.params) if default else "params"
        signature = f"async def {python_name(method.name)}(self, params: {_ref(method.params)}{default}) -> None"
        doc = f"`{method.name}` (notification): {method.description}"
        out.append(_method(signature, doc, f"await self.session.notify(_m.{constant_name(method)}, {value})"))
    for method in _notifications(protocol, Direction.SERVER_TO_CLIENT):
        out.append(_subscription(method))
    for method in _requests(protocol, Direction.SERVER_TO_CLIENT):
        handler = f"Callable[[{_ref(method.params)}], Awaitable[{_ref(method.result)}]]"
        signature = f"def handle_{python_name(method.name)}(self, handler: {handler}) -> None"
        doc = f"Answer `{method.name}`: {method.description} Without a handler the server gets -32601."
        out.append(_method(signature, doc, f"self.session.set_handler({method.name!r}, handler)"))
    return "".join(out)


def _subscription(method: Method) -> str:
    """`on_<name>(callback)` and `wait_for_<name>(predicate)` for a server->client notification."""
    name, params = python_name(method.name), _ref(method.params)
    signature = f"def on_{name}(self, callback: Callable[[{params}], Awaitable[None] | None]) -> Callable[[], None]"
    doc = f"Subscribe to `{method.name}`: {method.description} Returns an unsubscribe function."
    subscribe = _method(signature, doc, f"return self.session.subscribe({method.name!r}, callback)")
    signature = f"def wait_for_{name}(self, predicate: Callable[[{params}], bool] | None = None) -> Awaitable[{params}]"
    doc = f"The next `{method.name}` whose params satisfy `predicate`. Registered at the call: call it before the request that triggers it, await it after."
    return subscribe + _method(signature, doc, f"return self.session.wait_for({method.name!r}, predicate)")


def _client_request(protocol: Protocol, method: Method) -> str:
    name = python_name(method.name)
    default = " | None = None" if _all_optional(protocol, method.params) else ""
    signature = f"async def {name}(self, params: {_ref(method.params)}{default}) -> {_ref(method.result)}"
    errors = f" Errors: {', '.join(method.errors)}." if method.errors else ""
    value = _default_params(protocol, method.params) if default else "params"
    call = f"await self.session.request(_m.{constant_name(method)}, {value}, {_ref(method.result)})"
    return _method(signature, f"`{method.name}`: {method.description}{errors}", _typed_result(protocol, method.result or "", call))


def _connect_method(protocol: Protocol) -> str:
    handshake = protocol.handshake
    method = protocol.method(handshake.method) if handshake else None
    if handshake is None or method is None or method.result is None:
        doc = docstring("Start reading from the server. This protocol declares no handshake: every method is callable at once.", "        ")
        return f"\n    async def connect(self) -> None:\n{doc}        self.start()\n"
    out = [f"\n    async def connect(self, params: {_ref(method.params)}) -> {_ref(method.result)}:\n"]
    initialized = protocol.method(handshake.initialized) if handshake.initialized else None
    then = f", then send `{initialized.name}`" if initialized else ""
    text = f"Start, and perform the protocol's handshake: `{method.name}` (offering this version unless `params` names one){then}."
    out.append(docstring(text + " Returns the server's answer; `protocol_version` is then the negotiated version.", "        "))
    out.append("        self.start()\n")
    out.append(f"        result = await self.{python_name(method.name)}(params)\n")
    if initialized is not None:
        if _all_optional(protocol, initialized.params):
            out.append(f"        await self.{python_name(initialized.name)}()\n")
        else:
            out.append(f"        # `{initialized.name}` has required params: send it yourself.\n")
    out.append("        return result\n")
    return "".join(out)


def _spawn_function() -> str:
    return """

# `async with spawn_server(command) as client:` the runtime's, typed to yield this version's Client.
spawn_server = Spawning(Client).spawn_server
"""


# -- __init__.py -----------------------------------------------------------------------------------


def package_module(protocol: Protocol, banner: str) -> str:
    return (
        banner
        + f'"""Protocol {protocol.label} bindings.\n\n'
        + "Import the submodule you need -- `models`, `methods`, `errors`, `server`, `client` -- so that\n"
        + "a client never pays for the server stubs and importing the package itself costs nothing.\n"
        + '"""\n\n'
        + f"VERSION = {protocol.version}\n"
    )
