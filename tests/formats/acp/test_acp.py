"""The ACP adapter, one test per mapping rule, on small fixtures written for them (fixtures/)."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from threadloom.errors import InputError
from threadloom.formats import FORMATS, acp
from threadloom.model import DefinitionKind, Direction, Kind, Protocol, Stability

FIXTURES = Path(__file__).parent / "fixtures"


def load_one(name: str) -> Protocol:
    protocols = acp.load(FIXTURES / name)
    assert len(protocols) == 1
    return protocols[0]


def method_table(protocol: Protocol) -> set[tuple[str, str, str, str, str | None]]:
    return {(m.name, m.direction.value, m.kind.value, m.params, m.result) for m in protocol.methods}


def test_registered_and_recognised() -> None:
    assert acp in FORMATS and acp.NAME == "acp"
    for source in (
        "v0-single",
        "v0-single/schema.json",
        "package-2x",
        "package-2x/schema",
        "package-2x/schema/v2/schema.json",
        "package-trap",
        "sdist",
        "shapes",
    ):
        assert acp.recognises(FIXTURES / source), source
    for other in ("bad/not-acp", "bad/empty-dir", "nowhere"):
        assert not acp.recognises(FIXTURES / other), other
    assert not acp.recognises(Path(__file__).parents[3] / "protocol" / "v2")  # Threadloom's own format
    assert not acp.recognises({"$defs": {}})  # the old loader passes documents: never ours


def test_methods_from_x_method_and_envelopes_by_sender() -> None:
    """The agent is the server: client -> agent requests are clientToServer; the client serves fs/*."""
    protocol = load_one("v0-single")
    assert method_table(protocol) == {
        ("initialize", "clientToServer", "request", "InitializeRequest", "InitializeResponse"),
        ("session/prompt", "clientToServer", "request", "PromptRequest", "PromptResponse"),
        ("session/set_model", "clientToServer", "request", "SetSessionModelRequest", "SetSessionModelResponse"),
        ("session/cancel", "clientToServer", "notification", "CancelNotification", None),
        ("fs/read_text_file", "serverToClient", "request", "ReadTextFileRequest", "ReadTextFileResponse"),
        ("session/update", "serverToClient", "notification", "SessionNotification", None),
    }
    assert protocol.method("fs/read_text_file").area == "fs"  # type: ignore[union-attr]
    assert protocol.definitions["ClientRequest"].kind is DefinitionKind.ENVELOPE_UNION


def test_root_is_not_read() -> None:
    """The fixture's root swaps the envelope titles (as sdk 0.4.5 does); nothing depends on it."""
    protocol = load_one("v0-single")
    assert protocol.method("fs/read_text_file").direction is Direction.SERVER_TO_CLIENT  # type: ignore[union-attr]
    assert "anyOf" not in protocol.document


def test_protocol_level_method_from_the_root_only() -> None:
    """`$/cancel_request` (x-side protocol) sits in no envelope: a notification, noted as both ways."""
    protocol = acp.load(FIXTURES / "package-2x")[0]
    method = protocol.method("$/cancel_request")
    assert method is not None and method.kind is Kind.NOTIFICATION and method.direction is Direction.CLIENT_TO_SERVER
    assert any(n.rule == "acp-both-directions" for n in protocol.notes)


def test_package_2x_has_two_versions_and_release() -> None:
    v1, v2 = acp.load(FIXTURES / "package-2x")
    assert (v1.version, v2.version) == (1, 2)
    assert v1.release == v2.release == "2.9.9"
    assert v1.identity == "2.9.9" and v1.format == "acp"
    assert [p.version for p in acp.load(FIXTURES / "package-2x" / "schema" / "v2")] == [2]


def test_unstable_is_only_in_the_unstable_file() -> None:
    v1 = acp.load(FIXTURES / "package-2x")[0]
    assert v1.method("session/fork").stability is Stability.EXPERIMENTAL  # type: ignore[union-attr]
    assert v1.method("session/prompt").stability is Stability.STABLE  # type: ignore[union-attr]
    assert v1.definitions["PromptResponse"].property("usage").experimental  # type: ignore[union-attr]
    assert not v1.definitions["PromptResponse"].property("stopReason").experimental  # type: ignore[union-attr]
    assert v1.document["$defs"]["AudioContent"]["x-experimental"] is True
    assert v1.document["$defs"]["ContentBlockAudio"]["x-experimental"] is True  # a variant only the unstable file has


def test_unstable_markers_when_there_is_one_file() -> None:
    protocol = load_one("v0-single")
    assert protocol.method("session/set_model").stability is Stability.EXPERIMENTAL  # type: ignore[union-attr]
    assert protocol.method("initialize").stability is Stability.STABLE  # type: ignore[union-attr]
    assert protocol.definitions["InitializeResponse"].property("modes").experimental  # type: ignore[union-attr]


def test_trap_release_ships_the_unstable_schema_as_schema_json() -> None:
    """0.7-1.9: `schema/schema.json` is the unstable v1 file; markers decide, and a note says so."""
    protocol = load_one("package-trap")
    assert protocol.release == "1.5.0"
    assert protocol.method("session/fork").stability is Stability.EXPERIMENTAL  # type: ignore[union-attr]
    assert protocol.method("session/prompt").stability is Stability.STABLE  # type: ignore[union-attr]
    assert any(n.rule == "acp-unstable-only" for n in protocol.notes)


def test_lone_unstable_file_is_all_experimental(tmp_path: Path) -> None:
    folder = tmp_path / "v2"
    folder.mkdir()
    shutil.copy(FIXTURES / "package-2x/schema/v2/schema.json", folder / "schema.unstable.json")
    protocol = acp.load(folder)[0]
    assert {m.stability for m in protocol.methods} == {Stability.EXPERIMENTAL}


def test_meta_json_and_sdist_release() -> None:
    protocol = load_one("sdist")
    assert (protocol.version, protocol.release) == (1, "0.4.2")


def test_inline_tagged_union_lifted_to_named_variants() -> None:
    protocol = load_one("v0-single")
    union = protocol.definitions["ContentBlock"]
    assert union.kind is DefinitionKind.UNION and union.discriminator == "type" and union.open is False
    assert [(v.tag, v.definition) for v in union.variants] == [("text", "ContentBlockText"), ("image", "ContentBlockImage")]
    assert protocol.definitions["SessionUpdate"].variants[0].definition == "SessionUpdateAgentMessageChunk"
    assert "_meta" in protocol.definitions["ContentBlockText"].schema["properties"]


def test_wrapper_variants_flattened_to_the_same_names() -> None:
    """`{type: const, allOf: [$ref TextContent]}` (2.x) lifts to the same `ContentBlockText` as 0.x's inline variant."""
    v1 = acp.load(FIXTURES / "package-2x")[0]
    text = v1.document["$defs"]["ContentBlockText"]
    assert text["properties"]["type"]["const"] == "text" and "text" in text["properties"]
    assert text["required"] == ["type", "text"]
    assert [v.tag for v in v1.definitions["ContentBlock"].variants] == ["text", "image", "audio"]


def test_v2_catch_all_makes_an_open_union_and_enum() -> None:
    v2 = acp.load(FIXTURES / "package-2x")[1]
    union = v2.definitions["ContentBlock"]
    assert union.open is True and [v.tag for v in union.variants] == ["text", "image"]  # `other` is no variant
    enum = v2.definitions["StopReason"]
    assert enum.kind is DefinitionKind.ENUM and enum.values == ("end_turn", "cancelled") and enum.open is True


def test_string_enum_from_one_of_consts() -> None:
    enum = load_one("v0-single").definitions["StopReason"]
    assert enum.kind is DefinitionKind.ENUM and enum.values == ("end_turn", "cancelled") and enum.open is False


def test_cosmetic_spellings_normalised() -> None:
    """`allOf: [$ref]` == `$ref`; ACP's own `discriminator` keyword is dropped, ours set."""
    v1 = acp.load(FIXTURES / "package-2x")[0]
    assert v1.document["$defs"]["InitializeRequest"]["properties"]["protocolVersion"] == {"description": "latest", "$ref": "#/$defs/ProtocolVersion"}
    assert v1.document["$defs"]["SessionUpdate"]["discriminator"] == {"propertyName": "sessionUpdate"}
    assert "discriminator" not in str(v1.document["$defs"]["ContentChunk"])


def test_untagged_any_of_stays_an_alias() -> None:
    assert load_one("package-trap").definitions["RequestId"].kind is DefinitionKind.ALIAS


def test_meta_stays_an_open_object() -> None:
    prop = acp.load(FIXTURES / "package-2x")[0].definitions["InitializeRequest"].property("_meta")
    assert prop is not None and not prop.required and prop.schema["additionalProperties"] is True


def test_handshake_and_framing() -> None:
    protocol = acp.load(FIXTURES / "package-2x")[0]
    assert protocol.handshake is not None
    assert (protocol.handshake.method, protocol.handshake.version_offer, protocol.handshake.version_chosen) == (
        "initialize",
        "/protocolVersion",
        "/protocolVersion",
    )
    assert protocol.framing.jsonrpc_member and protocol.framing.notification_extras == ()


def test_error_codes_from_error_code() -> None:
    errors = {(e.code, e.name) for e in acp.load(FIXTURES / "package-2x")[0].errors}
    assert errors == {(-32700, "parseError"), (-32000, "authRequired")}


@pytest.mark.parametrize(
    ("source", "message", "pointer"),
    [
        ("bad/not-acp", "no type carries `x-method`", "/$defs"),
        ("bad/no-response", "`fs/read_text_file` has no response type", "/$defs/ReadTextFileRequest"),
        ("bad/bad-x-method", "`x-method` must be a string", "/$defs/CancelNotification/x-method"),
        ("bad/empty-dir", "no ACP schema here", None),
        ("nowhere", "file or folder not found", None),
    ],
)
def test_bad_input_names_file_and_pointer(source: str, message: str, pointer: str | None) -> None:
    with pytest.raises(InputError) as caught:
        acp.load(FIXTURES / source)
    assert message in caught.value.message
    assert caught.value.pointer == pointer
    assert str(FIXTURES / source) in str(caught.value.file)


def test_truncated_schema_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        acp.load(FIXTURES / "bad/truncated")
    assert "invalid JSON" in caught.value.message and str(caught.value.file).endswith("schema.json")


def _paths(value: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if where:
        yield where
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, sub in items:
        yield from _paths(sub, (*where, key))


def test_any_damaged_node_is_an_input_error_never_a_crash(tmp_path: Path) -> None:
    """Every node of a schema replaced by a value of the wrong type: loads, or InputError."""
    original = json.loads((FIXTURES / "v0-single" / "schema.json").read_text(encoding="utf-8"))
    target = tmp_path / "schema.json"
    errors = 0
    for where in _paths(original):
        replacements: tuple[Any, ...] = (5, None, [])
        for replacement in replacements:
            damaged = copy.deepcopy(original)
            parent = damaged
            for key in where[:-1]:
                parent = parent[key]
            parent[where[-1]] = replacement
            target.write_text(json.dumps(damaged), encoding="utf-8")
            try:
                acp.load(target)
            except InputError as error:
                errors += 1
                assert str(target) in str(error.file) and error.pointer is not None
    assert errors > 100


def test_flattened_enum_becomes_a_union_with_the_common_properties() -> None:
    protocol = load_one("shapes")
    union = protocol.definitions["DiffChange"]
    assert union.kind is DefinitionKind.UNION and union.open is True and union.discriminator == "operation"
    assert [(v.tag, v.definition) for v in union.variants] == [("add", "DiffChangeAdd"), ("delete", "DiffChangeDelete")]
    add = protocol.document["$defs"]["DiffChangeAdd"]
    assert set(add["properties"]) == {"operation", "path", "mimeType"} and add["required"] == ["operation", "path"]


def test_inline_options_of_an_untagged_any_of_get_names() -> None:
    protocol = load_one("shapes")
    assert protocol.definitions["McpServer"].kind is DefinitionKind.ALIAS
    assert protocol.document["$defs"]["McpServer"]["anyOf"][0] == {"$ref": "#/$defs/McpServerHttpOption"}
    assert protocol.document["$defs"]["McpServerHttpOption"]["properties"]["url"] == {"type": "string"}
    assert {"AgentResponseResultOption", "AgentResponseErrorOption"} <= set(protocol.definitions)


def test_response_envelope_members_found_through_named_options() -> None:
    """`AgentResponse`'s `Result` member is a definition of its own after naming: the result is still found."""
    assert method_table(load_one("shapes")) == {("diff/apply", "clientToServer", "request", "ApplyRequest", "ApplyResponse")}
