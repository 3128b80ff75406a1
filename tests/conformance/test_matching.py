from __future__ import annotations

from typing import Any

import pytest

from threadloom_conformance.matching import Matcher, RuleError, Volatiles, expand_vars, parse_rules
from threadloom_conformance.paths import PathError, parse_path, render


def compare(rules: dict[str, Any], expected: Any, actual: Any, method: str | None = None) -> list[tuple[str, str]]:
    return [(m.path, m.reason) for m in Matcher(parse_rules(rules)).compare(expected, actual, method)]


def test_default_is_equality_with_extra_keys_allowed() -> None:
    assert compare({}, {"a": 1}, {"a": 1, "extra": True}) == []
    assert compare({}, {"a": 1}, {"a": 2}) == [("$.a", "value differs")]
    assert compare({}, {"a": 1, "b": 2}, {"a": 1}) == [("$.b", "missing key")]
    assert compare({}, {"a": [1, 2]}, {"a": [1]}) == [("$.a", "expected 2 element(s), got 1")]


def test_integer_and_boolean_are_different_types() -> None:
    assert compare({}, {"a": 1}, {"a": True}) == [("$.a", "value differs")]
    assert compare({"$.a": "integer"}, {"a": 1}, {"a": 7}) == []
    assert compare({"$.a": "integer"}, {"a": 1}, {"a": True}) == [("$.a", "expected an integer, got boolean")]


def test_type_matcher_cascades_into_children() -> None:
    rules = {"$.thread": "type"}
    assert compare(rules, {"thread": {"id": "a", "n": 1}}, {"thread": {"id": "zz", "n": 5}}) == []
    assert compare(rules, {"thread": {"id": "a"}}, {"thread": {"id": 3}}) == [("$.thread.id", "expected a value of type string, got integer")]
    # each-like: every live element has the shape of the first recorded one
    assert compare({"$.xs": "type"}, {"xs": [{"k": 1}]}, {"xs": [{"k": 2}, {"k": 3}]}) == []
    assert compare({"$.xs": "type"}, {"xs": [{"k": 1}]}, {"xs": [{"k": 2}, {"k": "no"}]}) == [("$.xs[1].k", "expected a value of type integer, got string")]


def test_regex_uuid_datetime_any_equality() -> None:
    assert compare({"$.v": {"match": "regex", "regex": "v[0-9]+"}}, {"v": "v1"}, {"v": "v22"}) == []
    assert compare({"$.v": {"match": "regex", "regex": "v[0-9]+"}}, {"v": "v1"}, {"v": "x"}) == [("$.v", "expected a string matching /v[0-9]+/")]
    assert compare({"$.u": "uuid"}, {"u": "x"}, {"u": "123e4567-e89b-12d3-a456-426614174000"}) == []
    assert compare({"$.u": "uuid"}, {"u": "x"}, {"u": "not-a-uuid"}) == [("$.u", "expected a UUID string")]
    assert compare({"$.t": "datetime"}, {"t": 1}, {"t": 1795502352852}) == []
    assert compare({"$.t": "datetime"}, {"t": 1}, {"t": "2026-01-01"}) == [("$.t", "expected a timestamp in Unix milliseconds (a non-negative integer)")]
    assert compare({"$.t": "datetime"}, {"t": "2025-01-01T00:00:00Z"}, {"t": "2026-11-24T06:30:00+00:00"}) == []
    assert compare({"$.t": "datetime"}, {"t": "2025-01-01T00:00:00Z"}, {"t": "yesterday"}) == [("$.t", "expected an ISO 8601 date-time string")]
    assert compare({"$.x": "any"}, {"x": 1}, {"x": {"anything": []}}) == []
    assert compare({"$.o": "equality"}, {"o": {"a": 1}}, {"o": {"a": 1, "b": 2}}) == [("$.o", "value differs (equality rule: extra keys not allowed)")]


