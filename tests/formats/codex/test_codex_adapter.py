"""The Codex adapter on a small hand-written export that exercises every rule (fixtures/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from threadloom.check import check_protocol
from threadloom.errors import InputError
from threadloom.findings import Level
from threadloom.formats import codex
from threadloom.model import DefinitionKind, Direction, Kind, Protocol, Stability

FIXTURES = Path(__file__).parent / "fixtures"
RELEASE = FIXTURES / "release@1.2.3"
EXPERIMENTAL = RELEASE / "schema-experimental"
STABLE = RELEASE / "schema"


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    [loaded] = codex.load(EXPERIMENTAL)
    return loaded


def definition_schema(protocol: Protocol, name: str) -> dict[str, object]:
    schema = protocol.definitions[name].schema
    assert isinstance(schema, dict)
    return schema


# -- sources and release -----------------------------------------------------------------------


def test_recognises_folders_and_bundles_only(tmp_path: Path) -> None:
    assert codex.recognises(EXPERIMENTAL)
    assert codex.recognises(EXPERIMENTAL / codex.BUNDLE)
    assert codex.recognises(RELEASE)  # a release folder holding schema/ and schema-experimental/
    assert not codex.recognises(tmp_path)
    assert not codex.recognises(Path(__file__).parents[3] / "protocol" / "v2")


def test_release_comes_from_the_marker_then_the_folder_name(tmp_path: Path) -> None:
    [marked] = codex.load(EXPERIMENTAL)
    assert marked.release == "1.2.3" and marked.format == "codex" and marked.version == 1
    named = tmp_path / "codex@9.8.7"
    shutil.copytree(STABLE, named)
    assert codex.load(named)[0].release == "9.8.7"
    anonymous = tmp_path / "export"
    shutil.copytree(STABLE, anonymous)
    [unknown] = codex.load(anonymous / codex.BUNDLE)
    assert unknown.release == "unknown"
    assert [n.rule for n in unknown.notes if n.rule == "codex-release-unknown"] == ["codex-release-unknown"]


def test_a_release_folder_loads_its_experimental_export() -> None:
    [loaded] = codex.load(RELEASE)
    assert loaded.method("thread/secret") is not None
    assert loaded.method("thread/secret").stability is Stability.EXPERIMENTAL  # type: ignore[union-attr]


# -- methods, params, results ------------------------------------------------------------------


def test_methods_come_from_the_four_unions(protocol: Protocol) -> None:
    by = {(d, k): sorted(m.name for m in protocol.methods_by(d, k)) for d in Direction for k in Kind}
    assert by[(Direction.CLIENT_TO_SERVER, Kind.NOTIFICATION)] == ["initialized"]
    assert by[(Direction.SERVER_TO_CLIENT, Kind.REQUEST)] == ["item/commandExecution/requestApproval"]
    assert by[(Direction.SERVER_TO_CLIENT, Kind.NOTIFICATION)] == ["error", "item/completed"]
    assert len(by[(Direction.CLIENT_TO_SERVER, Kind.REQUEST)]) == 8


def test_results_by_naming_rule_override_table_or_untyped_with_a_note(protocol: Protocol) -> None:
    result = {m.name: m.result for m in protocol.methods if m.is_request}
    assert result["thread/start"] == "ThreadStartResponse"  # naming rule
    assert result["account/logout"] == "LogoutAccountResponse"  # null params: override table
    assert result["config/value/write"] == "ConfigWriteResponse"  # shared result: override table
    assert result["account/rateLimits/read"] == "GetAccountRateLimitsResponse"  # nullable params: rule
    assert result["mystery/call"] == codex.UNTYPED_RESULT
    assert definition_schema(protocol, codex.UNTYPED_RESULT).keys() == {"description"}  # any JSON value
    [note] = [n for n in protocol.notes if n.rule == "codex-untyped-result"]
    assert "mystery/call" in note.message and note.pointer == "/definitions/ClientRequest/oneOf/5"
    assert note.file.endswith(codex.BUNDLE)
    assert note.level is Level.WARNING and "results" in note.hint  # printed by check, not a failure


def test_a_results_table_named_by_the_marker_is_consulted_first(tmp_path: Path) -> None:
    export = _marked_copy(tmp_path, {"version": "1.2.3", "results": "my-results.json"})
    (export / "my-results.json").write_text(json.dumps({"results": {"mystery/call": "ThreadStartResponse"}}))
    [loaded] = codex.load(export)
    assert loaded.method("mystery/call").result == "ThreadStartResponse"  # type: ignore[union-attr]
    assert loaded.method("account/logout").result == "LogoutAccountResponse"  # type: ignore[union-attr]  # built-in table still read
    assert not [n for n in loaded.notes if n.rule == "codex-untyped-result"]


def test_a_marker_naming_a_missing_results_table_names_the_marker_and_pointer(tmp_path: Path) -> None:
    export = _marked_copy(tmp_path, {"version": "1.2.3", "results": "nowhere.json"})
    with pytest.raises(InputError) as error:
        codex.load(export)
    assert Path(error.value.file) == export / codex.MARKER and error.value.pointer == "/results"
    assert "nowhere.json" in error.value.message


def test_a_users_override_naming_an_absent_type_names_that_table(tmp_path: Path) -> None:
    export = _marked_copy(tmp_path, {"version": "1.2.3", "results": "my-results.json"})
    (export / "my-results.json").write_text(json.dumps({"results": {"mystery/call": "MysteryCallResponse"}}))
    with pytest.raises(InputError) as error:
        codex.load(export)
    assert Path(error.value.file) == export / "my-results.json" and error.value.pointer == "/results/mystery~1call"


def _marked_copy(tmp_path: Path, marker: dict[str, object]) -> Path:
    export = tmp_path / "export"
    shutil.copytree(STABLE, export)
    (export / codex.MARKER).write_text(json.dumps(marker))
    return export


def test_null_and_nullable_params(protocol: Protocol) -> None:
    assert protocol.method("account/logout").params == codex.NO_PARAMS  # type: ignore[union-attr]
    assert definition_schema(protocol, codex.NO_PARAMS)["type"] == "null"
    assert protocol.method("initialized").params == codex.NO_PARAMS  # type: ignore[union-attr]
    assert "params" not in definition_schema(protocol, "InitializedNotification")["properties"]  # type: ignore[operator]
    nullable = definition_schema(protocol, "AccountRateLimitsReadRequest")["properties"]["params"]  # type: ignore[index]
    assert nullable == {"anyOf": [{"$ref": "#/$defs/GetAccountRateLimitsParams"}, {"type": "null"}]}
    assert protocol.method("account/rateLimits/read").params == "GetAccountRateLimitsParams"  # type: ignore[union-attr]
    assert protocol.definitions["NullableGetAccountRateLimitsParams"].kind is DefinitionKind.ALIAS


def test_envelopes_are_named_after_methods_and_carry_the_notification_extras(protocol: Protocol) -> None:
    start = definition_schema(protocol, "ThreadStartRequest")
    assert start["properties"]["method"] == {"const": "thread/start", "type": "string"}  # type: ignore[index]
    assert "jsonrpc" not in start["properties"]  # type: ignore[operator]
    # `ErrorNotification` is the export's params type: the envelope takes the `Message` suffix
    envelope = definition_schema(protocol, "ErrorNotificationMessage")
    assert envelope["properties"]["params"] == {"$ref": "#/$defs/ErrorNotification"}  # type: ignore[index]
    assert "emittedAtMs" in envelope["properties"]  # type: ignore[operator]
    assert protocol.framing.jsonrpc_member is False and protocol.framing.notification_extras == ("emittedAtMs",)


def test_handshake_without_version_negotiation(protocol: Protocol) -> None:
    assert protocol.handshake is not None
    assert (protocol.handshake.method, protocol.handshake.initialized) == ("initialize", "initialized")
    assert protocol.handshake.version_offer is None and protocol.handshake.version_chosen is None
    assert protocol.handshake.experimental_opt_in == "/capabilities/experimentalApi"


def test_handshake_fields_only_where_initialize_params_has_them(tmp_path: Path) -> None:
    bundle = json.loads((STABLE / codex.BUNDLE).read_text())
    del bundle["definitions"]["InitializeParams"]["properties"]["capabilities"]
    (tmp_path / codex.BUNDLE).write_text(json.dumps(bundle))
    [loaded] = codex.load(tmp_path)
    assert loaded.handshake is not None and loaded.handshake.method == "initialize"
    assert loaded.handshake.experimental_opt_in is None and loaded.handshake.opt_out_notifications is None


def test_methods_only_in_the_experimental_export_are_experimental(protocol: Protocol) -> None:
    assert {m.name for m in protocol.methods if m.stability is Stability.EXPERIMENTAL} == {"thread/secret"}
    [stable_only] = codex.load(STABLE)
    assert {m.stability for m in stable_only.methods} == {Stability.STABLE}


# -- names -------------------------------------------------------------------------------------


def test_root_and_v2_clashes(protocol: Protocol) -> None:
    # same wire schema (only a description differs): one definition
    assert "ByteRange" in protocol.definitions and "V1ByteRange" not in protocol.definitions
    # different: v2 keeps the name; the root one is V1TextElement, taken here, so LegacyTextElement
    assert definition_schema(protocol, "TextElement")["required"] == ["byteRange"]
    assert definition_schema(protocol, "LegacyTextElement")["required"] == ["byte_range"]
    assert definition_schema(protocol, "LegacyThingParams")["properties"]["text"] == {"$ref": "#/$defs/LegacyTextElement"}  # type: ignore[index]


def test_inline_variants_get_readable_names_never_numbers_or_slashes(protocol: Protocol) -> None:
    variants = {v.tag: v.definition for v in protocol.definitions["ThreadItem"].variants}
    assert variants == {
        "userMessage": "UserMessageThreadItem",  # its title
        "commandExecution": "CommandExecutionThreadItem",  # untitled: tag + parent
        "openai/plan": "OpenaiSlashPlanThreadItem",  # placeholder title `TypeThreadItem2` ignored
        "openaiPlan": "OpenaiPlanThreadItem",
    }
    assert {"TextResourceContent", "BlobResourceContent"} <= protocol.definitions.keys()  # untagged: own property
    assert "ThreadStartParamsOptions" in protocol.definitions and "ThreadStartParamsOptionsMode" in protocol.definitions
    assert "GranularAskForApprovalContent" in protocol.definitions  # payload of an externally tagged variant
    for name in protocol.definitions:
        assert "/" not in name and not name[-1].isdigit(), name
    assert "title" not in json.dumps(protocol.document["$defs"]["ThreadItem"])


def test_tagged_unions_get_a_discriminator_and_const_tags(protocol: Protocol) -> None:
    union = protocol.definitions["ThreadItem"]
    assert union.kind is DefinitionKind.UNION and union.discriminator == "type"
    item = definition_schema(protocol, "CommandExecutionThreadItem")
    assert item["properties"]["type"] == {"const": "commandExecution", "type": "string"}  # type: ignore[index]
    assert "startedAtMs" in item["properties"]  # type: ignore[operator]  # the union's shared members, merged


def test_string_alternatives_become_enums_and_mixed_unions_aliases(protocol: Protocol) -> None:
    status = protocol.definitions["ThreadStatus"]
    assert status.kind is DefinitionKind.ENUM and status.values == ("idle", "active")
    assert "`idle`: Nothing running." in status.description
    approval = protocol.definitions["AskForApproval"]
    assert approval.kind is DefinitionKind.ALIAS
    assert approval.schema["oneOf"] == [{"$ref": "#/$defs/AskForApprovalValue"}, {"$ref": "#/$defs/GranularAskForApproval"}]
    assert protocol.definitions["AskForApprovalValue"].values == ("untrusted", "never", "on-request")
    sandbox = definition_schema(protocol, "ThreadStartParams")["properties"]["sandbox"]  # type: ignore[index]
    assert sandbox == {"anyOf": [{"$ref": "#/$defs/ThreadStartParamsSandbox"}, {"type": "null"}]}


def test_a_variant_carrying_one_of_several_shapes_is_one_object(protocol: Protocol) -> None:
    """serde's untagged enum flattened into a tagged variant (Codex's image and audio inputs)."""
    variants = {v.tag: v.definition for v in protocol.definitions["UserInput"].variants}
    assert variants["audio"] == "AudioUserInput"
    audio = protocol.definitions["AudioUserInput"]
    assert audio.kind is DefinitionKind.OBJECT
    assert [(p.name, p.required) for p in audio.properties] == [("type", True), ("detail", False), ("url", False), ("fileId", False)]
    assert audio.schema["properties"]["type"] == {"const": "audio", "type": "string"}
    # one of them is still required, in a form code generators leave to validators (no numbered classes)
    assert audio.schema["not"] == {"allOf": [{"not": {"required": ["url"]}}, {"not": {"required": ["fileId"]}}]}
    assert "anyOf" not in audio.schema and "oneOf" not in audio.schema
    assert "Carries `url` or `fileId`." in audio.description
    validator = jsonschema.Draft202012Validator({"$ref": "#/$defs/AudioUserInput", "$defs": protocol.document["$defs"]})
    assert validator.is_valid({"type": "audio", "fileId": "f1"}) and validator.is_valid({"type": "audio", "url": "u", "fileId": "f1"})
    assert not validator.is_valid({"type": "audio", "detail": "high"})
    assert not validator.is_valid({"type": "audio", "url": 3})


def test_one_value_inline_enums_are_constants(protocol: Protocol) -> None:
    assert definition_schema(protocol, "Thread")["properties"]["formatVersion"] == {"type": "integer", "format": "uint8", "minimum": 0.0, "const": 1}  # type: ignore[index]


def test_untagged_unions_of_objects_are_info_notes_at_the_export_pointer(protocol: Protocol) -> None:
    [note] = [n for n in protocol.notes if n.rule == "codex-untagged-union"]
    assert note.level is Level.INFO and note.pointer == "/definitions/v2/ResourceContent"
    assert "`TextResourceContent`, `BlobResourceContent`" in note.message


def test_the_fixture_has_no_structural_finding_only_notes() -> None:
    for export in (STABLE, EXPERIMENTAL):
        found = check_protocol(export)
        assert not [f for f in found if f.fails], export
        assert {f.rule for f in found} == {"codex-untyped-result", "codex-untagged-union"}


def test_all_of_wrappers_unwrapped(protocol: Protocol) -> None:
    assert definition_schema(protocol, "LegacyThingParams")["properties"]["range"] == {"description": "Where.", "$ref": "#/$defs/ByteRange"}  # type: ignore[index]


def test_what_the_server_writes_is_open_what_clients_write_closed(protocol: Protocol) -> None:
    defs = protocol.definitions
    assert defs["ThreadItem"].open is True  # results and notifications
    assert defs["ThreadStatus"].open is True
    assert defs["UserInput"].open is False  # only in thread/start params
    assert defs["ThreadStartParamsSandbox"].open is False
    assert defs["ServerNotification"].open is True and defs["ClientRequest"].open is False


def test_the_document_is_a_threadloom_document(protocol: Protocol) -> None:
    document = protocol.document
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    text = json.dumps(document)
    assert "#/definitions/" not in text and "draft-07" not in text
    for method in document["x-methods"]:
        assert method["params"].removeprefix("#/$defs/") in document["$defs"]


# -- bad input ---------------------------------------------------------------------------------


def test_truncated_bundle_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "codex@1.0.0"
    folder.mkdir()
    text = (STABLE / codex.BUNDLE).read_text()
    (folder / codex.BUNDLE).write_text(text[: len(text) // 2])
    with pytest.raises(InputError) as error:
        codex.load(folder)
    assert Path(error.value.file) == folder / codex.BUNDLE and "invalid JSON" in error.value.message


def test_export_without_its_bundle_is_recognised_and_refused(tmp_path: Path) -> None:
    (tmp_path / "ClientRequest.json").write_text("{}")
    assert codex.recognises(tmp_path)
    with pytest.raises(InputError) as error:
        codex.load(tmp_path)
    assert Path(error.value.file) == tmp_path / codex.BUNDLE


def test_missing_method_union_names_the_pointer(tmp_path: Path) -> None:
    bundle = json.loads((STABLE / codex.BUNDLE).read_text())
    del bundle["definitions"]["ServerRequest"]
    (tmp_path / codex.BUNDLE).write_text(json.dumps(bundle))
    with pytest.raises(InputError) as error:
        codex.load(tmp_path)
    assert error.value.pointer == "/definitions/ServerRequest"


def test_dangling_reference_names_the_pointer(tmp_path: Path) -> None:
    bundle = json.loads((STABLE / codex.BUNDLE).read_text())
    bundle["definitions"]["v2"]["Thread"]["properties"]["id"] = {"$ref": "#/definitions/v2/Nowhere"}
    (tmp_path / codex.BUNDLE).write_text(json.dumps(bundle))
    with pytest.raises(InputError) as error:
        codex.load(tmp_path)
    assert error.value.pointer == "/definitions/v2/Thread/properties/id/$ref"


def test_missing_results_table_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "codex_results.json"
    with pytest.raises(InputError) as error:
        codex.load_export(codex.locate(STABLE), results=missing)
    assert Path(error.value.file) == missing and "not found" in error.value.message


def test_override_naming_an_absent_type_names_the_table_entry(tmp_path: Path) -> None:
    table = tmp_path / "codex_results.json"
    table.write_text(json.dumps({"results": {"account/logout": "NoSuchResponse"}}))
    with pytest.raises(InputError) as error:
        codex.load_export(codex.locate(STABLE), results=table)
    assert Path(error.value.file) == table and error.value.pointer == "/results/account~1logout"


def test_flattened_v2_bundle_is_refused_with_a_hint(tmp_path: Path) -> None:
    flat = tmp_path / codex.FLAT_BUNDLE
    flat.write_text("{}")
    with pytest.raises(InputError) as error:
        codex.load(flat)
    assert "ServerRequest" in error.value.message and error.value.hint and codex.BUNDLE in error.value.hint
