"""Codex App Server exports: the folder `codex app-server generate-json-schema --out DIR` writes
(with or without `--experimental`), or its bundle file `codex_app_server_protocol.schemas.json`.

The adapter rewrites the bundle (draft-07, `definitions` with a nested `v2` namespace) into a
Threadloom document (2020-12, flat `$defs`, explicit method table) and builds the model from that,
so every command and plugin sees one shape. The rules, each documented where it is applied:

- names: root and `v2` definitions share one namespace; a name in both with the same wire schema
  is one definition, else `v2` keeps it and the root one becomes `V1<Name>` (`Legacy<Name>`,
  `Root<Name>` when taken). References are rewritten to `#/$defs/<name>`.
- methods come from the four unions `ClientRequest`, `ClientNotification`, `ServerRequest`,
  `ServerNotification`; their inline variants become envelopes named after the method
  (`thread/start` -> `ThreadStartRequest`; `...Message` when the export already uses the name).
- results: the user's table (`"results": "FILE"` in the marker, FILE relative to it), then
  `codex_results.json` (data read from Codex's source), else the naming rule `XParams` ->
  `XResponse`, else `UntypedResult` (any JSON value) and a `codex-untyped-result` warning.
- unions: a `oneOf`/`anyOf` of strings only becomes an enum; of objects sharing a one-value string
  property (the tag; `type` first) a tagged union with a discriminator and `const` tags; shared
  members plus alternatives that only add members (serde's untagged enum flattened into a
  variant: an image by `url` or by `fileId`) one object with every member, "one of them is
  there" kept as a `not` validators enforce; anything else (mixed string-or-object, untagged, nullable
  wrappers) a named alias, and an untagged union of objects a `codex-untagged-union` info note.
  Inline objects and multi-value string enums anywhere are lifted to named definitions (from the
  title, else the tag and the parent, else the property path: never numbers, never `/`); an
  inline one-value enum (`{"enum": [1]}`) is a `const`.
- handshake: `initialize` / `initialized`, no version negotiation; the experimental opt-in and
  notification opt-out pointers only where `InitializeParams.capabilities` has those members.
- notes (`Protocol.notes`, shown by `check`, pointing into the export): warnings for what was
  guessed or is unknown, infos for facts of the export a client author should know.
- openness: the export has no marker, so every tagged union and enum the server writes (reachable
  from results, server notifications and server requests) is open; what only clients write is
  closed.
- release: the marker `threadloom-release.json` beside the bundle (written by
  `threadloom_conformance.releases`), else `@<version>` in the folder name or a parent's (e.g.
  `codex@0.169.0/schema`), else unknown (a note). Codex does not negotiate versions: every release
  is version 1 of its own protocol, and `Protocol.release` carries the identity.
- stability: an experimental export whose marker names the stable export of the same release
  (`stableExport`) marks the methods only it has experimental; otherwise every method is stable.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from threadloom.errors import InputError, pointer_join
from threadloom.findings import Finding, Level, display_path
from threadloom.formats import threadloom as threadloom_format
from threadloom.jsonio import read_json
from threadloom.model import DefinitionKind, Direction, Kind, Protocol, ref_name

NAME = "codex"
BUNDLE = "codex_app_server_protocol.schemas.json"
FLAT_BUNDLE = "codex_app_server_protocol.v2.schemas.json"  # lacks ServerRequest and ClientNotification
MARKER = "threadloom-release.json"
STABLE_DIR, EXPERIMENTAL_DIR = "schema", "schema-experimental"  # a release folder's exports
RESULTS_FILE = Path(__file__).with_name("codex_results.json")
PROTOCOL_NAME = "codex-app-server"

# union -> (direction, kind)
METHOD_UNIONS = {
    "ClientRequest": (Direction.CLIENT_TO_SERVER, Kind.REQUEST),
    "ClientNotification": (Direction.CLIENT_TO_SERVER, Kind.NOTIFICATION),
    "ServerRequest": (Direction.SERVER_TO_CLIENT, Kind.REQUEST),
    "ServerNotification": (Direction.SERVER_TO_CLIENT, Kind.NOTIFICATION),
}
NO_PARAMS, UNTYPED_RESULT = "NoParams", "UntypedResult"
CLIENT_MESSAGE, SERVER_MESSAGE = "ClientMessage", "ServerMessage"
RESPONSE, ERROR_RESPONSE = "JSONRPCResponse", "JSONRPCError"
DOC_KEYWORDS = ("description", "title", "$schema", "examples")
TAG_PREFERENCE = ("type", "method", "kind", "mode")
VERSION_IN_NAME = re.compile(r"@(\d+\.\d+\.\d+[0-9A-Za-z.+-]*)$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Key = tuple[str, str]  # (namespace: "" or "v2", name in the export)


# -- finding the export ------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    bundle: Path
    release: str
    stable_bundle: Path | None = None  # the stable export of the same release, for an experimental one
    results: Path | None = None  # the user's results override table, named by the marker


def recognises(source: Path) -> bool:
    """A bundle file, an export folder (complete or not), or a release folder holding exports."""
    if not isinstance(source, Path):  # a loader still sniffing parsed documents: not ours
        return False
    if source.is_file():
        return source.name.startswith("codex_app_server_protocol") and source.suffix == ".json"
    if not source.is_dir():
        return False
    if any((source / name).is_file() for name in (BUNDLE, FLAT_BUNDLE, "ClientRequest.json", "ServerNotification.json")):
        return True
    if (source / MARKER).is_file():
        return True
    return any((source / sub / BUNDLE).is_file() for sub in (STABLE_DIR, EXPERIMENTAL_DIR))


def load(source: Path) -> list[Protocol]:
    return [load_export(locate(source))]


def locate(source: Path) -> Export:
    folder = source if source.is_dir() else source.parent
    if source.is_dir() and not (source / BUNDLE).exists() and (source / STABLE_DIR / BUNDLE).is_file():
        folder = source / (EXPERIMENTAL_DIR if (source / EXPERIMENTAL_DIR / BUNDLE).is_file() else STABLE_DIR)
    bundle = folder / BUNDLE if source.is_dir() or source.name == FLAT_BUNDLE else source
    if source.name == FLAT_BUNDLE or (source.is_dir() and not bundle.exists() and (folder / FLAT_BUNDLE).exists()):
        raise InputError(
            folder / FLAT_BUNDLE if source.is_dir() else source,
            "the flattened v2 bundle lacks the ServerRequest and ClientNotification unions",
            None,
            f"point at the export folder or its {BUNDLE}",
        )
    if not bundle.is_file():
        raise InputError(bundle, "file not found: the Codex export is incomplete", None, "re-run `codex app-server generate-json-schema --out DIR`")
    marker = _marker(folder)
    release = str(marker.get("version") or _version_from_names(folder))
    stable = None
    if marker.get("experimental") and isinstance(marker.get("stableExport"), str):
        candidate = (folder / marker["stableExport"] / BUNDLE).resolve()
        stable = candidate if candidate.is_file() else None
    return Export(bundle=bundle, release=release, stable_bundle=stable, results=_results_override(folder, marker))


def _marker(folder: Path) -> dict[str, Any]:
    path = folder / MARKER
    if not path.is_file():
        return {}
    marker = read_json(path)
    if not isinstance(marker, dict):
        raise InputError(path, "expected a JSON object with `version` (and `experimental`, `stableExport`)", "")
    return marker


def _results_override(folder: Path, marker: dict[str, Any]) -> Path | None:
    """`"results": "FILE"` in the marker: the user's own `{"results": {method: type}}` table,
    relative to the marker, consulted before the built-in one."""
    if "results" not in marker:
        return None
    named = marker["results"]
    if not isinstance(named, str) or not named:
        raise InputError(folder / MARKER, "`results` must name a JSON file of result types", "/results")
    path = folder / named
    if not path.is_file():
        hint = f'write {path} as {{"results": {{"method": "TypeName"}}}}, or drop the key'
        raise InputError(folder / MARKER, f"the results override `{named}` does not exist", "/results", hint)
    return path


def _version_from_names(folder: Path) -> str:
    for part in [folder.resolve(), *folder.resolve().parents]:
        found = VERSION_IN_NAME.search(part.name)
        if found:
            return found.group(1)
    return ""


# -- loading -----------------------------------------------------------------------------------


def load_export(export: Export, results: Path = RESULTS_FILE) -> Protocol:
    bundle = _read_bundle(export.bundle)
    stable_methods = _method_names(_read_bundle(export.stable_bundle), export.stable_bundle) if export.stable_bundle else None
    overrides = {method: (name, results) for method, name in read_overrides(results).items()}
    if export.results is not None:
        overrides.update({method: (name, export.results) for method, name in read_overrides(export.results).items()})
    builder = _Builder(bundle, export.bundle, overrides)
    document = builder.document(stable_methods)
    notes = list(builder.notes)
    if not export.release:
        hint = f"name the folder `...@X.Y.Z` or write {MARKER}"
        notes.append(_note(export.bundle, "", "codex-release-unknown", "the export does not say which Codex release it is", hint))
    protocol = _to_model(document, export.bundle)
    document = _with_openness(document, protocol)
    protocol = _to_model(document, export.bundle)
    return replace(protocol, release=export.release or "unknown", format=NAME, notes=tuple(notes))


def _read_bundle(path: Path) -> dict[str, Any]:
    bundle = read_json(path)
    if not isinstance(bundle, dict) or not isinstance(bundle.get("definitions"), dict):
        raise InputError(path, "not a Codex export bundle: no `definitions` object", "/definitions")
    for union in METHOD_UNIONS:
        options = bundle["definitions"].get(union, {}).get("oneOf") if isinstance(bundle["definitions"].get(union), dict) else None
        if not isinstance(options, list):
            raise InputError(path, f"the method union `{union}` is missing or has no `oneOf` (truncated export?)", pointer_join("definitions", union))
    return bundle


def read_overrides(path: Path) -> dict[str, str]:
    table = read_json(path)
    results = table.get("results") if isinstance(table, dict) else None
    if not isinstance(results, dict) or not all(isinstance(v, str) for v in results.values()):
        raise InputError(path, 'expected {"results": {method: result type name}}', "/results")
    return dict(results)


def _method_names(bundle: dict[str, Any], file: Path | None) -> set[str]:
    return {name for union in METHOD_UNIONS for name, _, _ in _union_methods(bundle, union, file or Path())}


def _union_methods(bundle: dict[str, Any], union: str, file: Path) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(method name, variant schema, pointer) of every variant of a method union."""
    for index, variant in enumerate(bundle["definitions"][union]["oneOf"]):
        pointer = pointer_join("definitions", union, "oneOf", index)
        method = variant.get("properties", {}).get("method", {}) if isinstance(variant, dict) else {}
        values = method.get("enum") if isinstance(method, dict) else None
        if not (isinstance(values, list) and len(values) == 1 and isinstance(values[0], str)):
            raise InputError(file, f"a `{union}` variant without a one-value `method` enum", pointer + "/properties/method")
        yield values[0], variant, pointer


