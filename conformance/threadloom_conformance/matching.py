"""Matching a live server message against the recorded one, and volatile values.

Rules are data (the transcript header's `matchers`), keyed by path (see paths.py). Without a rule
a value must equal the recorded one, except that objects may carry keys the recording did not
have (Pact: be loose in what you accept). Rule kinds:

| match | passes when the actual value |
|---|---|
| `type` | has the recorded value's JSON type; inside objects and arrays the children are compared by type too (unless a more specific rule applies) |
| `integer` | is an integer |
| `regex` | is a string fully matching `regex` |
| `datetime` | is an ISO 8601 string (`format: iso8601`) or non-negative Unix milliseconds (`format: unixMillis`; default: as recorded) |
| `uuid` | is a string in UUID form |
| `arrayContains` | is an array holding, for every recorded element, a distinct element that matches it |
| `any` | is anything |
| `equality` | equals the recorded value exactly, extra object keys included (a strict field) |

Every rule accepts `"optional": true`: the key may be missing.

Volatile values (ids chosen by the server, paths) are declared by path. When a live message is
matched, each volatile path of the recorded message binds the recorded value to the live one; later
recorded messages (both directions) have the recorded value replaced by the live one before they
are sent or compared (strings anywhere, integers only at volatile paths), so a recorded thread id is reused in the next `turn/start`, and every later
mention of it must be the same live id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from threadloom.jsonio import json_type as plain_json_type
from threadloom_conformance.paths import Concrete, PathPattern, get, parse_path, render, walk

MATCH_KINDS = ("type", "integer", "regex", "datetime", "uuid", "arrayContains", "any", "equality")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
MISSING = object()


@dataclass(frozen=True)
class Mismatch:
    path: str
    expected: Any
    actual: Any
    reason: str


@dataclass(frozen=True)
class Rule:
    pattern: PathPattern
    match: str
    options: dict[str, Any]

    @property
    def optional(self) -> bool:
        return bool(self.options.get("optional"))


class RuleError(ValueError):
    pass


def parse_rules(matchers: dict[str, Any]) -> list[Rule]:
    """The header's `matchers` as rules; raises RuleError naming the bad key."""
    rules = []
    for key, spec in matchers.items():
        body = {"match": spec} if isinstance(spec, str) else dict(spec)
        kind = body.pop("match", None)
        if kind not in MATCH_KINDS:
            raise RuleError(f"matcher {key!r}: `match` must be one of {', '.join(MATCH_KINDS)}, not {kind!r}")
        if kind == "regex":
            try:
                re.compile(str(body.get("regex")))
            except re.error as error:
                raise RuleError(f"matcher {key!r}: bad regex ({error})") from None
            if "regex" not in body:
                raise RuleError(f"matcher {key!r}: `regex` is required for match `regex`")
        try:
            pattern = parse_path(key)
        except ValueError as error:
            raise RuleError(f"matcher {key!r}: {error}") from None
        rules.append(Rule(pattern=pattern, match=kind, options=body))
    return rules


@dataclass
class Matcher:
    rules: list[Rule]

    def rule_for(self, path: Concrete, method: str | None) -> Rule | None:
        best: Rule | None = None
        for rule in self.rules:
            if rule.pattern.matches(path, method) and (best is None or rule.pattern.specificity > best.pattern.specificity):
                best = rule
        return best

    def compare(self, expected: Any, actual: Any, method: str | None, path: Concrete = ()) -> list[Mismatch]:
        """Every difference between a recorded value and a live one (empty: they match)."""
        return _Comparison(self, method).value(expected, actual, path, by_type=False)


