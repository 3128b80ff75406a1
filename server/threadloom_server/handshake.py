"""What this server answers `initialize` with: one pure function, light to import.

Both the handler (`AppServerHandler.initialize`, through the generated model) and the early
handshake (`threadloom_runtime.early`, before pydantic has loaded) build the answer with
`initialize_result`, so the two agree by construction; the runtime also compares their bytes.
"""

from __future__ import annotations

from typing import Any

from threadloom_server import VERSION

SERVER_NAME = "threadloom-reference"


def server_version() -> str:
    # A constant rather than importlib.metadata: that import alone costs ~11 ms of cold start.
    return VERSION


def initialize_result(protocol_version: int) -> dict[str, Any]:
    """The result of `initialize` on a connection that negotiated `protocol_version` (wire names, in
    the model's member order); the runtime shapes it for older peers."""
    return {"serverInfo": {"name": SERVER_NAME, "version": server_version()}, "protocolVersion": protocol_version}