def _to_model(document: dict[str, Any], source: Path) -> Protocol:
    """Threadloom's own translation, then the kinds its keywords cannot express: an untagged
    `oneOf`/`anyOf` here is a named alias, not a tagged union or a message envelope."""
    protocol = threadloom_format.to_model(document, source)
    envelopes = {protocol.messages[d] for d in protocol.messages}
    for name, definition in protocol.definitions.items():
        untagged = definition.kind is DefinitionKind.UNION and not definition.discriminator
        stray_envelope = definition.kind is DefinitionKind.ENVELOPE_UNION and name not in envelopes
        if untagged or stray_envelope:
            protocol.definitions[name] = replace(definition, kind=DefinitionKind.ALIAS, variants=(), discriminator=None)
    return protocol


def _with_openness(document: dict[str, Any], protocol: Protocol) -> dict[str, Any]:
    """Unions and enums the server writes are open (clients must tolerate new members); the rest closed."""
    from threadloom.diff.findings import Role
    from threadloom.diff.reach import compute_reach  # not at the top: threadloom.diff imports the loader

    reach = compute_reach(protocol)
    for name, definition in protocol.definitions.items():
        if definition.kind in (DefinitionKind.UNION, DefinitionKind.ENUM):
            document["$defs"][name]["x-open"] = Role.WRITTEN in reach.roles_of(name)
    return document


