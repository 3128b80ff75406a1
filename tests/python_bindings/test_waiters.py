"""`client.wait_for_*()`: registered at the call, awaited later, or never (the request that should
have triggered it failed first) without a "coroutine ... was never awaited" warning at exit."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from tests.hang import HANG_LIMIT
from tests.python_bindings.server_app import ScriptedServer
from tests.python_bindings.support import run
from tests.server.test_in_process import transport_pair
from threadloom_protocol.v2 import client as client2
from threadloom_protocol.v2 import models as models2
from threadloom_protocol.v2 import server as server2
from threadloom_runtime.errors import ConnectionClosed

HELLO = models2.InitializeParams(client_info=models2.ClientInfo(name="t", version="1"))


def test_a_waiter_never_awaited_leaves_no_warning() -> None:
    async def scenario() -> None:
        client_end, server_end = transport_pair()
        served = asyncio.create_task(server2.serve(ScriptedServer(), server_end))
        async with client2.Client(client_end) as client:
            await client.connect(HELLO)
            client.wait_for_turn_completed()  # the user's request failed before they awaited it
        await asyncio.wait_for(served, HANG_LIMIT)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(scenario())
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []


def test_a_waiter_awaited_after_the_connection_closed_raises_connection_closed() -> None:
    async def scenario() -> None:
        client_end, server_end = transport_pair()
        served = asyncio.create_task(server2.serve(ScriptedServer(), server_end))
        async with client2.Client(client_end) as client:
            await client.connect(HELLO)
            waiter = client.wait_for_turn_completed()
        await asyncio.wait_for(served, HANG_LIMIT)
        with pytest.raises(ConnectionClosed, match="turn/completed"):
            await asyncio.wait_for(waiter, HANG_LIMIT)

    run(scenario())
