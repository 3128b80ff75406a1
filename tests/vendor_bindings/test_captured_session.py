"""Messages captured from the real `codex app-server` 0.171.0 (offline, against the scripted model;
the session of tests/codex_live) decode with the Python models generated from that release's export,
and type-check as TypeScript literals of the generated types.

Notifications and server->client requests decode by their method's params type, responses by the
result type of the client request they answer. The one error response is the client's deliberate
unknown method (Codex answers -32600).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.codex_live.client import Message
from tests.codex_live.test_codex_offline import run_session
from tests.vendor_bindings.support import Generated, run_tsc
from threadloom_runtime.validation import validate

RELEASE = "0.171.0"
Typed = tuple[str, str, Any]  # (TypeScript type of the value, wire method, value)


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Message]]:
    """Every message of one session, with its direction ("c2s" | "s2c")."""
    workspace = tmp_path_factory.mktemp(f"codex-capture-{RELEASE}")
    return list(run_session(RELEASE, workspace)[0].captured)


def server_messages(captured: list[tuple[str, Message]]) -> tuple[list[Typed], list[Message]]:
    """Each server->client message with what types it (by method, or by the request it answers),
    and the error responses."""
    requests = {m["id"]: m["method"] for direction, m in captured if direction == "c2s" and "method" in m and "id" in m}
    typed: list[Typed] = []
    errors: list[Message] = []
    for direction, message in captured:
        if direction != "s2c":
            continue
        method = message.get("method")
        if method is not None:
            kind = "ServerRequestMethods" if "id" in message else "ServerNotificationMethods"
            typed.append((f"v1.{kind}[{json.dumps(method)}]['params']", method, message.get("params")))
        elif "error" in message:
            errors.append(message)
        else:
            answered = requests[message["id"]]
            typed.append((f"v1.ClientRequestMethods[{json.dumps(answered)}]['result']", answered, message["result"]))
    return typed, errors


def test_every_server_message_decodes_with_the_generated_python_models(captured: list[tuple[str, Message]], codex_171: Generated) -> None:
    methods = codex_171.module("v1", "methods").METHODS
    typed, errors = server_messages(captured)
    failures = []
    for ts_type, method, value in typed:
        info = methods[method]
        model = info.params if ts_type.endswith("['params']") else info.result
        try:
            validate(model, value)
        except Exception as failure:  # every failure is reported, with its message
            failures.append(f"{method}: {str(failure)[:300]}")
    assert failures == []
    assert len(typed) > 60
    kinds = {method for _, method, _ in typed}
    assert {"thread/started", "item/completed", "turn/completed", "item/commandExecution/requestApproval", "thread/start"} <= kinds
    assert [e["error"]["code"] for e in errors] == [-32600]


def test_a_wrong_model_is_refused(captured: list[tuple[str, Message]], codex_171: Generated) -> None:
    """The control: an item/completed does not decode as a turn/completed."""
    methods = codex_171.module("v1", "methods").METHODS
    typed, _ = server_messages(captured)
    item = next(value for _, method, value in typed if method == "item/completed")
    with pytest.raises(Exception, match="validation error"):
        validate(methods["turn/completed"].params, item)


def type_check_literals(generated: Generated, typed: list[Typed]) -> subprocess.CompletedProcess[str]:
    """tsc over one `export const mN: <type> = <literal>;` per message (plus a control that must fail)."""
    lines = ["// Messages of a real codex app-server session, as literals of the generated types.", "import type * as v1 from './v1.js';", ""]
    lines += [f"export const m{index}: {ts_type} = {json.dumps(value)};" for index, (ts_type, _, value) in enumerate(typed)]
    lines += ["", "// The control: a completed item is no completed turn.", "// @ts-expect-error wrong method's params"]
    item = next(value for _, method, value in typed if method == "item/completed")
    lines.append(f"export const wrong: v1.ServerNotificationMethods['turn/completed']['params'] = {json.dumps(item)};")
    check: Path = generated.ts_out / "src" / "captured.ts"
    check.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        return run_tsc(generated.ts_out)
    finally:
        check.unlink()


def test_every_server_message_type_checks_as_a_typescript_literal(captured: list[tuple[str, Message]], codex_171_experimental: Generated) -> None:
    """Against the types of the `--experimental` export: what the server really sends (see below)."""
    typed, _ = server_messages(captured)
    done = type_check_literals(codex_171_experimental, typed)
    assert done.returncode == 0, done.stdout[-6000:]


def test_the_stable_export_lacks_members_the_server_sends(captured: list[tuple[str, Message]], codex_171: Generated) -> None:
    """A finding about Codex 0.171.0: to a client that did not opt into the experimental API it
    still sends members only the `--experimental` export declares (`Thread.environments`,
    `CommandExecutionRequestApprovalParams.availableDecisions`). Python models keep them (unknown
    members are allowed); as TypeScript literals of the stable types they are excess properties,
    and nothing else fails."""
    typed, _ = server_messages(captured)
    done = type_check_literals(codex_171, typed)
    errors = [line for line in done.stdout.splitlines() if "error TS" in line]
    excess = {match for line in errors for match in re.findall(r"'\"(\w+)\"' does not exist in type '(\w+)'", line)}
    assert len(errors) == sum(1 for line in errors if "TS2353" in line)
    assert excess == {("environments", "Thread"), ("availableDecisions", "CommandExecutionRequestApprovalParams")}