def _note(file: Path, pointer: str, rule: str, message: str, hint: str = "", level: Level = Level.WARNING) -> Finding:
    return Finding(file=display_path(file), pointer=pointer, rule=rule, message=message, hint=hint, level=level)


# -- names -------------------------------------------------------------------------------------


def pascal(text: str) -> str:
    """`thread/start` -> `ThreadStart`, `project_roots` -> `ProjectRoots`, `on-request` -> `OnRequest`."""
    pieces = [p for p in re.split(r"[^A-Za-z0-9]+", text) if p]
    name = "".join(p[0].upper() + p[1:] for p in pieces)
    return name if name[:1].isalpha() else "Value" + name


VALUE_KEYWORDS = ("default", "const", "enum", "examples")  # JSON values, not schemas: left as they are


def title_name(title: str) -> str:
    """Codex titles leak Rust module paths (`ApiKeyv2::LoginAccountParams`): the path goes."""
    return pascal(re.sub(r"v\d+::", "", title))


def _placeholder_title(title: str, parent: str, tag: str | None) -> bool:
    """schemars titles variants it cannot name `<Tag property><Parent>`, numbering repeats
    (`StateMcpStartupStatus2`): such a title says nothing, the tag value says more."""
    return title[-1:].isdigit() or (tag is not None and title == pascal(tag) + parent)


def _member_name(owner: str, member: str) -> str:
    """`<Owner><Member>`; the payload of an externally tagged variant (`{"granular": {...}}` in
    `GranularAskForApproval`) is `<Owner>Content` rather than repeating the tag."""
    return owner + "Content" if owner.startswith(pascal(member)) else owner + pascal(member)


def spelled(text: str) -> str:
    """Separators spelled out, for tags that differ only in them (`openai/form` vs `openaiForm`)."""
    for mark, word in (("/", " slash "), ("-", " dash "), (".", " dot "), ("_", " underscore ")):
        text = text.replace(mark, word)
    return text


def _strip_docs(node: Any) -> Any:
    """The wire-relevant part of a schema (documentation keywords dropped; property names kept)."""
    return _without(node, DOC_KEYWORDS)


def _without(node: Any, keywords: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_without(v, keywords) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in keywords and not (key == "title" and not isinstance(value, str)):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _without(sub, keywords) for name, sub in value.items()}
        else:
            out[key] = value if key in VALUE_KEYWORDS else _without(value, keywords)
    return out


def _same(a: Any, b: Any) -> bool:
    return bool(_strip_docs(a) == _strip_docs(b))


# -- the document ------------------------------------------------------------------------------


