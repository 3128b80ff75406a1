"""The generated models agree with jsonschema on every corpus sample, and valid samples round-trip."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from tests.python_bindings.support import ROOT, validator

CORPUS = sorted((ROOT / "bindings" / "corpus").glob("v*/*.json"))
EXAMPLES = sorted((ROOT / "protocol").glob("v*/examples/*/*.json"))


def _model(version: str, definition: str) -> type[BaseModel]:
    model = getattr(importlib.import_module(f"threadloom_protocol.{version}.models"), definition)
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model


def _entry(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(path.read_bytes())
    return loaded


def test_the_corpus_has_valid_and_invalid_samples_for_both_versions() -> None:
    verdicts = {(path.parent.name, _entry(path)["valid"]) for path in CORPUS}
    assert verdicts == {("v1", True), ("v1", False), ("v2", True), ("v2", False)}


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_parse_succeeds_exactly_when_jsonschema_says_valid(path: Path) -> None:
    entry = _entry(path)
    version, definition, sample = path.parent.name, entry["definition"], entry["sample"]
    expected = validator(int(version[1:]), definition).is_valid(sample)
    assert entry["valid"] is expected, "the corpus label disagrees with jsonschema: regenerate the corpus"
    try:
        parsed = _model(version, definition).model_validate(sample, by_alias=True, by_name=False)
    except ValidationError:
        assert not expected, f"valid sample rejected ({entry['case']})"
        return
    assert expected, f"invalid sample accepted ({entry['case']})"
    assert parsed.model_dump(by_alias=True, exclude_unset=True) == sample


def test_every_protocol_version_has_examples() -> None:
    assert {path.parts[-4] for path in EXAMPLES} == {"v1", "v2"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: "/".join(p.parts[-4:]))
def test_protocol_example_round_trips_byte_for_byte_after_key_sorting(path: Path) -> None:
    version, definition = path.parts[-4], path.parent.name
    sample = orjson.loads(path.read_bytes())
    parsed = _model(version, definition).model_validate(sample, by_alias=True, by_name=False)
    dumped = parsed.model_dump(by_alias=True, exclude_unset=True)
    assert orjson.dumps(dumped, option=orjson.OPT_SORT_KEYS) == orjson.dumps(sample, option=orjson.OPT_SORT_KEYS)
