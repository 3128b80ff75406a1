"""Lazy models for large protocols: importing the module defines no class until one is used.

Creating a pydantic class costs about 0.4 ms even with `defer_build` (field collection), so a
release with 1,400 models (Codex 0.171.0) spends half a second at import before anything is
decoded. For protocols past `THRESHOLD` definitions, `models.py` is written in two files:

- `models.pyi`: the full module, exactly as it would otherwise be. Type checkers read it (a stub
  next to a module wins), so `mypy --strict` and IDEs see every class as before.
- `models.py`: each top-level statement of that module as source text, keyed by the names it
  defines, with the names each statement refers to. A module `__getattr__` defines on first access
  the name asked for and everything it reaches (bases, members' types, union variants), in the
  original order, in the module's own namespace: classes keep their module and qualified names,
  and pydantic resolves their forward references there when it builds a validator.

So `from .models import ThreadStartParams` pays for `ThreadStartParams` and what it refers to,
not for the other 1,400 classes.
"""

from __future__ import annotations

import ast

THRESHOLD = 300

RUNTIME = '''

def _define(name: str) -> None:
    """Define `name` and every statement it reaches, in source order (bases before subclasses)."""
    with _LOCK:  # two threads asking at once must not define a class twice
        _define_locked(name)


def _define_locked(name: str) -> None:
    wanted: set[int] = set()
    pending = [_STATEMENT[name]]
    while pending:
        index = pending.pop()
        if index not in wanted and index not in _DONE:
            wanted.add(index)
            pending.extend(_NEEDS[index])
    for index in sorted(wanted):
        exec(compile(_SOURCE[index], __file__, "exec"), globals())  # this module's own generated source (see lazy.py)
        _DONE.add(index)


def __getattr__(name: str) -> object:
    if name not in _STATEMENT:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _define(name)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_STATEMENT))
'''


def wanted(definitions: int) -> bool:
    return definitions >= THRESHOLD


def lazy_module(full: str) -> str:
    """The runtime `models.py` for the full (formatted) module source `full`."""
    tree = ast.parse(full)
    body = tree.body
    first = next(i for i, node in enumerate(body) if not isinstance(node, ast.Import | ast.ImportFrom | ast.Expr))
    lines = full.splitlines(keepends=True)
    head = "".join(lines[: body[first].lineno - 1])
    statements = body[first:]
    defined: dict[str, int] = {}
    for index, node in enumerate(statements):
        for name in _defines(node):
            defined.setdefault(name, index)
    sources = [_segment(lines, node) for node in statements]
    needs = [sorted({defined[n] for n in _mentions(node) if n in defined and defined[n] != index}) for index, node in enumerate(statements)]
    # A statement that defines nothing (`X.model_rebuild()`) runs with the first name it mentions.
    for index, node in enumerate(statements):
        if not _defines(node):
            owner = next((defined[n] for n in _mentions(node) if n in defined), None)
            if owner is not None:
                needs[owner].append(index)
    out = [
        head.rstrip("\n"),
        "",
        "import threading as _threading",
        "",
        "# Statement index -> source; name -> the statement defining it; statement -> statements it needs.",
    ]
    out.append("_SOURCE: tuple[str, ...] = (")
    out += [f"    {source!r}," for source in sources]
    out += [")", "_STATEMENT: dict[str, int] = {"]
    out += [f"    {name!r}: {index}," for name, index in defined.items()]
    out += ["}", "_NEEDS: tuple[tuple[int, ...], ...] = ("]
    out += [f"    {tuple(indexes)!r}," for indexes in needs]
    out += [")", "_DONE: set[int] = set()", "_LOCK = _threading.RLock()"]
    return "\n".join(out) + "\n" + RUNTIME


def _defines(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.ClassDef | ast.FunctionDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _mentions(node: ast.stmt) -> list[str]:
    """Every name the statement refers to, string annotations and forward references included."""
    names: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.append(sub.id)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.isidentifier():
            names.append(sub.value)
    return names


def _segment(lines: list[str], node: ast.stmt) -> str:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    assert node.end_lineno is not None
    return "".join(lines[start - 1 : node.end_lineno])
