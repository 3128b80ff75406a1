"""The files around the TypeScript types that make them a complete npm package for any protocol.

`typescript.generate_package` assembles the package; this module renders everything but the types:
package.json (depending on the protocol-agnostic runtime `@threadloom/runtime`), tsconfig.json,
README.md, the `src/index.ts` and `src/stdio.ts` entries, and per version the runtime tables
(`PROTOCOL`: methods, errors, handshake, framing, transports) and the typed client class. Nothing
here knows any protocol's names: they all come from the model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from threadloom.errors import InputError
from threadloom.generate import GENERATED_MARKER
from threadloom.jsonio import read_json
from threadloom.model import Direction, Handshake, Kind, Protocol, ref_name

RUNTIME_PACKAGE = "@threadloom/runtime"
RUNTIME_RANGE = "^0.1.0"
TYPESCRIPT_VERSION = "7.0.2"
TYPES_NODE_VERSION = "20.19.43"
# A hand-written file next to the generated package.json whose members are merged into it (extra
# scripts, dev dependencies, a local path for the runtime).
EXTRA_MANIFEST = "package.extra.json"
# Likewise a hand-written README.extra.md is appended to the generated README.md.
EXTRA_README = "README.extra.md"
REGENERATE = "threadloom generate typescript"  # the default; a run names its own full command
NPM_NAME = re.compile(r"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")


def client_class_name(protocol: Protocol) -> str:
    """`todo-agent` -> `TodoAgentClient`."""
    words = re.split(r"[^A-Za-z0-9]+", protocol.name)
    name = "".join(word[:1].upper() + word[1:] for word in words if word) + "Client"
    return name if re.match(r"^[A-Za-z_]", name) else f"Protocol{name}"


def check_package_name(name: str) -> None:
    if not NPM_NAME.match(name) or len(name) > 214:
        raise InputError("threadloom generate", f"`{name}` is not a valid npm package name", hint="lower case, e.g. `@acme/todo-client` or `todo-client`")


# --- package.json, tsconfig.json, README.md -----------------------------------------------------


def render_manifest(protocols: list[Protocol], package: str, version: str, out: Path, command: str = REGENERATE) -> str:
    newest = protocols[-1]
    exports: dict[str, Any] = {".": _entry("index"), "./stdio": _entry("stdio")}
    exports |= {f"./{p.label}": _entry(p.label) for p in protocols}
    manifest: dict[str, Any] = {
        "//": f"{GENERATED_MARKER} -- DO NOT EDIT. Regenerate with: {command} (add members in {EXTRA_MANIFEST})",
        "name": package,
        "version": version,
        "description": f"Typed TypeScript client for {newest.document.get('title', newest.name)} ({', '.join(p.label for p in protocols)}).",
        "type": "module",
        "main": "./dist/src/index.js",
        "types": "./dist/src/index.d.ts",
        "exports": exports,
        "files": ["dist/src", "README.md"],
        "engines": {"node": ">=20"},
        "scripts": {
            "clean": "node -e \"require('node:fs').rmSync('dist', {recursive: true, force: true})\"",
            "build": "npm run clean && tsc -p tsconfig.json",
            "prepack": "npm run build",
        },
        "dependencies": {RUNTIME_PACKAGE: RUNTIME_RANGE},
        "devDependencies": {"@types/node": TYPES_NODE_VERSION, "typescript": TYPESCRIPT_VERSION},
    }
    extra = out / EXTRA_MANIFEST
    if extra.is_file():
        manifest = _merge(manifest, read_json(extra))
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def _entry(module: str) -> dict[str, str]:
    return {"types": f"./dist/src/{module}.d.ts", "default": f"./dist/src/{module}.js"}


def _merge(base: dict[str, Any], extra: Any) -> dict[str, Any]:
    """Members of `extra` win; objects are merged one level deep (scripts, dependencies)."""
    merged = dict(base)
    for key, value in extra.items() if isinstance(extra, dict) else ():
        current = merged.get(key)
        merged[key] = {**current, **value} if isinstance(current, dict) and isinstance(value, dict) else value
    return merged


TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "NodeNext",
        "moduleResolution": "NodeNext",
        "lib": ["ES2022", "DOM", "DOM.Iterable"],
        "types": ["node"],
        "strict": True,
        "noUncheckedIndexedAccess": True,
        "exactOptionalPropertyTypes": True,
        "noImplicitOverride": True,
        "noFallthroughCasesInSwitch": True,
        "noUnusedLocals": True,
        "noUnusedParameters": True,
        "verbatimModuleSyntax": True,
        "isolatedModules": True,
        "forceConsistentCasingInFileNames": True,
        "declaration": True,
        "sourceMap": True,
        "rootDir": ".",
        "outDir": "dist",
        "skipLibCheck": False,
    },
    # test/ is the package owner's (hand-written tests, if any); only src/ is published.
    "include": ["src/**/*.ts", "test/**/*.ts"],
}


def render_tsconfig(command: str = REGENERATE) -> str:
    return _banner(command) + json.dumps(TSCONFIG, indent=2) + "\n"


def render_readme(protocols: list[Protocol], package: str, client_class: str, out: Path, command: str = REGENERATE) -> str:
    newest = protocols[-1]
    title = newest.document.get("title", newest.name)
    handshake = newest.handshake.method if newest.handshake else None
    request = next((m for m in newest.methods_by(Direction.CLIENT_TO_SERVER, Kind.REQUEST) if m.name != handshake), None)
    transports = newest.transports or {}
    lines = [
        f"<!-- {GENERATED_MARKER} -- DO NOT EDIT. Regenerate with: {command} -->",
        f"# {package}",
        "",
        f"TypeScript types and a typed client for **{title}** (protocol `{newest.name}`, versions {', '.join(p.label for p in protocols)}),",
        f"generated by Threadloom from the protocol document. It runs on `{RUNTIME_PACKAGE}` (Threadloom's bindings/runtime/typescript), the",
        "protocol-agnostic JSON-RPC runtime (client, stdio and HTTP + SSE transports), its only dependency.",
        "",
        "## Install",
        "",
        "Neither package is on npm: pack the runtime from a Threadloom checkout, then this package (its build needs the runtime).",
        "",
        "```sh",
        "cd <threadloom checkout>/bindings/runtime/typescript && npm ci && npm pack   # threadloom-runtime-<version>.tgz",
        "cd <this folder> && npm install --no-save <runtime .tgz> && npm pack",
        "cd <your app> && npm install <runtime .tgz> <package .tgz>",
        "```",
        "",
        "## Use",
        "",
        "```ts",
        f'import {{ {client_class} }} from "{package}";',
        f'import {{ StdioTransport }} from "{package}/stdio";',
        "",
        f"const client = await {client_class}.connect({{",
        '  transport: new StdioTransport({ command: "your-server", args: [] }),',
    ]
    if newest.handshake is not None:
        lines.append(f"  // plus the params of `{newest.handshake.method}` (the version offer is filled in for you)")
    lines += ["});"]
    if request is not None:
        lines.append(f"const result = await client.request({json.dumps(request.name)}, {{ /* {ref_name(request.params)} */ }});")
    lines += [
        "await client.close();",
        "```",
        "",
        f"- `{client_class}` is the newest version's client; `{package}/<version>` (e.g. `{package}/{protocols[0].label}`) has each",
        "  version's types, method maps (`ClientRequestMethods`, ...), tables (`METHODS`, `ERRORS`, `PROTOCOL`) and client.",
        "- `client.request(method, params)`, `client.call.<camelCaseMethod>(params)`, `client.on(notification, listener)`,",
        "  `client.handle(serverRequest, handler)`; errors are `RpcError` (`error.is(name)`), `ConnectionClosedError`,",
        "  `RequestTimeoutError`, `MessageTooLargeError`. See the runtime's README for the whole API.",
        f"- Transports: {', '.join(f'`{name}`' for name in transports) or 'none declared'}"
        + (" (`HttpSseTransport` from the package entry, in browsers too)." if "http" in transports else "."),
        "- Open unions and enums have an explicit unknown member: values added by a newer server reach `default:`",
        "  at run time, and a typo against a known literal does not compile.",
        "",
    ]
    extra = out / EXTRA_README
    return "\n".join(lines) + (f"\n{extra.read_text(encoding='utf-8')}" if extra.is_file() else "")


# --- src/index.ts, src/stdio.ts ---------------------------------------------------------------


def render_index(protocols: list[Protocol], client_class: str) -> str:
    newest = protocols[-1].label
    out = [_banner(), "// The package entry: every version as a namespace, the newest version's client, and the runtime."]
    out += [f"export * as {p.label} from './{p.label}.js';" for p in protocols]
    out += [f"export {{ {client_class}, PROTOCOL }} from './{newest}.js';", f"export * from '{RUNTIME_PACKAGE}';"]
    return "\n".join(out) + "\n"


def render_stdio_entry() -> str:
    return _banner() + "// The stdio transport (Node only).\n" + f"export * from '{RUNTIME_PACKAGE}/stdio';\n"


def _banner(command: str = REGENERATE) -> str:
    return f"// {GENERATED_MARKER} -- DO NOT EDIT.\n// Regenerate with: {command}\n"


# --- per version: the runtime tables and the client class ---------------------------------------


def render_runtime_part(protocol: Protocol, client_class: str, versions: list[int], handshake: Handshake | None) -> list[str]:
    """`PROTOCOL` (what the runtime reads at run time) and the version's typed client."""
    table = {
        "name": protocol.name,
        "version": protocol.version,
        "versions": versions,
        "handshake": handshake_info(protocol, handshake),
        "framing": {"jsonrpcMember": protocol.framing.jsonrpc_member, "notificationExtras": list(protocol.framing.notification_extras)},
    }
    body = ", ".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in table.items())
    return [
        "/** What the runtime needs at run time: tables, handshake, framing and transports of this version. */",
        f"export const PROTOCOL = {{ {body}, transports: TRANSPORTS, methods: METHODS, errors: ERRORS }} as const satisfies runtime.ProtocolInfo;",
        "",
        f"/** A client speaking this version (and offering the older ones: {', '.join(f'v{v}' for v in versions)}). */",
        f"export class {client_class} extends runtime.Client<Spec> {{",
        "  constructor(options: runtime.ClientOptions) {",
        "    super(PROTOCOL, options);",
        "  }",
        "",
        "  /** Create a client, connect its transport, and perform the protocol's handshake, if it has one. */",
        f"  static connect(options: runtime.ConnectOptions<Spec>): Promise<{client_class}> {{",
        f"    return new {client_class}(options).open(options);",
        "  }",
        "}",
        "",
    ]


