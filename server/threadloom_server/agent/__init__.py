"""The pluggable agent core: the `Agent` / `TurnContext` interface and the default `ScriptedAgent`."""

from threadloom_server.agent.approvals import SessionGrants, decide
from threadloom_server.agent.interface import (
    AGENT_MESSAGE_DELTA,
    COMMAND_OUTPUT_DELTA,
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
from threadloom_server.agent.script import ScriptError, parse_script, script_text
from threadloom_server.agent.scripted import DEFAULT_COMMAND_TIMEOUT, ScriptedAgent

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