@dataclass
class _Builder:
    bundle: dict[str, Any]
    file: Path
    overrides: dict[str, tuple[str, Path]]  # method -> (result type in the export, table naming it)
    notes: list[Finding] = field(default_factory=list)
    raw: dict[Key, dict[str, Any]] = field(default_factory=dict)
    names: dict[Key, str] = field(default_factory=dict)
    defs: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] = field(default_factory=dict)  # lifted name -> the inline schema it came from
    source: dict[str, str] = field(default_factory=dict)  # definition name -> its pointer in the export

    def document(self, stable_methods: set[str] | None) -> dict[str, Any]:
        self.raw = self._namespaces()
        self.names = self._resolve_names()
        for key in sorted(self.raw, key=lambda k: (k[0] != "v2", k[1])):  # v2 first: it wins merged names
            name = self.names[key]
            if key[1] not in METHOD_UNIONS and name not in self.defs:
                self.defs[name] = self._convert(self.raw[key], self._pointer(key))
                self.source[name] = self._pointer(key)
        reserved = self._reserve_synthetic()
        methods = self._methods(stable_methods, reserved)
        for name in sorted(self.defs):
            if name not in METHOD_UNIONS and name not in reserved.values():
                self.defs[name] = self._shape(name, self.defs[name], True, self.source.get(name, ""))
        self._drop_titles()
        return self._assemble(methods, reserved)

    # namespaces and names

    def _namespaces(self) -> dict[Key, dict[str, Any]]:
        out: dict[Key, dict[str, Any]] = {}
        definitions = self.bundle["definitions"]
        for name, schema in definitions.items():
            if name == "v2" and isinstance(schema, dict) and not ("type" in schema or "oneOf" in schema or "properties" in schema):
                for inner, inner_schema in schema.items():
                    out[("v2", inner)] = self._checked(inner_schema, ("v2", inner))
            else:
                out[("", name)] = self._checked(schema, ("", name))
        return out

    def _checked(self, schema: Any, key: Key) -> dict[str, Any]:
        if isinstance(schema, bool):
            return {} if schema else {"not": {}}
        if not isinstance(schema, dict):
            raise InputError(self.file, "a definition must be a JSON Schema object", self._pointer(key))
        return schema

    def _pointer(self, key: Key) -> str:
        return pointer_join("definitions", *([key[0]] if key[0] else []), key[1])

    def _resolve_names(self) -> dict[Key, str]:
        """Clashing root/v2 names: one definition when the wire schemas agree (decided to a fixed
        point, since agreeing depends on what the references resolve to), else v2 keeps the name."""
        clashes = {name for ns, name in self.raw if ns == "" and ("v2", name) in self.raw}
        merged = set(clashes)
        while True:
            agree = {name for name in merged if _same(self._refs_as(self.raw[("", name)], merged), self._refs_as(self.raw[("v2", name)], merged))}
            if agree == merged:
                break
            merged = agree
        taken = {name for _, name in self.raw}
        names: dict[Key, str] = {}
        for ns, name in sorted(self.raw):
            if ns == "" and name in clashes - merged:
                names[(ns, name)] = self._free_name([f"V1{name}", f"Legacy{name}", f"Root{name}"], taken, self._pointer((ns, name)))
                taken.add(names[(ns, name)])
            else:
                names[(ns, name)] = name if IDENTIFIER.match(name) else pascal(name)
        return names

    def _free_name(self, candidates: list[str], taken: set[str], pointer: str) -> str:
        for candidate in candidates:
            if candidate not in taken:
                return candidate
        raise InputError(self.file, f"cannot name this definition: {', '.join(candidates)} are all taken", pointer)

    def _refs_as(self, node: Any, merged: set[str]) -> Any:
        """References spelled namespace-free for the names assumed merged (for comparison only)."""
        if isinstance(node, dict):
            out = {k: self._refs_as(v, merged) for k, v in node.items()}
            ref = node.get("$ref")
            if isinstance(ref, str):
                ns, name = self._ref_key(ref, "")
                out["$ref"] = name if name in merged else f"{ns}/{name}"
            return out
        if isinstance(node, list):
            return [self._refs_as(v, merged) for v in node]
        return node

    def _ref_key(self, ref: str, pointer: str) -> Key:
        if ref.startswith("#/definitions/v2/"):
            return ("v2", ref[len("#/definitions/v2/") :])
        if ref.startswith("#/definitions/"):
            return ("", ref[len("#/definitions/") :])
        raise InputError(self.file, f"unsupported reference {ref!r} (only #/definitions/... )", pointer)

    # draft-07 -> 2020-12, references to final names

    def _convert(self, node: Any, pointer: str) -> Any:
        if isinstance(node, list):
            return [self._convert(v, pointer_join_raw(pointer, i)) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$schema":
                continue
            if key == "$ref":
                target = self._ref_key(value, pointer)
                if target not in self.names:
                    raise InputError(self.file, f"reference to `{value}`, which the export does not define", pointer + "/$ref")
                out[key] = f"#/$defs/{self.names[target]}"
            elif key == "properties" and isinstance(value, dict):
                out[key] = {p: self._convert(s, pointer + pointer_join("properties", p)) for p, s in value.items()}
            else:
                out[key] = self._convert(value, pointer_join_raw(pointer, key))
        return _unwrap_all_of(out)

    # synthetic definitions and methods

    def _reserve_synthetic(self) -> dict[str, str]:
        """Names the adapter adds (role -> name): `Threadloom` prefix when the export has the name."""
        roles = {"noParams": NO_PARAMS, "untyped": UNTYPED_RESULT, "client": CLIENT_MESSAGE, "server": SERVER_MESSAGE}
        return {role: name if name not in self.defs else f"Threadloom{name}" for role, name in roles.items()}

    def _methods(self, stable_methods: set[str] | None, reserved: dict[str, str]) -> list[dict[str, Any]]:
        table: list[dict[str, Any]] = []
        taken = set(self.defs)
        for union, (direction, kind) in METHOD_UNIONS.items():
            union_schema = self.raw[("", union)]
            base = self._convert({k: v for k, v in union_schema.items() if k in ("properties", "required")}, pointer_join("definitions", union))
            variants = []
            for method, variant, pointer in _union_methods(self.bundle, union, self.file):
                envelope = pascal(method) + ("Request" if kind is Kind.REQUEST else "Notification")
                envelope = envelope if envelope not in taken else envelope + "Message"
                if envelope in taken:
                    raise InputError(self.file, f"cannot name the envelope of `{method}`: `{envelope}` is taken", pointer)
                taken.add(envelope)
                schema = _merge_base(self._convert(variant, pointer), base)
                schema["properties"]["method"] = {"const": method, "type": "string"}
                params = self._params(schema, reserved)
                self.defs[envelope] = schema
                self.source[envelope] = pointer
                variants.append({"$ref": f"#/$defs/{envelope}"})
                entry: dict[str, Any] = {
                    "method": method,
                    "direction": direction.value,
                    "kind": kind.value,
                    "params": f"#/$defs/{params}",
                    "since": 1,
                    "stability": "experimental" if stable_methods is not None and method not in stable_methods else "stable",
                    "area": method.split("/", 1)[0] if "/" in method else "general",
                    "description": " ".join(str(variant.get("description", "")).split()) or f"`{method}` ({union}).",
                }
                if kind is Kind.REQUEST:
                    entry["result"] = f"#/$defs/{self._result(method, params, pointer, reserved)}"
                    entry["errors"] = []
                table.append(entry)
            description = union_schema.get("description") or f"Every {union} of the export, tagged by `method`."
            self.defs[union] = {"description": description, "oneOf": variants, "discriminator": {"propertyName": "method"}}
        return table

    def _params(self, envelope: dict[str, Any], reserved: dict[str, str]) -> str:
        """The params definition of a method: a reference, a nullable reference, or none at all."""
        params = envelope["properties"].get("params")
        if isinstance(params, dict) and "$ref" in params:
            return str(params["$ref"]).rsplit("/", 1)[-1]
        refs = [o["$ref"] for o in params.get("anyOf", []) if isinstance(o, dict) and "$ref" in o] if isinstance(params, dict) else []
        if len(refs) == 1:
            return str(refs[0]).rsplit("/", 1)[-1]  # optional or null on the wire, the object when sent
        if params is not None:
            envelope["properties"]["params"] = {"$ref": f"#/$defs/{reserved['noParams']}"}
        return reserved["noParams"]

    def _result(self, method: str, params: str, pointer: str, reserved: dict[str, str]) -> str:
        if method in self.overrides:
            override, table = self.overrides[method]
            for ns in ("v2", ""):
                if (ns, override) in self.raw:
                    return self.names[(ns, override)]
            message = f"`{method}` is said to return `{override}`, which {self.file.name} does not define"
            raise InputError(table, message, pointer_join("results", method), "name a type of this export")
        origin = next((key for key, name in self.names.items() if name == params), None)
        if origin and origin[1].endswith("Params"):
            response = origin[1][: -len("Params")] + "Response"
            for ns in (origin[0], "v2", ""):
                if (ns, response) in self.raw:
                    return self.names[(ns, response)]
        self.notes.append(
            _note(
                self.file,
                pointer,
                "codex-untyped-result",
                f"the result of `{method}` is not in the export and no override names it: typed as any JSON value",
                f'name its type in a results table: `"results": "FILE"` in {MARKER} beside the bundle, FILE holding {{"results": {{"{method}": "TypeName"}}}}',
            )
        )
        return reserved["untyped"]

    # unions, enums and inline objects

    def _shape(self, name: str, schema: Any, root: bool, at: str) -> Any:
        """Enums from string alternatives, tagged unions, and every inline object or enum lifted.
        `at` is where the schema sits in the export (for notes and errors)."""
        if not isinstance(schema, dict):
            return schema
        key = "oneOf" if isinstance(schema.get("oneOf"), list) else "anyOf" if isinstance(schema.get("anyOf"), list) else None
        if key and root:
            return self._shape_union(name, schema, key, at)
        return self._lift_children(name, schema, at)

    def _shape_union(self, name: str, schema: dict[str, Any], key: str, at: str) -> dict[str, Any]:
        options = [_merge_base(o, schema) if _is_object(o) else o for o in schema[key]]
        rest = {k: v for k, v in schema.items() if k not in (key, "properties", "required", "type")}
        where = [pointer_join_raw(pointer_join_raw(at, key), index) for index in range(len(options))]
        if options and all(_is_string_enum(o) for o in options):
            return {**rest, "type": "string", "enum": _enum_values(options), "description": _enum_description(schema, options)}
        tag = _common_tag(options)
        if tag:
            names = [self._lift(_const_tag(o, tag), self._variant_names(name, o, tag, options), where[i]) for i, o in enumerate(options)]
            return {**rest, "oneOf": [{"$ref": f"#/$defs/{n}"} for n in names], "discriminator": {"propertyName": tag}}
        flattened = _flatten_shapes(schema, key)
        if flattened is not None:
            return self._lift_children(name, flattened, at)
        strings = [o for o in options if _is_string_enum(o)]
        shaped: list[Any] = []
        if strings and len(strings) < len(options):
            enum = {"type": "string", "enum": _enum_values(strings), "description": _enum_description({}, strings)}
            shaped.append({"$ref": f"#/$defs/{self._lift(enum, [f'{name}Value', f'{name}Keyword'], pointer_join_raw(at, key))}"})
        for index, option in enumerate(options):
            if strings and len(strings) < len(options) and any(option is s for s in strings):
                continue
            if _is_object(option) and option.get("properties"):
                shaped.append({"$ref": f"#/$defs/{self._lift(option, self._variant_names(name, option, None, options), where[index])}"})
            else:
                shaped.append(self._lift_children(name, option, where[index]))
        self._note_untagged(name, shaped, at)
        return {**rest, key: shaped}

    def _note_untagged(self, name: str, options: list[Any], at: str) -> None:
        """Objects with no tag between them: a fact of the export a client author should know."""
        objects = [ref_name(o["$ref"]) for o in options if isinstance(o, dict) and "$ref" in o and _is_object(self.defs.get(ref_name(o["$ref"])))]
        if len(objects) < 2 or len(objects) != len(options):
            return
        self.notes.append(
            _note(
                self.file,
                at,
                "codex-untagged-union",
                f"`{name}` is a union of objects without a tag ({', '.join(f'`{o}`' for o in objects)}): decoders tell its members apart by shape",
                "",
                Level.INFO,
            )
        )

    def _variant_names(self, parent: str, option: dict[str, Any], tag: str | None, options: list[Any]) -> list[str]:
        """Readable names for an inline variant, best first: its title, its tag and the parent, the
        single key of an externally tagged variant, a property only it requires; never a number."""
        names: list[str] = []
        title = option.get("title")
        if isinstance(title, str) and title and not _placeholder_title(title_name(title), parent, tag):
            names += [title_name(title), parent + title_name(title)]
        if tag:
            value = _tag_value(option["properties"][tag]) or ""
            names += [pascal(value.replace("/", " slash ")) + parent, pascal(spelled(value)) + parent]
        props = list(option.get("properties", {}))
        if len(props) == 1:
            names.append(pascal(props[0]) + parent)
        others = [o for o in options if o is not option and _is_object(o)]
        own = sorted(p for p in option.get("required", props) if not any(p in o.get("required", []) for o in others))
        names += [pascal(p) + parent for p in own]
        names.append(parent + "Object")
        return [n for n in names if n]

    def _lift_children(self, owner: str, schema: dict[str, Any], at: str) -> dict[str, Any]:
        out = dict(schema)
        props = schema.get("properties")
        if isinstance(props, dict):
            out["properties"] = {p: self._lift_inline(_member_name(owner, p), s, at + pointer_join("properties", p)) for p, s in props.items()}
        for key, suffix in (("items", "Item"), ("additionalProperties", "Value")):
            if isinstance(schema.get(key), dict):
                out[key] = self._lift_inline(owner + suffix, schema[key], pointer_join_raw(at, key))
        for key in ("oneOf", "anyOf", "allOf"):
            if isinstance(schema.get(key), list):
                objects = [o for o in schema[key] if _is_object(o) and o.get("properties")]
                several = len(objects) > 1
                out[key] = [
                    self._lift_option(owner, o, schema[key], at + pointer_join(key, i))
                    if several and any(o is x for x in objects)
                    else self._lift_inline(owner, o, at + pointer_join(key, i))
                    for i, o in enumerate(schema[key])
                ]
        return out

    def _lift_option(self, owner: str, option: dict[str, Any], options: list[Any], at: str) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{self._lift(option, self._variant_names(owner, option, None, options), at)}"}

    def _lift_inline(self, hint: str, schema: Any, at: str) -> Any:
        """A property's (or item's) schema: an inline object with properties or a multi-value enum
        becomes a definition named after where it sits (`<Owner><Property>`); a one-value enum is
        the constant it is."""
        if not isinstance(schema, dict):
            return schema
        if _is_nullable_string_enum(schema):
            values = [v for v in schema["enum"] if v is not None]
            enum = {**{k: v for k, v in schema.items() if k not in ("enum", "type", "default")}, "type": "string", "enum": values}
            doc = {k: schema[k] for k in ("default",) if k in schema}
            return {"anyOf": [{"$ref": f"#/$defs/{self._lift(enum, [hint], at)}"}, {"type": "null"}], **doc}
        if (_is_object(schema) and schema.get("properties")) or (_is_string_enum(schema) and len(schema["enum"]) > 1):
            title = schema.get("title")
            names = [title_name(title), hint] if isinstance(title, str) and title else [hint]
            doc = {k: schema[k] for k in ("description", "default") if k in schema}
            return {"$ref": f"#/$defs/{self._lift(schema, names, at)}", **doc}
        if isinstance(schema.get("enum"), list) and len(schema["enum"]) == 1 and "const" not in schema:
            constant = {k: v for k, v in schema.items() if k != "enum"}
            return {**constant, "const": schema["enum"][0]}  # `{"enum": [1]}` (a format version) means exactly 1
        return self._lift_children(hint, schema, at)

    def _lift(self, schema: dict[str, Any], candidates: list[str], at: str) -> str:
        """Claim the first free name, or one already holding the same schema; then shape inside."""
        for name in candidates:
            if name not in self.defs:
                self.origin[name] = schema
                self.defs[name] = {}  # claimed before recursing: nested lifts must not take it
                self.defs[name] = self._shape(name, schema, True, at)
                return name
            if name in self.origin and _same(self.origin[name], schema):
                return name
        raise InputError(self.file, f"cannot name an inline schema: {', '.join(candidates)} are all taken", at)

    def _drop_titles(self) -> None:
        """Titles were naming material; left in place they would rename generated classes."""
        for name, schema in self.defs.items():
            self.defs[name] = _without_titles(schema)

    # the document

    def _assemble(self, methods: list[dict[str, Any]], reserved: dict[str, str]) -> dict[str, Any]:
        defs = self.defs
        defs[reserved["noParams"]] = {"type": "null", "description": "No params: the member is omitted or null."}
        defs[reserved["untyped"]] = {"description": "A result the export does not describe: any JSON value (see the `codex-untyped-result` note)."}
        answers = [{"$ref": f"#/$defs/{n}"} for n in (RESPONSE, ERROR_RESPONSE) if n in defs]
        writers = (("client", "a client", ("ClientRequest", "ClientNotification")), ("server", "the server", ("ServerRequest", "ServerNotification")))
        for role, writer, unions in writers:
            defs[reserved[role]] = {"description": f"Any message {writer} writes.", "anyOf": [*({"$ref": f"#/$defs/{u}"} for u in unions), *answers]}
        header: dict[str, Any] = {
            "name": PROTOCOL_NAME,
            "version": 1,
            "messages": {"clientToServer": f"#/$defs/{reserved['client']}", "serverToClient": f"#/$defs/{reserved['server']}"},
            "transports": {"stdio": {"framing": "jsonl"}},
            "framing": {"jsonrpcMember": False, "notificationExtras": sorted(self._notification_extras())},
            "handshake": self._handshake(),
        }
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": str(self.bundle.get("title") or "Codex App Server protocol"),
            "x-protocol": header,
            "x-methods": methods,
            "x-errors": [],
            "anyOf": [{"$ref": header["messages"]["clientToServer"]}, {"$ref": header["messages"]["serverToClient"]}],
            "$defs": dict(sorted(defs.items())),
        }

    def _notification_extras(self) -> set[str]:
        """Members the export declares on every server notification besides `method` and `params`."""
        return set(self.raw[("", "ServerNotification")].get("properties", {})) - {"method", "params"}

    def _handshake(self) -> dict[str, Any]:
        """initialize / initialized, no version negotiation; the capability flags only where the
        export's `InitializeParams.capabilities` has them (0.100.0 already does; a release without
        them gets a handshake without them, not pointers to nothing)."""
        handshake: dict[str, Any] = {"method": "initialize", "initialized": "initialized"}
        members = self._capabilities()
        if "experimentalApi" in members:
            handshake["experimentalOptIn"] = "/capabilities/experimentalApi"
        if "optOutNotificationMethods" in members:
            handshake["optOutNotifications"] = "/capabilities/optOutNotificationMethods"
        return handshake

    def _capabilities(self) -> dict[str, Any]:
        """The members of the object `InitializeParams.capabilities` refers to (maybe nullable)."""
        params = self._raw_named("InitializeParams")
        capabilities = params.get("properties", {}).get("capabilities") if params else None
        options = [capabilities, *capabilities.get("anyOf", [])] if isinstance(capabilities, dict) else []
        for option in options:
            if isinstance(option, dict) and isinstance(option.get("$ref"), str):
                target = self.raw.get(self._ref_key(option["$ref"], ""), {})
                members = target.get("properties")
                return members if isinstance(members, dict) else {}
        return {}

    def _raw_named(self, name: str) -> dict[str, Any] | None:
        return next((self.raw[k] for k in (("v2", name), ("", name)) if k in self.raw), None)


