"""What the generated pytest suite (conformance/suite/, `threadloom generate conformance`) calls.

The suite itself is thin and generated: its data (`suite.json`: versions, request methods,
handshakes, transcripts) comes from the protocol documents; the behaviour lives here.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

from threadloom_conformance.fuzz import Connection, ConnectionLost, answer_problems, handshake, invalid_params, valid_params
from threadloom_conformance.matching import expand_vars
from threadloom_conformance.protocols import find_version, load_versions
from threadloom_conformance.replay import ReplayOptions, replay_sync
from threadloom_conformance.report import to_text
from threadloom_conformance.transcript import TranscriptError, load

FUZZ_BUDGET_SECONDS = 60.0


@dataclass(frozen=True)
class SuiteSettings:
    server: str
    transport: str
    protocol_dir: Path
    timeout: float
    fuzz_examples: int
    variables: dict[str, str] = field(default_factory=dict)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("threadloom-conformance")
    group.addoption("--server", default=None, help='server command line, e.g. --server "my-server --stdio"')
    group.addoption("--transport", choices=["stdio", "http"], default="stdio", help="how to talk to the server (default stdio)")
    group.addoption("--protocol", default=None, help="the protocol: a folder of versions, a version folder or a document (default: the suite's own)")
    group.addoption("--transcript-timeout", type=float, default=30.0, help="seconds per transcript (default 30)")
    group.addoption("--fuzz-examples", type=int, default=10, help="hypothesis examples per method and validity (default 10)")
    group.addoption("--var", action="append", default=[], metavar="NAME=VALUE", help="value of ${NAME} in transcripts and the server command")


def settings_from(config: pytest.Config, default_protocol: Path) -> SuiteSettings:
    server = config.getoption("server")
    if not server:
        pytest.fail('the conformance suite needs the server to test: pytest <suite> --server "CMD"', pytrace=False)
    variables = dict(pair.partition("=")[::2] for pair in config.getoption("var"))
    protocol = config.getoption("protocol")
    return SuiteSettings(
        server=str(server),
        transport=str(config.getoption("transport")),
        protocol_dir=Path(protocol) if protocol else default_protocol,
        timeout=float(config.getoption("transcript_timeout")),
        fuzz_examples=int(config.getoption("fuzz_examples")),
        variables=variables,
    )


def check_transcript(path: Path, settings: SuiteSettings) -> None:
    """Replay one transcript; fail the test with the text report when anything is off."""
    try:
        transcript = load(path)
    except TranscriptError as error:
        pytest.fail(str(error), pytrace=False)
    options = ReplayOptions(
        server=settings.server,
        transport=settings.transport,
        protocol_dir=settings.protocol_dir,
        timeout=settings.timeout,
        variables=settings.variables,
        jobs=1,
    )
    result = replay_sync([transcript], options)[0]
    if not result.passed:
        pytest.fail(to_text([result]), pytrace=False)


def fuzz_method(settings: SuiteSettings, version: int, method: str, valid: bool, initialize: dict[str, Any]) -> None:
    """Send generated (valid or invalid) params of `method` to one server; check every answer."""
    doc = find_version(load_versions(settings.protocol_dir), str(version), settings.protocol_dir)
    workdir = tempfile.mkdtemp(prefix="threadloom-fuzz-")
    variables = {"tmpdir": workdir, "token": secrets.token_urlsafe(16), **settings.variables}
    connection = Connection(expand_vars(settings.server, variables), settings.transport)
    started = time.monotonic()
    try:
        try:
            handshake(connection, doc, initialize)
        except ConnectionLost as error:
            pytest.fail(f"handshake failed: {error}", pytrace=False)

        @hypothesis_settings(
            max_examples=settings.fuzz_examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: a dead server would make every example "fail"
            suppress_health_check=list(HealthCheck),
        )
        @given(valid_params(doc, method) if valid else invalid_params(doc, method))
        def property_holds(params: Any) -> None:
            if time.monotonic() - started > FUZZ_BUDGET_SECONDS:
                return
            try:
                response = connection.request(method, params)
            except ConnectionLost as error:
                raise AssertionError(f"`{method}` with params {params!r}: {error}") from None
            problems = answer_problems(doc, method, params, response, valid)
            assert not problems, f"`{method}`: " + "\n".join(problems)

        property_holds()
    finally:
        connection.close()
        shutil.rmtree(workdir, ignore_errors=True)