def effective_handshake(protocol: Protocol, newer: list[Protocol]) -> Handshake | None:
    """A version's own handshake; a version without one (e.g. frozen before handshakes were declared)
    uses the nearest newer version's, if its method exists here: that is how a newer server expects
    this version's clients to open a connection. Fields missing from this version are dropped by
    `handshake_info`."""
    if protocol.handshake is not None:
        return protocol.handshake
    inherited = next((p.handshake for p in newer if p.handshake is not None), None)
    return inherited if inherited is not None and protocol.method(inherited.method) is not None else None


def handshake_info(protocol: Protocol, handshake: Handshake | None) -> dict[str, Any] | None:
    if handshake is None:
        return None
    method = protocol.method(handshake.method)
    if method is None:
        return None
    params = {"$ref": method.params}
    result = {"$ref": method.result} if method.result else None
    offer = _schema_at(protocol, params, handshake.version_offer)
    initialized = handshake.initialized if handshake.initialized and protocol.method(handshake.initialized) else None
    return {
        "method": handshake.method,
        "initialized": initialized,
        "versionOffer": handshake.version_offer if offer is not None else None,
        "versionOfferIsList": isinstance(offer, dict) and offer.get("type") == "array",
        "versionChosen": handshake.version_chosen if _schema_at(protocol, result, handshake.version_chosen) is not None else None,
        "experimentalOptIn": handshake.experimental_opt_in if _schema_at(protocol, params, handshake.experimental_opt_in) is not None else None,
        "optOutNotifications": handshake.opt_out_notifications if _schema_at(protocol, params, handshake.opt_out_notifications) is not None else None,
    }


def _schema_at(protocol: Protocol, schema: Any, pointer: str | None) -> Any:
    """The schema of the member a JSON pointer names inside values of `schema`, or None."""
    if schema is None or pointer is None:
        return None
    current = _resolve(protocol, schema)
    for token in pointer.split("/")[1:] if pointer else []:
        properties = current.get("properties", {}) if isinstance(current, dict) else {}
        name = token.replace("~1", "/").replace("~0", "~")
        if name not in properties:
            return None
        current = _resolve(protocol, properties[name])
    return current


def _resolve(protocol: Protocol, schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema and ref_name(schema["$ref"]) in protocol.definitions:
        schema = protocol.definitions[ref_name(schema["$ref"])].schema
    return schema
