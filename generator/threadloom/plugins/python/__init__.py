"""Python target: a complete, installable package for any protocol.

`package_files(protocols, package=..., out=...)` returns every file of the distribution: a
pyproject.toml (depending on threadloom-runtime), a README, `<package>/py.typed`, and per version
`<package>/vN/` with models, method tables (and the protocol spec the runtime follows), errors,
typed server stubs and a typed client. Models come from datamodel-code-generator (see
`models.py`); the other modules are emitted from the intermediate model (`emit.py`). Generated
modules import each other relatively, so the package can carry any name. Every file is
normalised with ruff in isolation, so the output is byte-for-byte the same wherever it is written.
Large protocols (Codex: 1,400 models) get lazy models: see `lazy.py`.

This repository's own bindings are the same package, named `threadloom_protocol`, in bindings/python.
"""

from __future__ import annotations

import keyword

from threadloom.errors import InputError
from threadloom.generate import Context, Target, banner
from threadloom.model import Protocol
from threadloom.plugins.python import distribution, emit, lazy
from threadloom.plugins.python.format import ruff_normalise
from threadloom.plugins.python.handshake import handshake_module
from threadloom.plugins.python.models import codegen, postprocess

TARGET = Target(
    name="python",
    description="a Python package: pyproject.toml, pydantic models, method tables, typed server stubs and client",
    owned_dirs=(),  # see owned_dirs(): the package folder, named by the context
)

COMMAND = "threadloom generate python"


def owned_dirs(context: Context) -> tuple[str, ...]:
    return (context.python_package(),)


def generate(context: Context) -> dict[str, str]:
    """The package for `--protocol`/`--out`/`--package`. Option `readme: false` leaves the README to
    the project (our bindings/python/README.md is a hand-written guide tested against the server)."""
    head = context.banner("# ")
    readme_head = context.banner("<!-- ", " -->")
    return package_files(context.protocols, package=context.python_package(), readme=bool(context.options.get("readme", True)), heads=(head, readme_head))


def package_files(protocols: list[Protocol], *, package: str, out: str = "", readme: bool = True, heads: tuple[str, str] | None = None) -> dict[str, str]:
    """Every file of the distribution, keyed by path under `out` ("" for paths relative to the output root)."""
    if not package.isidentifier() or keyword.iskeyword(package):  # `import class.v1` cannot be written
        raise InputError(COMMAND, f"{package!r} is not a Python package name", hint="use letters, digits and underscores, not a keyword, e.g. todo_protocol")
    if not protocols:
        raise InputError(COMMAND, "no protocol version to generate")
    head, readme_head = heads or (banner(COMMAND, "# "), banner(COMMAND, "<!-- ", " -->"))
    files = {
        "pyproject.toml": distribution.pyproject(protocols, package, head),
        f"{package}/__init__.py": distribution.package_module(protocols, package, head),
    }
    if readme:
        files["README.md"] = distribution.readme(protocols, package, readme_head)
    for protocol in protocols:
        files.update({f"{package}/{protocol.label}/{name}": text for name, text in version_modules(protocol, head).items()})
    prefix = f"{out.rstrip('/')}/" if out else ""
    formatted = {f"{prefix}{path}": ruff_normalise(text, path) if path.endswith(".py") else text for path, text in files.items()}
    for protocol in protocols:
        if lazy.wanted(len(protocol.definitions)):
            models = f"{prefix}{package}/{protocol.label}/models.py"
            formatted[models + "i"] = formatted[models]  # the stub type checkers read: the full module
            formatted[models] = lazy.lazy_module(formatted[models])
    formatted[f"{prefix}{package}/py.typed"] = ""
    return formatted


def version_modules(protocol: Protocol, head: str) -> dict[str, str]:
    return {
        "__init__.py": emit.package_module(protocol, head),
        "models.py": postprocess(protocol, codegen(protocol), head),
        "handshake.py": handshake_module(protocol, head),
        "methods.py": emit.methods_module(protocol, head),
        "errors.py": emit.errors_module(protocol, head),
        "server.py": emit.server_module(protocol, head),
        "client.py": emit.client_module(protocol, head),
    }
