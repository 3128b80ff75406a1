"""The early handshake's light validator is sound, and its hand-over drops exactly one answer.

Sound: every sample of the shared corpus (bindings/corpus/v2) that the light validator accepts for
the handshake's params or result, the generated pydantic model accepts too. The validator may
refuse more (then the full server answers), never accept more.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from threadloom_protocol.v2 import handshake
from threadloom_protocol.v2 import models as m
from threadloom_protocol.v2.methods import PROTOCOL
from threadloom_runtime.early import Handover, accepts, in_declared_order

from .support import ROOT, run

CORPUS = ROOT / "bindings" / "corpus" / "v2"
SCHEMAS: dict[str, tuple[Any, type[BaseModel]]] = {
    "InitializeParams": (handshake.PARAMS_SCHEMA, m.InitializeParams),
    "InitializeResult": (handshake.RESULT_SCHEMA, m.InitializeResult),
}
SAMPLES = sorted(path for name in SCHEMAS for path in CORPUS.glob(f"{name}-*.json"))


def test_methods_reuses_the_handshake_modules_spec() -> None:
    assert PROTOCOL is handshake.PROTOCOL


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_what_the_light_validator_accepts_the_model_accepts(path: Path) -> None:
    entry = orjson.loads(path.read_bytes())
    schema, model = SCHEMAS[entry["definition"]]
    if not accepts(schema, entry["sample"]):
        return
    try:
        model.model_validate(entry["sample"], by_alias=True, by_name=False)
    except ValidationError as failure:
        pytest.fail(f"the light validator accepts what the model refuses ({entry['case']}): {failure}")


def test_the_light_validator_accepts_every_valid_corpus_sample() -> None:
    """Soundness alone would hold for a validator that refuses everything: on our protocol it must
    also accept what is valid, or the early path would never be taken."""
    valid = [entry for entry in (orjson.loads(path.read_bytes()) for path in SAMPLES) if entry["valid"]]
    assert valid
    assert [entry["case"] for entry in valid if not accepts(SCHEMAS[entry["definition"]][0], entry["sample"])] == []


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        ({"type": "integer"}, True, False),
        ({"type": "integer"}, 2.0, False),
        ({"type": "integer", "minimum": 1}, 0, False),
        ({"minimum": 1}, 0.5, False),
        ({"type": "number"}, 1.5, False),  # not mirrored: refused
        ({"type": "string", "pattern": "a"}, "a", False),  # an unknown keyword: refused
        ({"type": "string", "minLength": 2}, "\U0001f600", False),  # one code point
        ({"type": "array", "uniqueItems": True}, [1, 1.0], False),  # only strings are compared
        ({"type": "array", "uniqueItems": True, "items": {"type": "string"}}, ["a", "b"], True),
        ({"type": "object", "additionalProperties": False, "properties": {"a": {}}}, {"a": 1, "b": 2}, False),
        ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}, {"a": "x", "z": None}, True),
        ({"enum": ["a", 1]}, True, False),
        ({"const": 1}, 1, True),
        ({"anyOf": [{"type": "object", "properties": {"a": {"type": "boolean"}}}, {"type": "null"}]}, None, True),
        ({"anyOf": [{"type": "object", "properties": {"a": {"type": "boolean"}}}, {"type": "null"}]}, {"a": 1}, False),
        ({"oneOf": [{"type": "null"}]}, None, False),  # tagged unions: not mirrored
        (True, 1, False),  # a boolean schema: not mirrored
    ],
)
def test_the_light_validator_on_its_own(schema: Any, value: Any, expected: bool) -> None:
    assert accepts(schema, value) is expected


def test_results_are_put_in_the_models_member_order() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "object", "properties": {"x": {}, "y": {}}}, "b": {}}}
    ordered = in_declared_order(schema, {"extra": 0, "b": 1, "a": {"y": 2, "x": 1}})
    assert orjson.dumps(ordered) == b'{"a":{"x":1,"y":2},"b":1,"extra":0}'


class Recorder:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    async def read(self) -> bytes | None:
        return None

    async def write(self, data: bytes) -> None:
        self.written.append(data)

    async def close(self) -> None:
        pass


def test_the_hand_over_drops_the_second_answer_and_passes_everything_else() -> None:
    early = b'{"jsonrpc":"2.0","id":1,"result":{"a":1}}'
    recorder = Recorder()
    transport = Handover(b"", 1, early).transport(recorder)

    async def scenario() -> None:
        await transport.write(b'{"jsonrpc":"2.0","id":2,"result":{}}')  # another answer first: passed on
        await transport.write(early)  # the same bytes: dropped
        await transport.write(early)  # a second time: passed on (not the handover's business)

    run(scenario())
    assert recorder.written == [b'{"jsonrpc":"2.0","id":2,"result":{}}', early]


def test_a_different_full_answer_is_logged_as_an_error_and_still_not_sent_twice(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder()
    transport = Handover(b"", "x", b'{"jsonrpc":"2.0","id":"x","result":{"a":1}}').transport(recorder)
    with caplog.at_level(logging.ERROR, logger="threadloom_runtime"):
        asyncio.run(transport.write(b'{"jsonrpc":"2.0","id":"x","result":{"a":2}}'))
    assert recorder.written == []
    assert "differs" in caplog.text


def test_without_an_early_answer_the_transport_is_untouched() -> None:
    recorder = Recorder()
    assert Handover(b"abc").transport(recorder) is recorder


def test_a_protocol_without_the_jsonrpc_member_is_answered_without_it() -> None:
    """Codex's framing: no `"jsonrpc"` written, tolerated when read; no version offer: the protocol's own."""
    from threadloom_runtime.early import EarlyHandshake
    from threadloom_runtime.spec import Framing, HandshakeSpec, ProtocolSpec

    spec = ProtocolSpec(name="p", version=1, handshake=HandshakeSpec(method="hello"), framing=Framing(jsonrpc_member=False))
    schema = {"type": "object", "properties": {"name": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}
    early = EarlyHandshake(spec, schema, {"type": "object"}, lambda version: {"v": version})
    assert early.answer(b'{"id":7,"method":"hello","params":{"name":null}}') == (7, b'{"id":7,"result":{"v":1}}')
    assert early.answer(b'{"jsonrpc":"2.0","id":7,"method":"hello","params":{}}') == (7, b'{"id":7,"result":{"v":1}}')
    assert early.answer(b'{"id":7,"method":"hello","params":{"name":1}}') is None