@dataclass
class _Comparison:
    matcher: Matcher
    method: str | None
    out: list[Mismatch] = field(default_factory=list)

    def value(self, expected: Any, actual: Any, path: Concrete, by_type: bool) -> list[Mismatch]:
        rule = self.matcher.rule_for(path, self.method)
        if rule is not None:
            self._rule(rule, expected, actual, path)
        else:
            self._default(expected, actual, path, by_type)
        return self.out

    def _fail(self, path: Concrete, expected: Any, actual: Any, reason: str) -> None:
        self.out.append(Mismatch(render(path), expected, None if actual is MISSING else actual, reason))

    def _default(self, expected: Any, actual: Any, path: Concrete, by_type: bool) -> None:
        if isinstance(expected, dict):
            if not isinstance(actual, dict):
                self._fail(path, expected, actual, f"expected an object, got {json_type(actual)}")
                return
            for key, child in expected.items():
                self._member(child, actual, (*path, key), by_type)
        elif isinstance(expected, list):
            self._array(expected, actual, path, by_type)
        elif by_type:
            if json_type(expected) != json_type(actual):
                self._fail(path, expected, actual, f"expected a value of type {json_type(expected)}, got {json_type(actual)}")
        elif json_type(expected) != json_type(actual) or expected != actual:
            self._fail(path, expected, actual, "value differs")

    def _member(self, expected: Any, parent: dict[str, Any], path: Concrete, by_type: bool) -> None:
        key = path[-1]
        if key in parent:
            self.value(expected, parent[str(key)], path, by_type)
            return
        rule = self.matcher.rule_for(path, self.method)
        if rule is None or not rule.optional:
            self._fail(path, expected, MISSING, "missing key")

    def _array(self, expected: list[Any], actual: Any, path: Concrete, by_type: bool) -> None:
        if not isinstance(actual, list):
            self._fail(path, expected, actual, f"expected an array, got {json_type(actual)}")
            return
        if by_type:
            # Pact's "each like": every live element has the shape of the first recorded one.
            for index, item in enumerate(actual):
                if expected:
                    self.value(expected[0], item, (*path, index), by_type=True)
            return
        if len(expected) != len(actual):
            self._fail(path, expected, actual, f"expected {len(expected)} element(s), got {len(actual)}")
            return
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            self.value(want, got, (*path, index), by_type)

    def _rule(self, rule: Rule, expected: Any, actual: Any, path: Concrete) -> None:
        kind = rule.match
        if kind == "any":
            return
        if kind == "type":
            self._default(expected, actual, path, by_type=True)
        elif kind == "equality":
            if json_type(expected) != json_type(actual) or expected != actual:
                self._fail(path, expected, actual, "value differs (equality rule: extra keys not allowed)")
        elif kind == "integer":
            if json_type(actual) != "integer":
                self._fail(path, expected, actual, f"expected an integer, got {json_type(actual)}")
        elif kind == "regex":
            if not isinstance(actual, str) or re.fullmatch(rule.options["regex"], actual) is None:
                self._fail(path, expected, actual, f"expected a string matching /{rule.options['regex']}/")
        elif kind == "uuid":
            if not isinstance(actual, str) or UUID_RE.fullmatch(actual) is None:
                self._fail(path, expected, actual, "expected a UUID string")
        elif kind == "datetime":
            self._datetime(rule, expected, actual, path)
        else:
            self._contains(expected, actual, path)

    def _datetime(self, rule: Rule, expected: Any, actual: Any, path: Concrete) -> None:
        fmt = rule.options.get("format") or ("iso8601" if isinstance(expected, str) else "unixMillis")
        if fmt == "unixMillis":
            if json_type(actual) != "integer" or actual < 0:
                self._fail(path, expected, actual, "expected a timestamp in Unix milliseconds (a non-negative integer)")
            return
        if not isinstance(actual, str) or not _is_iso_datetime(actual):
            self._fail(path, expected, actual, "expected an ISO 8601 date-time string")

    def _contains(self, expected: Any, actual: Any, path: Concrete) -> None:
        if not isinstance(expected, list) or not isinstance(actual, list):
            self._fail(path, expected, actual, "arrayContains needs arrays on both sides")
            return
        unused = list(range(len(actual)))
        for index, want in enumerate(expected):
            hit = next((i for i in unused if not _Comparison(self.matcher, self.method).value(want, actual[i], (*path, i), False)), None)
            if hit is None:
                self._fail((*path, index), want, actual, "no element of the live array matches this recorded element")
            else:
                unused.remove(hit)


def _is_iso_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def json_type(value: Any) -> str:
    """`json_type` of the JSON value, or `missing` for an absent member."""
    return "missing" if value is MISSING else plain_json_type(value)


# -- volatile values -------------------------------------------------------------------------


@dataclass
class Volatiles:
    """Recorded value -> live value, filled as server messages are matched."""

    patterns: list[PathPattern]
    bindings: dict[tuple[str, Any], Any] = field(default_factory=dict)

    @classmethod
    def declare(cls, declarations: list[dict[str, Any]]) -> Volatiles:
        return cls([parse_path(d["path"]) for d in declarations])

    def capture(self, recorded: Any, live: Any, method: str | None) -> dict[tuple[str, Any], Any]:
        """New bindings this pair would add (not yet committed)."""
        new: dict[tuple[str, Any], Any] = {}
        for path, value in walk(recorded):
            if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
                continue
            if not any(p.matches(path, method) for p in self.patterns):
                continue
            key = (json_type(value), value)
            found, live_value = get(live, path)
            if found and key not in self.bindings and key not in new:
                new[key] = live_value
        return new

    def commit(self, new: dict[tuple[str, Any], Any]) -> None:
        for key, value in new.items():
            self.bindings.setdefault(key, value)

    def substitute(self, value: Any, extra: dict[tuple[str, Any], Any] | None = None, method: str | None = None) -> Any:
        """`value` with bound recorded values replaced by their live counterparts.

        Strings are replaced wherever they occur (an id is an id, even inside another message);
        integers only at volatile paths, since a bound `1` must not rewrite every other `1`.
        """
        table = {**self.bindings, **(extra or {})}
        if not table:
            return value
        return self._replace(value, table, (), method)

    def _replace(self, value: Any, table: dict[tuple[str, Any], Any], path: Concrete, method: str | None) -> Any:
        if isinstance(value, dict):
            return {k: self._replace(v, table, (*path, k), method) for k, v in value.items()}
        if isinstance(value, list):
            return [self._replace(v, table, (*path, i), method) for i, v in enumerate(value)]
        if isinstance(value, str) or (json_type(value) == "integer" and any(p.matches(path, method) for p in self.patterns)):
            return table.get((json_type(value), value), value)
        return value


def expand_vars(value: Any, variables: dict[str, str]) -> Any:
    """Replace `${name}` inside strings (e.g. `${workspace}`) by the run's values."""
    if not variables:
        return value
    if isinstance(value, str):
        for name, replacement in variables.items():
            value = value.replace("${" + name + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: expand_vars(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_vars(v, variables) for v in value]
    return value