def test_array_contains_ignores_order_and_extra_elements() -> None:
    rules = {"$.xs": "arrayContains"}
    assert compare(rules, {"xs": [{"k": 1}, {"k": 2}]}, {"xs": [{"k": 3}, {"k": 2}, {"k": 1}]}) == []
    assert compare(rules, {"xs": [{"k": 1}, {"k": 1}]}, {"xs": [{"k": 1}]}) == [("$.xs[1]", "no element of the live array matches this recorded element")]


def test_optional_rule_allows_a_missing_key() -> None:
    assert compare({"$.a": {"match": "type", "optional": True}}, {"a": 1}, {}) == []
    assert compare({"$.a": "type"}, {"a": 1}, {}) == [("$.a", "missing key")]


def test_most_specific_path_wins() -> None:
    rules = {"$..id": "any", "$.result.thread.id": {"match": "regex", "regex": "thr_.*"}, "thread/start:$.result.thread.id": "integer"}
    assert compare(rules, {"result": {"thread": {"id": "a"}}}, {"result": {"thread": {"id": "thr_9"}}}, method="thread/read") == []
    assert compare(rules, {"result": {"thread": {"id": "a"}}}, {"result": {"thread": {"id": "x"}}}, method="thread/read") == [
        ("$.result.thread.id", "expected a string matching /thr_.*/")
    ]
    # method-scoped beats everything for that method
    assert compare(rules, {"result": {"thread": {"id": "a"}}}, {"result": {"thread": {"id": "thr_9"}}}, method="thread/start") == [
        ("$.result.thread.id", "expected an integer, got string")
    ]
    # the recursive rule applies elsewhere
    assert compare(rules, {"result": {"item": {"id": "a"}}}, {"result": {"item": {"id": 5}}}) == []


def test_path_syntax() -> None:
    assert parse_path("$.a[*].b").matches(("a", 3, "b"))
    assert not parse_path("$.a[*].b").matches(("a", "k", "b"))
    assert parse_path("$.a.*").matches(("a", "k"))
    assert parse_path("$..id").matches(("params", "item", "id"))
    assert parse_path("$..id").matches(("id",))
    assert parse_path('$["odd.key"][2]').matches(("odd.key", 2))
    assert parse_path("item/started:$.params").method == "item/started"
    assert not parse_path("item/started:$.params").matches(("params",), "item/completed")
    assert render(("result", "data", 0, "odd key")) == '$.result.data[0]["odd key"]'
    with pytest.raises(PathError, match="must start with"):
        parse_path("params.x")
    with pytest.raises(PathError, match="cannot read"):
        parse_path("$.a[x]")


def test_bad_rules_are_rejected_with_the_key() -> None:
    with pytest.raises(RuleError, match=r"'\$\.a'.*must be one of"):
        parse_rules({"$.a": "fuzzy"})
    with pytest.raises(RuleError, match="bad regex"):
        parse_rules({"$.a": {"match": "regex", "regex": "("}})


def test_volatiles_capture_and_substitute() -> None:
    volatiles = Volatiles.declare([{"name": "thread", "path": "$..threadId"}, {"name": "id", "path": "thread/start:$.result.thread.id"}])
    recorded = {"result": {"thread": {"id": "thr_rec"}}}
    live = {"result": {"thread": {"id": "thr_live"}}}
    assert volatiles.capture(recorded, live, "thread/read") == {}  # scoped to thread/start
    new = volatiles.capture(recorded, live, "thread/start")
    assert new == {("string", "thr_rec"): "thr_live"}
    volatiles.commit(new)
    later = {"method": "turn/start", "params": {"threadId": "thr_rec", "input": [{"type": "text", "text": "thr_rec"}]}}
    assert volatiles.substitute(later) == {"method": "turn/start", "params": {"threadId": "thr_live", "input": [{"type": "text", "text": "thr_live"}]}}
    # a value is bound once: a later capture does not rebind it
    assert volatiles.capture({"params": {"threadId": "thr_rec"}}, {"params": {"threadId": "other"}}, None) == {}


def test_expand_vars() -> None:
    assert expand_vars({"cwd": "${workspace}/src", "n": 1}, {"workspace": "/tmp/w"}) == {"cwd": "/tmp/w/src", "n": 1}
