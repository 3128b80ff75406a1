from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.helpers import record


@pytest.fixture(scope="session")
def v1_transcript(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A v1 session (a plain turn, a turn with an accepted command approval, an error), recorded once."""
    return record(tmp_path_factory.mktemp("rec") / "v1.jsonl", scenario="v1 turns with an approval")


@pytest.fixture(scope="session")
def v2_transcript(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record(tmp_path_factory.mktemp("rec") / "v2.jsonl", texts=("think then run",), version=2, scenario="v2 reasoning and approval")
