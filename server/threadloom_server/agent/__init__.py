"""The pluggable agent core: the `Agent` / `TurnContext` interface and the default `ScriptedAgent`.

The interface is imported eagerly (the thread runtime needs it); the scripted agent and its script
language load on first access, so a server answers `initialize` without importing them (they pull
in ctypes, difflib, subprocess handling; see bench/NOTES.md, "Cold start").
"""

from typing import TYPE_CHECKING, Any

from threadloom_server.agent.approvals import SessionGrants, decide
from threadloom_server.agent.interface import (
    AGENT_MESSAGE_DELTA,
    COMMAND_OUTPUT_DELTA,
    DEFAULT_COMMAND_TIMEOUT,
    REASONING_SUMMARY_DELTA,
    Agent,
    AgentFailedError,
    ApprovalKind,
    Decision,
    JsonDict,
    TurnCancelled,
    TurnContext,
    turn_outcome,
)

if TYPE_CHECKING:
    from threadloom_server.agent.script import ScriptError, parse_script, script_text
    from threadloom_server.agent.scripted import ScriptedAgent

_LAZY = {"ScriptError": "script", "parse_script": "script", "script_text": "script", "ScriptedAgent": "scripted"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AGENT_MESSAGE_DELTA",
    "COMMAND_OUTPUT_DELTA",
    "DEFAULT_COMMAND_TIMEOUT",
    "REASONING_SUMMARY_DELTA",
    "Agent",
    "AgentFailedError",
    "ApprovalKind",
    "Decision",
    "JsonDict",
    "ScriptError",
    "ScriptedAgent",
    "SessionGrants",
    "TurnCancelled",
    "TurnContext",
    "decide",
    "parse_script",
    "script_text",
    "turn_outcome",
]
