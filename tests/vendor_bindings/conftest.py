"""Session-scoped generated bindings of the cached real releases (see support.py).

Releases come from the shared cache (~/.cache/threadloom/releases/, fetched on first use by
threadloom_conformance.releases / releases_acp); each is generated once per test session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.vendor_bindings.support import Generated, generate
from threadloom_conformance.releases import codex_export
from threadloom_conformance.releases_acp import acp_package_dir


def _generate(factory: pytest.TempPathFactory, key: str, source: Path, *, typescript: bool = True) -> Generated:
    package = key.replace("-", "_").replace(".", "_")
    return generate(source, factory.mktemp(key) / "out", package, typescript=typescript, key=key)


@pytest.fixture(scope="session")
def codex_171_experimental(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """The largest release we test: 0.171.0 exported with `--experimental`."""
    return _generate(tmp_path_factory, "codex-0.171.0-experimental", codex_export("0.171.0", experimental=True))


@pytest.fixture(scope="session")
def codex_171(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return _generate(tmp_path_factory, "codex-0.171.0", codex_export("0.171.0"))


@pytest.fixture(scope="session")
def codex_old(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    """Bindings of the two older releases, for decoding what 0.171.0 sends (TypeScript for 0.130.0)."""
    return {
        release: _generate(tmp_path_factory, f"codex-{release}", codex_export(release), typescript=release == "0.130.0") for release in ("0.100.0", "0.130.0")
    }


@pytest.fixture(scope="session")
def acp_releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    return {release: _generate(tmp_path_factory, f"acp-{release}", acp_package_dir(release) / "schema") for release in ("0.4.5", "2.4.0")}
