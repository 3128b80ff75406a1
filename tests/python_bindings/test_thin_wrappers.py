"""The generated server, client and errors modules are thin wrappers over the runtime, yet keep the
public API they had as code of their own: the same signatures, per-version tables, messages and data."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import orjson
import pytest

from tests.hang import HANG_LIMIT
from tests.python_bindings.server_app import ScriptedServer
from tests.python_bindings.support import run
from tests.server.test_in_process import transport_pair
from threadloom_protocol.v1 import client as client1
from threadloom_protocol.v1 import errors as errors1
from threadloom_protocol.v1 import methods as methods1
from threadloom_protocol.v1 import server as server1
from threadloom_protocol.v2 import client as client2
from threadloom_protocol.v2 import errors as errors2
from threadloom_protocol.v2 import methods as methods2
from threadloom_protocol.v2 import models as models2
from threadloom_protocol.v2 import server as server2
from threadloom_runtime.errors import ProtocolError

KEYWORD = inspect.Parameter.KEYWORD_ONLY
POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD


def parameters(function: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("server", [server1, server2])
def test_serving_functions_keep_their_signatures(server: Any) -> None:
    options = [("supported_versions", KEYWORD, None), ("limits", KEYWORD, None)]
    empty = inspect.Parameter.empty
    assert parameters(server.session) == [("handler", POSITIONAL, empty), ("transport", POSITIONAL, empty), *options]
    assert parameters(server.serve) == [("handler", POSITIONAL, empty), ("transport", POSITIONAL, empty), *options]
    assert parameters(server.serve_stdio) == [("handler", POSITIONAL, empty), *options]
    assert inspect.iscoroutinefunction(server.serve) and inspect.iscoroutinefunction(server.serve_stdio)


@pytest.mark.parametrize("client", [client1, client2])
def test_client_entry_points_keep_their_signatures(client: Any) -> None:
    empty = inspect.Parameter.empty
    assert parameters(client.spawn_server) == [("command", POSITIONAL, empty), ("env", KEYWORD, None), ("cwd", KEYWORD, None), ("limits", KEYWORD, None)]
    assert parameters(client.Client) == [("transport", POSITIONAL, empty), ("limits", POSITIONAL, None)]


def test_each_version_binds_its_own_tables() -> None:
    async def scenario() -> None:
        one, two = client1.Client(transport_pair()[0]), client2.Client(transport_pair()[0])
        assert (one.session.protocol, one.session._methods) == (methods1.PROTOCOL, methods1.METHODS)
        assert (two.session.protocol, two.session._methods) == (methods2.PROTOCOL, methods2.METHODS)
        assert one.protocol_version == 1 and two.protocol_version is None  # v1 has no handshake; v2 negotiates
        for server, methods in ((server1, methods1), (server2, methods2)):
            session = server.session(ScriptedServer(), transport_pair()[0])
            assert session.protocol is methods.PROTOCOL and isinstance(session.peer, server.ServerPeer)
            assert session.peer.session is session

    run(scenario())


def test_a_subclass_of_a_generated_client_inherits_its_version() -> None:
    class Mine(client2.Client):
        pass

    async def scenario() -> None:
        async with Mine(transport_pair()[0]) as mine:
            assert isinstance(mine, Mine)
            assert mine.session.protocol is methods2.PROTOCOL

    run(scenario())


def test_a_client_and_a_server_session_talk_through_the_wrappers() -> None:
    async def scenario() -> None:
        client_end, server_end = transport_pair()
        served = asyncio.create_task(server2.serve(ScriptedServer(), server_end))
        async with client2.Client(client_end) as client:
            started = await client.connect(models2.InitializeParams(client_info=models2.ClientInfo(name="t", version="1")))
            assert started.protocol_version == 2 and client.protocol_version == 2
            with pytest.raises(errors2.ThreadNotFound) as raised:
                await client.thread_read(models2.ThreadReadParams(thread_id="missing"))
            assert raised.value.data.thread_id == "missing"  # typed data, parsed with the version's model
        await asyncio.wait_for(served, HANG_LIMIT)  # the server ends when the client closes

    run(scenario())


def test_errors_keep_their_default_messages_codes_and_typed_data() -> None:
    assert (errors2.NotInitialized().code, errors2.NotInitialized().message) == (-32002, "A request other than `initialize` arrived before `initialize`.")
    assert errors2.NotInitialized("later").message == "later" and errors2.NotInitialized("").message == ""
    data = models2.ThreadNotFoundErrorData(thread_id="t1")
    error = errors2.ThreadNotFound(data)
    assert error.CODE == -32010 and error.data is data and error.message == "No thread has that id."
    assert orjson.loads(orjson.dumps(error.to_json())) == {"code": -32010, "message": "No thread has that id.", "data": {"threadId": "t1"}}
    assert errors2.ThreadNotFound(data, "gone").message == "gone"
    versions: set[type[ProtocolError]] = {errors1.NotInitialized, errors2.NotInitialized}
    assert len(versions) == 2  # each version has its own classes
    assert errors2.ERROR_TYPES[-32010] == (errors2.ThreadNotFound, models2.ThreadNotFoundErrorData)
