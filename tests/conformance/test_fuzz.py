from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from tests.conformance.helpers import ROOT
from threadloom_conformance.fuzz import answer_problems, invalid_params, params_schema, request_methods, valid_params
from threadloom_conformance.protocol import ProtocolDoc, load_protocol_doc

V2 = load_protocol_doc(ROOT / "protocol" / "v2")
THREAD = {"id": "t", "createdAt": 1, "updatedAt": 1, "cwd": "/w", "approvalPolicy": "always", "preview": "", "archived": False, "status": "idle"}


def params_validator(doc: ProtocolDoc, method: str) -> Draft202012Validator:
    info = doc.method(method)
    assert info is not None and info.params is not None
    return Draft202012Validator(params_schema(doc, info.params))


def test_request_methods_are_the_client_requests() -> None:
    methods = request_methods(V2)
    assert "thread/fork" in methods and "initialized" not in methods and "item/commandExecution/requestApproval" not in methods


@pytest.mark.parametrize("method", ["thread/read", "turn/start", "thread/list"])
def test_generated_invalid_params_are_invalid_and_valid_ones_valid(method: str) -> None:
    validator = params_validator(V2, method)

    @settings(max_examples=25, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(invalid_params(V2, method), valid_params(V2, method))
    def check(bad: Any, good: Any) -> None:
        assert not validator.is_valid(bad)
        assert validator.is_valid(good)

    check()


def test_answer_property() -> None:
    good = {"jsonrpc": "2.0", "id": 1, "result": {"thread": THREAD}}
    assert answer_problems(V2, "thread/read", {"threadId": "t"}, good, valid=True) == []
    broken = {"jsonrpc": "2.0", "id": 1, "result": {"thread": {**THREAD, "createdAt": "yesterday"}}}
    assert "does not validate: ('result', 'thread', 'createdAt')" in answer_problems(V2, "thread/read", {"threadId": "t"}, broken, valid=True)[0]
    not_found = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32010, "message": "no"}}
    assert answer_problems(V2, "thread/read", {"threadId": "t"}, not_found, valid=True) == []
    internal = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "boom"}}
    assert "-32603" in answer_problems(V2, "thread/read", {"threadId": "t"}, internal, valid=True)[0]
    undocumented = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32012, "message": "turn active"}}
    assert "expected one of" in answer_problems(V2, "thread/read", {"threadId": "t"}, undocumented, valid=True)[0]


def test_invalid_params_need_invalid_params_error() -> None:
    invalid = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "bad", "data": {"path": "/threadId", "reason": "type"}}}
    assert answer_problems(V2, "thread/read", {"threadId": 0}, invalid, valid=False) == []
    accepted = {"jsonrpc": "2.0", "id": 1, "result": {"thread": THREAD}}
    assert "were accepted" in answer_problems(V2, "thread/read", {"threadId": 0}, accepted, valid=False)[0]
    not_found = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32010, "message": "no"}}
    assert answer_problems(V2, "thread/read", {"threadId": 0}, not_found, valid=False) != []
    invalid_request = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32600, "message": "params must be structured"}}
    assert answer_problems(V2, "thread/read", "params", invalid_request, valid=False) == []
    # an experimental method may refuse (ExperimentalApiRequired) before looking at params
    gated = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32020, "message": "opt in first"}}
    assert answer_problems(V2, "thread/loaded/list", {"threadId": 5, "extra": []}, gated, valid=False) == []
    assert answer_problems(V2, "thread/read", {"threadId": 5}, gated, valid=False) != []  # a stable method may not
