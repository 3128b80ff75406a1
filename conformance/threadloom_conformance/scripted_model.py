"""A scripted stand-in for a model API (the OpenAI Responses API), served on loopback.

Real agent servers such as `codex app-server` run complete turns against it offline and
deterministically: each `POST /v1/responses` is answered with Server-Sent Events computed from a
scenario, never from a model. The scenario is data (JSON):

    {"replies": [
      {"when": "say hello", "steps": [{"text": "Hello there", "chunks": 2}]},
      {"when": "run:",      "steps": [{"shell": {"command": "echo hi", "justification": "print"}},
                                      {"text": "Done."}]}
    ]}

A reply is chosen by the newest user message of the request (`when` is a substring of it; the
first match wins; a reply with no `when` matches anything). Its steps are played one per model
request: the step index is the number of tool outputs the request carries after that user
message, so a turn that runs a command gets step 0 (the tool call), then step 1 (the answer to
the tool's output). A step is one of:

- `{"text": "...", "chunks": N}`: an assistant message streamed in N deltas (default 1);
- `{"reasoning": "..."}`: a reasoning summary, then the next keys of the same step if any;
- `{"shell": {"command": "...", "justification": "...", "escalate": true}}`: a call of the
  `exec_command` tool; `escalate` (default true) asks for escalated permissions, which makes the
  agent ask its client for approval;
- `{"error": {"status": 500, "message": "..."}}`: the HTTP request fails;
- `{"stall": true}`: the stream starts and never completes (for interrupts);
- and a step may combine `reasoning` with `text` or `shell` (reasoning first).

Every request is kept (`ScriptedModel.requests`) so tests can assert what the agent sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JsonObject = dict[str, Any]
MAX_REQUEST_BYTES = 64 * 1024 * 1024  # agents send their whole history; only a hang guard
USAGE = {"input_tokens": 10, "input_tokens_details": None, "output_tokens": 5, "output_tokens_details": None, "total_tokens": 15}


class ScenarioError(ValueError):
    """A scenario file that is not what the module docstring describes."""


@dataclass(frozen=True)
class Reply:
    when: str | None
    steps: tuple[JsonObject, ...]


@dataclass(frozen=True)
class Scenario:
    replies: tuple[Reply, ...]

    @staticmethod
    def parse(data: Any, source: str = "scenario") -> Scenario:
        if not isinstance(data, dict) or not isinstance(data.get("replies"), list):
            raise ScenarioError(f"{source}: expected an object with a `replies` list")
        replies = []
        for index, raw in enumerate(data["replies"]):
            steps = raw.get("steps") if isinstance(raw, dict) else None
            if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
                raise ScenarioError(f"{source}: /replies/{index}/steps must be a non-empty list of objects")
            when = raw.get("when")
            if when is not None and not isinstance(when, str):
                raise ScenarioError(f"{source}: /replies/{index}/when must be a string")
            replies.append(Reply(when=when, steps=tuple(steps)))
        return Scenario(replies=tuple(replies))

    @staticmethod
    def load(path: Path) -> Scenario:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ScenarioError(f"{path}: {error}") from None
        return Scenario.parse(data, str(path))

    def step_for(self, request: JsonObject) -> JsonObject:
        """The step that answers this model request (see the module docstring)."""
        text, tool_outputs = _newest_user_text(request.get("input", []))
        for reply in self.replies:
            if reply.when is None or reply.when in text:
                return reply.steps[min(tool_outputs, len(reply.steps) - 1)]
        return {"text": f"(no scripted reply for {text[:80]!r})"}


def _newest_user_text(items: Any) -> tuple[str, int]:
    """The newest user message's text, and how many tool outputs follow it."""
    text, outputs = "", 0
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "message" and item.get("role") == "user":
            parts = item.get("content") or []
            joined = "".join(p.get("text", "") for p in parts if isinstance(p, dict))
            if not joined.lstrip().startswith("<"):  # context blocks (<environment_context>...) are not the user's words
                text, outputs = joined, 0
        elif item.get("type") in ("function_call_output", "custom_tool_call_output"):
            outputs += 1
    return text, outputs


@dataclass
class Ids:
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def next(self, prefix: str) -> str:
        return f"{prefix}_{next(self.counter)}"


def response_events(step: JsonObject, ids: Ids) -> list[JsonObject]:
    """The Server-Sent Events of one scripted model response."""
    response_id = ids.next("resp")
    events: list[JsonObject] = [{"type": "response.created", "response": {"id": response_id}}]
    items: list[JsonObject] = []
    if "reasoning" in step:
        items += _reasoning(str(step["reasoning"]), ids, events, len(items))
    if "shell" in step:
        items += _shell_call(step["shell"], ids, events, len(items))
    if "text" in step:
        items += _message(str(step["text"]), int(step.get("chunks", 1)), ids, events, len(items))
    if not step.get("stall"):
        events.append({"type": "response.completed", "response": {"id": response_id, "usage": USAGE}})
    return events