# -- schema helpers ----------------------------------------------------------------------------


def pointer_join_raw(base: str, part: object) -> str:
    return base + pointer_join(part)


def _unwrap_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    """schemars writes `{"allOf": [{"$ref": X}], "description": ...}` because draft-07 ignores
    siblings of `$ref`; 2020-12 does not, so the wrapper goes."""
    parts = schema.get("allOf")
    if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict) and set(parts[0]) == {"$ref"} and "$ref" not in schema:
        return {**{k: v for k, v in schema.items() if k != "allOf"}, "$ref": parts[0]["$ref"]}
    return schema


def _is_object(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "object" or "properties" in schema) and "$ref" not in schema


def _is_string_enum(schema: Any) -> bool:
    return isinstance(schema, dict) and isinstance(schema.get("enum"), list) and all(isinstance(v, str) for v in schema["enum"]) and "properties" not in schema


def _is_nullable_string_enum(schema: dict[str, Any]) -> bool:
    """`{"type": ["string", "null"], "enum": ["a", "b", null]}`: an enum and a null, kept apart."""
    values = schema.get("enum")
    return isinstance(values, list) and None in values and len(values) > 2 and all(isinstance(v, str) for v in values if v is not None)


def _enum_values(options: list[Any]) -> list[str]:
    return [value for option in options for value in option["enum"]]


