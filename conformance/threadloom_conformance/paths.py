"""JSON paths for matching rules, volatile declarations and the ordering policy.

Syntax (documented in README.md, "Paths"):

    [METHOD ":"] "$" segment*
    segment := "." name | "[" integer "]" | "[*]" | ".*" | '["' any text '"]' | ".." name | "..*"

`[*]` is any array element, `.*` any object member, `..name` the member `name` at any depth
(zero or more levels down). A `METHOD:` prefix scopes the path to messages of that method; for
a response the method is the one of the request it answers. When several paths match one value
the most specific wins: method-scoped beats unscoped, then more literal segments, then fewer
wildcards, then no recursive descent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

Concrete = tuple[str | int, ...]

_NAME = r"[A-Za-z_$][A-Za-z0-9_\-$]*"
_TOKEN = re.compile(
    rf"""
    (?P<descend_any>\.\.\*)
  | (?P<descend>\.\.(?P<dname>{_NAME}))
  | (?P<any_key>\.\*)
  | (?P<key>\.(?P<kname>{_NAME}))
  | (?P<any_index>\[\*\])
  | (?P<index>\[(?P<inum>\d+)\])
  | (?P<quoted>\["(?P<qname>(?:[^"\\]|\\.)*)"\])
    """,
    re.VERBOSE,
)

# Segment kinds
KEY, INDEX, ANY_KEY, ANY_INDEX, DESCEND = "key", "index", "anyKey", "anyIndex", "descend"


class PathError(ValueError):
    pass


@dataclass(frozen=True)
class PathPattern:
    text: str
    method: str | None
    segments: tuple[tuple[str, str | int | None], ...]

    def matches(self, path: Concrete, method: str | None = None) -> bool:
        if self.method is not None and self.method != method:
            return False
        return _match(self.segments, path)

    @property
    def specificity(self) -> tuple[int, int, int, int]:
        literal = sum(1 for kind, _ in self.segments if kind in (KEY, INDEX))
        wildcards = sum(1 for kind, _ in self.segments if kind in (ANY_KEY, ANY_INDEX))
        descents = sum(1 for kind, _ in self.segments if kind == DESCEND)
        return (1 if self.method else 0, literal, -wildcards, -descents)


@cache
def parse_path(text: str) -> PathPattern:
    """Parse `[METHOD:]$...`; raises PathError naming the offending position."""
    method: str | None = None
    body = text
    split = text.find(":$")
    if split > 0:
        method, body = text[:split], text[split + 1 :]
    if not body.startswith("$"):
        raise PathError(f"path {text!r} must start with `$` (optionally after `METHOD:`)")
    segments: list[tuple[str, str | int | None]] = []
    position = 1
    while position < len(body):
        token = _TOKEN.match(body, position)
        if token is None:
            raise PathError(f"path {text!r}: cannot read {body[position:]!r} (see README, Paths)")
        segments += _segments(token)
        position = token.end()
    return PathPattern(text=text, method=method, segments=tuple(segments))


def _segments(token: re.Match[str]) -> list[tuple[str, str | int | None]]:
    if token.group("descend_any"):
        return [(DESCEND, None), (ANY_KEY, None)]
    if token.group("descend"):
        return [(DESCEND, None), (KEY, token.group("dname"))]
    if token.group("any_key"):
        return [(ANY_KEY, None)]
    if token.group("key"):
        return [(KEY, token.group("kname"))]
    if token.group("any_index"):
        return [(ANY_INDEX, None)]
    if token.group("index"):
        return [(INDEX, int(token.group("inum")))]
    return [(KEY, re.sub(r"\\(.)", r"\1", token.group("qname")))]


def _match(segments: tuple[tuple[str, str | int | None], ...], path: Concrete) -> bool:
    if not segments:
        return not path
    kind, value = segments[0]
    if kind == DESCEND:
        return any(_match(segments[1:], path[skip:]) for skip in range(len(path) + 1))
    if not path:
        return False
    head = path[0]
    if kind == KEY:
        ok = isinstance(head, str) and head == value
    elif kind == INDEX:
        ok = isinstance(head, int) and head == value
    elif kind == ANY_KEY:
        ok = isinstance(head, str)
    else:
        ok = isinstance(head, int)
    return ok and _match(segments[1:], path[1:])


def render(path: Concrete) -> str:
    """A concrete path as text: `$.result.threads[0].id`."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(_NAME, part):
            out += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            out += f'["{escaped}"]'
    return out


def get(value: object, path: Concrete) -> tuple[bool, object]:
    """(found, value at path)."""
    for part in path:
        if isinstance(part, int) and isinstance(value, list) and 0 <= part < len(value):
            value = value[part]
            continue
        if isinstance(part, str) and isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return False, None
    return True, value


def walk(value: object, prefix: Concrete = ()) -> list[tuple[Concrete, object]]:
    """Every (path, value) in a JSON value, the value itself first."""
    found: list[tuple[Concrete, object]] = [(prefix, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found += walk(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += walk(child, (*prefix, index))
    return found
