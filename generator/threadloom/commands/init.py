"""`threadloom init DIR`: a minimal, working protocol to start from.

It writes `DIR/protocol/v1/protocol.json` in the minimal authored form (header, method table,
error table, types: the JSON-RPC envelopes are derived), one example per kind of value,
`DIR/threadloom.gen.json` and a short `DIR/README.md`, so that `threadloom check` and
`threadloom generate` work from DIR at once. The example protocol has one of everything a real one
needs: client requests, a notification, a server->client request that a client request triggers
(`task/remove` asks `task/confirm`), a typed error, a tagged union and an open enum.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click

from threadloom.errors import InputError

NAME = re.compile(r"^[a-z][a-z0-9-]*$")


@click.command(name="init")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--name", help="Protocol name, lowercase with dashes (default: from DIR, e.g. todo-agent).")
def command(directory: Path, name: str | None) -> None:
    """Write a minimal working protocol into DIRECTORY (which must be empty or new)."""
    from threadloom.jsonio import dumps_stable

    name = name or _name_from(directory)
    if not NAME.match(name):
        raise InputError("--name", f"`{name}` is not a protocol name", hint="lowercase letters, digits and dashes, starting with a letter, e.g. todo-agent")
    if directory.exists() and any(directory.iterdir()):
        raise InputError(directory, "is not empty", hint="init writes into a new or empty folder")
    files = scaffold(name)
    for relative, value in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value if isinstance(value, str) else dumps_stable(value), encoding="utf-8")
        click.echo(f"wrote {path}")
    # Quoted: the line is meant to be pasted into a shell, and a folder name may hold spaces.
    click.echo(f"next: cd {shlex.quote(str(directory))} && threadloom check && threadloom generate   (then see {directory / 'README.md'})", err=True)


def _name_from(directory: Path) -> str:
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", directory.resolve().name).lower())
    name = "-".join(words)
    return name if NAME.match(name) else "my-protocol"


def scaffold(name: str) -> dict[str, Any]:
    """Every file `init` writes, keyed by path relative to DIR."""
    version = "protocol/v1"
    return {
        f"{version}/protocol.json": document(name),
        f"{version}/examples/Task/open-task.json": {"id": "t1", "status": "open", "content": {"type": "text", "text": "Write the docs"}},
        f"{version}/examples/TaskAddRequest/add-a-link.json": {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "task/add",
            "params": {"content": {"type": "link", "url": "https://example.com/spec", "title": "The spec"}},
        },
        "threadloom.gen.json": {
            "$comment": "What `threadloom generate` writes; paths are relative to this file. Rename the packages here.",
            "protocol": "protocol",
            "targets": [
                {"target": "python", "out": "generated/python", "package": name.replace("-", "_")},
                {"target": "typescript", "out": "generated/typescript", "package": name},
            ],
        },
        "README.md": readme(name),
    }


def readme(name: str) -> str:
    """The project's README: what each file is and the commands from here to a running client."""
    return f"""# {name}

A JSON-RPC protocol authored with Threadloom.

- `protocol/v1/protocol.json`: the protocol. You write its method table (`x-methods`), error table
  (`x-errors`) and types (`$defs`); the JSON-RPC envelopes and direction unions are derived.
- `protocol/v1/examples/<Type>/*.json`: example values; `threadloom check` validates each against its type.
- `threadloom.gen.json`: what `threadloom generate` writes (targets, output folders, package names).

```sh
threadloom check                  # lint; exit 1 with findings
threadloom generate               # generated/python and generated/typescript
# Python: the runtime and this package, into your virtual environment
pip install <threadloom checkout>/bindings/runtime/python ./generated/python
# TypeScript: pack the runtime, then this package (its build needs the runtime), install both
cd <threadloom checkout>/bindings/runtime/typescript && npm ci && npm pack   # threadloom-runtime-<version>.tgz
cd <this folder>/generated/typescript && npm install --no-save <runtime .tgz> && npm pack
cd <your app> && npm install <runtime .tgz> <package .tgz>
```

`generated/python/README.md` (a client, a server) and `generated/typescript/README.md` (a client) show the API.
A new version:
`threadloom freeze v1`, copy `protocol/v1` to `protocol/v2` (set `x-protocol.version` to 2) and edit
it; `check` then names every breaking change (declare the intended ones in `x-protocol.breaks`).
Threadloom's protocol/README.md documents the format.
"""


