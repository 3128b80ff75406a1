"""The conformance suite (conformance/suite/): a pytest suite any server author can run.

    pytest conformance/suite --server "my-server --stdio" [--transport http]

It holds one test per transcript found in `conformance/transcripts/v<N>/*.jsonl` (replayed and
checked against version N) and, for every client -> server request method of every version, two
schema-driven fuzz tests (valid and invalid params). The data goes to `suite.json`; the test
modules are thin and call `threadloom_conformance.suite_support`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from threadloom.generate import GENERATED_MARKER, Context, Target, banner
from threadloom.model import Direction, Kind, Protocol

TARGET = Target(
    name="conformance",
    description="pytest conformance suite: transcript replay and fuzzing",
    owned_dirs=("conformance/suite",),
    inputs=("protocol", "conformance/transcripts"),
)

COMMAND = "threadloom generate conformance"
SUITE = "conformance/suite"
TRANSCRIPTS = "conformance/transcripts"


def generate(context: Context) -> dict[str, str]:
    transcripts = _transcripts(context.root)
    files = {
        f"{SUITE}/suite.json": _suite_json(context, transcripts),
        f"{SUITE}/conftest.py": _conftest(),
        f"{SUITE}/test_fuzz.py": _test_fuzz(),
    }
    if transcripts:
        files[f"{SUITE}/test_transcripts.py"] = _test_transcripts()
    return files


def _transcripts(root: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted((root / TRANSCRIPTS).glob("v*/*.jsonl")):
        version = path.parent.name[1:]
        if version.isdigit():
            found.append({"version": int(version), "path": path.relative_to(root / "conformance").as_posix()})
    return found


def _suite_json(context: Context, transcripts: list[dict[str, Any]]) -> str:
    versions = {str(p.version): _version_entry(p, context.root) for p in context.protocols}
    data = {
        "_generated": f"{GENERATED_MARKER} -- DO NOT EDIT. Regenerate with: {COMMAND}",
        "protocol": context.protocols[-1].name if context.protocols else "",
        "protocolDir": "../../protocol",
        "versions": versions,
        "transcripts": transcripts,
    }
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def _version_entry(protocol: Protocol, root: Path) -> dict[str, Any]:
    methods = [m.name for m in protocol.methods_by(Direction.CLIENT_TO_SERVER, Kind.REQUEST) if m.name != "initialize"]
    return {"initialize": _handshake_params(protocol, root), "requestMethods": sorted(methods)}


def _handshake_params(protocol: Protocol, root: Path) -> Any:
    """The `initialize` params of the version's first InitializeRequest example (the client a real user would run)."""
    folder = root / "protocol" / protocol.label / "examples" / "InitializeRequest"
    for path in sorted(folder.glob("*.json")):
        return json.loads(path.read_text(encoding="utf-8")).get("params", {})
    return {}


_HEADER = """from __future__ import annotations

import json
from pathlib import Path
"""


def _conftest() -> str:
    return (
        banner(COMMAND, "# ")
        + '''"""Options of the conformance suite: --server "CMD" (required), --transport, --protocol, --fuzz-examples, --var."""

'''
        + _HEADER
        + """
import pytest

from threadloom_conformance.suite_support import SuiteSettings, add_options, settings_from

HERE = Path(__file__).resolve().parent
SUITE = json.loads((HERE / "suite.json").read_text(encoding="utf-8"))


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.fixture(scope="session")
def conformance_settings(request: pytest.FixtureRequest) -> SuiteSettings:
    return settings_from(request.config, (HERE / SUITE["protocolDir"]).resolve())
"""
    )


def _test_fuzz() -> str:
    return (
        banner(COMMAND, "# ")
        + '''"""Schema-driven fuzzing: valid and invalid params of every client -> server request method."""

'''
        + _HEADER
        + """
import pytest

from threadloom_conformance.suite_support import SuiteSettings, fuzz_method

SUITE = json.loads((Path(__file__).resolve().parent / "suite.json").read_text(encoding="utf-8"))
CASES = [
    pytest.param(int(version), method, id=f"v{version}-{method}")
    for version, entry in sorted(SUITE["versions"].items(), key=lambda item: int(item[0]))
    for method in entry["requestMethods"]
]


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
@pytest.mark.parametrize(("version", "method"), CASES)
def test_request_params(version: int, method: str, valid: bool, conformance_settings: SuiteSettings) -> None:
    initialize = SUITE["versions"][str(version)]["initialize"]
    fuzz_method(conformance_settings, version, method, valid, initialize)
"""
    )


def _test_transcripts() -> str:
    return (
        banner(COMMAND, "# ")
        + '''"""One test per recorded transcript: replayed against the server and checked against its version."""

'''
        + _HEADER
        + """
import pytest

from threadloom_conformance.suite_support import SuiteSettings, check_transcript

HERE = Path(__file__).resolve().parent
SUITE = json.loads((HERE / "suite.json").read_text(encoding="utf-8"))
CASES = [pytest.param(HERE.parent / entry["path"], id=entry["path"].removeprefix("transcripts/")) for entry in SUITE["transcripts"]]


@pytest.mark.parametrize("transcript", CASES)
def test_transcript(transcript: Path, conformance_settings: SuiteSettings) -> None:
    check_transcript(transcript, conformance_settings)
"""
    )