def _enum_description(schema: dict[str, Any], options: list[Any]) -> str:
    """The alternatives' own descriptions survive as a list under the enum's."""
    lines = [str(schema.get("description", "")).strip()] if schema.get("description") else []
    lines += [f"- `{o['enum'][0]}`: {' '.join(str(o['description']).split())}" for o in options if o.get("description") and len(o["enum"]) == 1]
    return "\n".join(lines)


def _tag_value(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    values = schema.get("enum")
    if isinstance(values, list) and len(values) == 1 and isinstance(values[0], str):
        return values[0]
    const = schema.get("const")
    return str(const) if isinstance(const, str) else None


def _common_tag(options: list[Any]) -> str | None:
    """The property every option requires with a one-value string, distinct per option."""
    if len(options) < 1 or not all(_is_object(o) for o in options):
        return None
    shared = set.intersection(*(set(o.get("required", [])) & set(o.get("properties", {})) for o in options))
    candidates = sorted(shared, key=lambda p: (TAG_PREFERENCE.index(p) if p in TAG_PREFERENCE else len(TAG_PREFERENCE), p))
    for prop in candidates:
        values = [_tag_value(o["properties"][prop]) for o in options]
        if all(values) and len(set(values)) == len(values):
            return str(prop)
    return None


def _const_tag(option: dict[str, Any], tag: str) -> dict[str, Any]:
    out = copy.copy(option)
    prop = option["properties"][tag]
    doc = {"description": prop["description"]} if "description" in prop else {}
    out["properties"] = {**option["properties"], tag: {"const": _tag_value(prop), "type": "string", **doc}}
    return out


def _merge_base(option: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """`{properties: P, oneOf: [V...]}` (serde's flattened enums) means every V also has P."""
    shared = base.get("properties")
    if not isinstance(shared, dict) or not shared:
        return copy.copy(option)
    merged = copy.copy(option)
    merged["properties"] = {**shared, **option.get("properties", {})}
    required = [*option.get("required", []), *(r for r in base.get("required", []) if r not in option.get("required", []))]
    if required:
        merged["required"] = required
    merged.setdefault("type", "object")
    return merged


SHAPE_KEYWORDS = {"type", "properties", "required", "title", "description"}


def _flatten_shapes(schema: dict[str, Any], key: str) -> dict[str, Any] | None:
    """serde's untagged enum flattened into a variant: `{properties: P, anyOf: [{url}, {fileId}]}`
    (an image given by URL or by file id) is one object with P and every alternative's members
    optional. That one of the alternatives must be there stays a validation rule, spelled
    `not: {allOf: [{not: {required: [url]}}, ...]}` ("not missing them all", the same as `anyOf`
    of what each requires) because code generators take an `anyOf` for variants and would split
    the object into numbered classes, while they leave `not` to validators. None when flattening
    would say something else: no shared members, an exclusive `oneOf`, alternatives that are not
    plain objects or that give one member two schemas."""
    base = schema.get("properties")
    options = schema[key]
    if key != "anyOf" or not isinstance(base, dict) or not base or not all(_is_object(o) and set(o) <= SHAPE_KEYWORDS for o in options):
        return None
    members = dict(base)
    for option in options:
        for member, sub in option.get("properties", {}).items():
            if member in members and not _same(members[member], sub):
                return None
            members.setdefault(member, sub)
    required = [o.get("required", []) for o in options]
    out = {k: v for k, v in schema.items() if k not in (key, "properties")}
    out.update(type="object", properties=members)
    if all(required):  # an alternative requiring nothing makes the choice no constraint at all
        choices = " or ".join(" and ".join(f"`{m}`" for m in r) for r in required)
        out["description"] = "\n\n".join(filter(None, [str(schema.get("description", "")).strip(), f"Carries {choices}."]))
        out["not"] = {"allOf": [{"not": {"required": r}} for r in required]}
    return out


def _without_titles(node: Any) -> Any:
    return _without(node, ("title",))


def summary(protocol: Protocol) -> dict[str, Any]:
    """Figures for reports and benchmarks."""
    counts = {f"{d.value}/{k.value}": len(protocol.methods_by(d, k)) for d in Direction for k in Kind}
    return {"release": protocol.release, "definitions": len(protocol.definitions), "methods": counts}


def dumps(protocol: Protocol) -> str:
    return json.dumps(protocol.document, indent=2)