def _ref(definition: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{definition}"}


def _object(description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties, "required": required}


def document(name: str) -> dict[str, Any]:
    """A small task-list protocol: two client requests, a server notification, a server->client
    request, a tagged union (`TaskContent`), an open enum (`TaskStatus`) and one error."""
    text = {"type": "string", "description": "The task, in plain text."}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{name}, version 1",
        "description": "A task list shared between a client and an agent. Envelopes are derived from the method table.",
        "x-protocol": {"name": name, "version": 1},
        "x-methods": [
            _method("task/add", "clientToServer", "request", "TaskAdd", "Add a task; the server answers with the stored task.", errors=[]),
            _method("task/remove", "clientToServer", "request", "TaskRemove", "Remove a task, if the client agrees (`task/confirm`).", errors=["TaskNotFound"]),
            _method("task/changed", "serverToClient", "notification", "TaskChanged", "A task was added or changed."),
            _method("task/confirm", "serverToClient", "request", "TaskConfirm", "The server asks the client before it removes a task.", errors=[]),
        ],
        "x-errors": [{"code": -32010, "name": "TaskNotFound", "description": "No task has this id.", "data": "#/$defs/TaskNotFoundErrorData"}],
        "$defs": {
            "TaskStatus": {
                "type": "string",
                "description": "Where a task stands. Open: newer servers may add states.",
                "enum": ["open", "done"],
                "x-open": True,
            },
            "TextContent": _object("A task described in text.", {"type": {"const": "text", "description": "Always `text`."}, "text": text}, ["type", "text"]),
            "LinkContent": _object(
                "A task pointing at a web page.",
                {
                    "type": {"const": "link", "description": "Always `link`."},
                    "url": {"type": "string", "description": "The page."},
                    "title": {"type": "string", "description": "What to show instead of the address."},
                },
                ["type", "url"],
            ),
            "TaskContent": {
                "description": "What a task is about. Tagged by `type`; open: clients keep tasks of kinds they do not know.",
                "oneOf": [_ref("TextContent"), _ref("LinkContent")],
                "discriminator": {"propertyName": "type"},
                "x-open": True,
            },
            "Task": _object(
                "One task.",
                {"id": {"type": "string", "description": "Task id, chosen by the server."}, "status": _ref("TaskStatus"), "content": _ref("TaskContent")},
                ["id", "status", "content"],
            ),
            "TaskAddParams": _object("Parameters of `task/add`.", {"content": _ref("TaskContent")}, ["content"]),
            "TaskAddResult": _object("Result of `task/add`.", {"task": _ref("Task")}, ["task"]),
            "TaskRemoveParams": _object("Parameters of `task/remove`.", {"taskId": {"type": "string", "description": "The task."}}, ["taskId"]),
            "TaskRemoveResult": _object("Result of `task/remove`.", {"removed": {"type": "boolean", "description": "False: the client said no."}}, ["removed"]),
            "TaskChangedParams": _object("Parameters of `task/changed`.", {"task": _ref("Task")}, ["task"]),
            "TaskConfirmParams": _object(
                "Parameters of `task/confirm`.",
                {"task": _ref("Task"), "reason": {"type": "string", "description": "Why the server wants to remove it."}},
                ["task", "reason"],
            ),
            "TaskConfirmResult": _object("Result of `task/confirm`.", {"confirmed": {"type": "boolean", "description": "True: go ahead."}}, ["confirmed"]),
            "TaskNotFoundErrorData": _object(
                "Data of `TaskNotFound`.", {"taskId": {"type": "string", "description": "The id that was not found."}}, ["taskId"]
            ),
        },
    }


def _method(method: str, direction: str, kind: str, stem: str, description: str, errors: list[str] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "method": method,
        "direction": direction,
        "kind": kind,
        "params": f"#/$defs/{stem}Params",
        "area": method.split("/", 1)[0],
        "description": description,
    }
    if kind == "request":
        entry["result"] = f"#/$defs/{stem}Result"
        entry["errors"] = errors or []
    return entry
