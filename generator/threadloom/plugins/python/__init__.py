"""Python bindings target: one package per protocol version under bindings/python/threadloom_protocol.

Models come from datamodel-code-generator (see `models.py` for the pre/post-processing); the method
table, typed errors, server stubs and client are emitted from the intermediate model. The
runtime is the separate distribution threadloom-runtime (bindings/runtime/python), so orphan removal never
touches it. Every file is normalised with ruff (import order, then format) so `make lint` passes
and the output is byte-for-byte deterministic for `generate --check`.
"""

from __future__ import annotations

from threadloom.generate import Context, Target, banner
from threadloom.model import Protocol
from threadloom.plugins.python import emit
from threadloom.plugins.python.format import ruff_normalise
from threadloom.plugins.python.models import codegen, postprocess

TARGET = Target(
    name="python",
    description="Python package threadloom-protocol: pydantic models, typed server stubs and client (bindings/python/)",
    owned_dirs=("bindings/python/threadloom_protocol",),
)

PACKAGE = "bindings/python/threadloom_protocol"


def generate(context: Context) -> dict[str, str]:
    files: dict[str, str] = {}
    for protocol in context.protocols:
        files.update(version_files(protocol))
    return {path: ruff_normalise(text, path, context.root) for path, text in files.items()}


def version_files(protocol: Protocol) -> dict[str, str]:
    head = banner("threadloom generate python", "# ")
    folder = f"{PACKAGE}/{protocol.label}"
    return {
        f"{folder}/__init__.py": emit.package_module(protocol, head),
        f"{folder}/models.py": postprocess(protocol, codegen(protocol), head),
        f"{folder}/methods.py": emit.methods_module(protocol, head),
        f"{folder}/errors.py": emit.errors_module(protocol, head),
        f"{folder}/server.py": emit.server_module(protocol, head),
        f"{folder}/client.py": emit.client_module(protocol, head),
    }