def _reasoning(summary: str, ids: Ids, events: list[JsonObject], index: int) -> list[JsonObject]:
    item_id = ids.next("rs")
    done = {"type": "reasoning", "id": item_id, "summary": [{"type": "summary_text", "text": summary}]}
    events.append({"type": "response.output_item.added", "output_index": index, "item": {"type": "reasoning", "id": item_id, "summary": []}})
    events.append({"type": "response.reasoning_summary_text.delta", "output_index": index, "item_id": item_id, "summary_index": 0, "delta": summary})
    events.append({"type": "response.output_item.done", "output_index": index, "item": done})
    return [done]


def _shell_call(shell: Any, ids: Ids, events: list[JsonObject], index: int) -> list[JsonObject]:
    shell = shell if isinstance(shell, dict) else {"command": str(shell)}
    arguments: JsonObject = {"cmd": str(shell.get("command", "true"))}
    if shell.get("escalate", True):
        arguments["sandbox_permissions"] = "require_escalated"
        arguments["justification"] = str(shell.get("justification", "run a command"))
    call = {"type": "function_call", "id": ids.next("fc"), "call_id": ids.next("call"), "name": "exec_command", "arguments": json.dumps(arguments)}
    events.append({"type": "response.output_item.added", "output_index": index, "item": call})
    events.append({"type": "response.output_item.done", "output_index": index, "item": call})
    return [call]


def _message(text: str, chunks: int, ids: Ids, events: list[JsonObject], index: int) -> list[JsonObject]:
    item_id = ids.next("msg")
    events.append({"type": "response.output_item.added", "output_index": index, "item": {"type": "message", "role": "assistant", "id": item_id, "content": []}})
    for delta in _split(text, max(1, chunks)):
        events.append({"type": "response.output_text.delta", "output_index": index, "content_index": 0, "item_id": item_id, "delta": delta})
    done = {"type": "message", "role": "assistant", "id": item_id, "content": [{"type": "output_text", "text": text}]}
    events.append({"type": "response.output_item.done", "output_index": index, "item": done})
    return [done]


def _split(text: str, parts: int) -> list[str]:
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def encode_sse(events: list[JsonObject]) -> bytes:
    return b"".join(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode() for event in events)


class ScriptedModel:
    """The loopback HTTP server. Use as a context manager; `base_url` is what the agent is given."""

    def __init__(self, scenario: Scenario, host: str = "127.0.0.1") -> None:
        self.scenario = scenario
        self.host = host
        self.port = 0
        self.requests: list[JsonObject] = []
        self._ids = Ids()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stalled: list[asyncio.StreamWriter] = []

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def __enter__(self) -> ScriptedModel:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        """Listen on a free port in a background thread; returns once the socket is bound."""
        self._thread = threading.Thread(target=self._run, name="scripted-model", daemon=True)
        self._thread.start()
        self._ready.wait()
        if not self.port:
            raise OSError("the scripted model could not listen on loopback")

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
            for writer in self._stalled:
                self._loop.call_soon_threadsafe(writer.close)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(asyncio.start_server(self._handle, self.host, 0))
            self.port = self._server.sockets[0].getsockname()[1]
        finally:
            self._ready.set()
        with contextlib.suppress(RuntimeError):
            loop.run_forever()
        loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line, body = await _read_request(reader)
        except (asyncio.IncompleteReadError, ValueError, asyncio.LimitOverrunError):
            writer.close()
            return
        if not request_line.startswith("POST ") or "/responses" not in request_line:
            await _respond(writer, 404, "application/json", b'{"error":{"message":"not found"}}')
            return
        try:
            request = json.loads(body)
        except json.JSONDecodeError:
            await _respond(writer, 400, "application/json", b'{"error":{"message":"body is not JSON"}}')
            return
        self.requests.append(request)
        step = self.scenario.step_for(request)
        if "error" in step:
            error = step["error"] if isinstance(step["error"], dict) else {}
            payload = json.dumps({"error": {"message": str(error.get("message", "scripted failure")), "type": "server_error"}}).encode()
            await _respond(writer, int(error.get("status", 500)), "application/json", payload)
            return
        data = encode_sse(response_events(step, self._ids))
        if step.get("stall"):
            head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n"
            writer.write(head + data)
            await writer.drain()
            self._stalled.append(writer)  # kept open: the agent waits until it is interrupted
            return
        await _respond(writer, 200, "text/event-stream", data)


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length > MAX_REQUEST_BYTES:
        raise ValueError("request too large")
    body = await reader.readexactly(length) if length else b""
    return lines[0], body


async def _respond(writer: asyncio.StreamWriter, status: int, content_type: str, body: bytes) -> None:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
    writer.write(head.encode() + body)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()
