"""The scripted agent's instruction language (documented in server/AGENT.md).

A script is the text of the turn's input (text parts joined by newlines). A line `keyword: argument`
with a known keyword is an instruction; runs of other lines are plain text the agent answers. The
whole script is parsed before anything runs, so a malformed script fails the turn without effects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from threadloom_server.agent.interface import AgentFailedError

KEYWORDS = ("run", "write", "delete", "think", "plan", "sleep", "fail", "end")
INSTRUCTION = re.compile(rf"^({'|'.join(KEYWORDS)}):(?:\s(.*)|)$")
MAX_SLEEP_SECONDS = 3600.0


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Run:
    command: str


@dataclass(frozen=True)
class Write:
    path: str
    content: str


@dataclass(frozen=True)
class Delete:
    path: str


@dataclass(frozen=True)
class Think:
    text: str


@dataclass(frozen=True)
class Plan:
    steps: tuple[str, ...]


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Fail:
    message: str


Instruction = Say | Run | Write | Delete | Think | Plan | Sleep | Fail


class ScriptError(AgentFailedError):
    """A malformed script: the turn fails before any instruction runs."""

    def __init__(self, line_number: int, message: str) -> None:
        super().__init__(f"script line {line_number}: {message}")


def script_text(user_input: Iterable[Mapping[str, Any]]) -> str:
    """The text parts of the input joined by newlines; images and mentions carry no instructions."""
    return "\n".join(part["text"] for part in user_input if part.get("type") == "text" and isinstance(part.get("text"), str))


def parse_script(text: str) -> list[Instruction]:
    lines = text.splitlines()
    instructions: list[Instruction] = []
    prose: list[str] = []
    index = 0
    while index < len(lines):
        match = INSTRUCTION.match(lines[index])
        if match is None:
            prose.append(lines[index])
            index += 1
            continue
        _flush_prose(prose, instructions)
        keyword, argument = match.group(1), (match.group(2) or "").strip()
        if keyword == "write":
            path = _required(argument, index + 1, "write: needs a file path")
            content, index = _write_body(lines, index + 1)
            instructions.append(Write(path, content))
            continue
        instructions.append(_simple(keyword, argument, index + 1))
        index += 1
    _flush_prose(prose, instructions)
    return instructions


def _flush_prose(prose: list[str], instructions: list[Instruction]) -> None:
    text = "\n".join(prose).strip("\n")
    if text.strip():
        instructions.append(Say(text))
    prose.clear()


def _write_body(lines: list[str], start: int) -> tuple[str, int]:
    """Content lines up to the next instruction (an `end:` line is consumed); a leading `\\` is an escape."""
    body: list[str] = []
    index = start
    while index < len(lines):
        match = INSTRUCTION.match(lines[index])
        if match is not None:
            if match.group(1) == "end":
                index += 1
            break
        line = lines[index]
        body.append(line[1:] if line.startswith("\\") else line)
        index += 1
    return ("\n".join(body) + "\n") if body else "", index


def _required(argument: str, line_number: int, message: str) -> str:
    if not argument:
        raise ScriptError(line_number, message)
    return argument


def _simple(keyword: str, argument: str, line_number: int) -> Instruction:
    if keyword == "run":
        return Run(_required(argument, line_number, "run: needs a shell command"))
    if keyword == "delete":
        return Delete(_required(argument, line_number, "delete: needs a file path"))
    if keyword == "think":
        return Think(_required(argument, line_number, "think: needs some text"))
    if keyword == "plan":
        steps = tuple(step.strip() for step in argument.split(";") if step.strip())
        if not steps:
            raise ScriptError(line_number, "plan: needs steps separated by ';'")
        return Plan(steps)
    if keyword == "sleep":
        return Sleep(_seconds(argument, line_number))
    if keyword == "fail":
        return Fail(argument or "the script asked the turn to fail")
    raise ScriptError(line_number, "end: without a write: block to close")


def _seconds(argument: str, line_number: int) -> float:
    try:
        seconds = float(argument)
    except ValueError:
        raise ScriptError(line_number, f"sleep: needs a number of seconds, got {argument!r}") from None
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_SLEEP_SECONDS:
        raise ScriptError(line_number, f"sleep: seconds must be between 0 and {MAX_SLEEP_SECONDS:g}, got {argument!r}")
    return seconds
