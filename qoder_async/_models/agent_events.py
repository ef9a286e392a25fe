"""Events the agent produces: its messages, its thinking, the tools it uses, and the messages
the threads of a multi-agent session send each other.

Re-exported by :mod:`.events`, which maps every wire ``type`` to its class.
"""

from __future__ import annotations

from typing import Any

import attrs

from .event_base import ContentBlock, Event, join_text

__all__ = [
    "AGENT_EVENTS",
    "AgentCustomToolUseEvent",
    "AgentMcpToolResultEvent",
    "AgentMcpToolUseEvent",
    "AgentMessageEvent",
    "AgentThinkingEvent",
    "AgentThreadMessageReceivedEvent",
    "AgentThreadMessageSentEvent",
    "AgentToolResultEvent",
    "AgentToolUseEvent",
]


@attrs.frozen
class _Message(Event):
    """An event that is a message: its ``content`` blocks and their :attr:`text`."""

    content: list[ContentBlock] = attrs.field(factory=list)

    @property
    def text(self) -> str:
        """The text of the message's text blocks."""
        return join_text(self.content)


@attrs.frozen
class AgentMessageEvent(_Message):
    """``agent.message``: (a part of) the agent's reply; :attr:`text` joins its text blocks.

    Example::

        if isinstance(event, AgentMessageEvent): print(event.text)
    """

    type: str = "agent.message"


@attrs.frozen
class AgentThinkingEvent(Event):
    """``agent.thinking``: reasoning shown while the agent works (``content`` or ``thinking``).

    Example::

        if isinstance(event, AgentThinkingEvent): print("thinking:", event.text)
    """

    type: str = "agent.thinking"
    content: list[ContentBlock] = attrs.field(factory=list)
    thinking: str | None = None

    @property
    def text(self) -> str:
        """The thinking text, whichever field carried it."""
        return self.thinking if self.thinking is not None else join_text(self.content)


@attrs.frozen
class AgentToolUseEvent(Event):
    """``agent.tool_use``: the agent runs a built-in tool (``Bash``, ``Read``, ...).

    Example::

        if isinstance(event, AgentToolUseEvent): print(event.name, event.input)
    """

    type: str = "agent.tool_use"
    name: str | None = None
    input: dict[str, Any] = attrs.field(factory=dict)
    evaluated_permission: str | None = None
    requires_confirmation: bool | None = None
    tool_use_id: str | None = None
    tool_name: str | None = None
    tool_input: dict[str, Any] | None = None


@attrs.frozen
class AgentToolResultEvent(Event):
    """``agent.tool_result``: what a built-in tool returned (``output`` on older servers).

    Example::

        if isinstance(event, AgentToolResultEvent) and event.is_error: print("tool failed")
    """

    type: str = "agent.tool_result"
    tool_use_id: str | None = None
    content: list[ContentBlock] = attrs.field(factory=list)
    is_error: bool | None = None
    output: str | None = None


@attrs.frozen
class AgentCustomToolUseEvent(Event):
    """``agent.custom_tool_use``: answer with :func:`user_custom_tool_result` (``id`` as key).

    Example::

        if isinstance(event, AgentCustomToolUseEvent):
            await client.sessions.events.send(sid, [user_custom_tool_result(event.id, "42")])
    """

    type: str = "agent.custom_tool_use"
    name: str | None = None
    input: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class AgentMcpToolUseEvent(Event):
    """``agent.mcp_tool_use``: the agent calls a tool of an MCP server.

    Example::

        if isinstance(event, AgentMcpToolUseEvent): print(event.mcp_server_name, event.name)
    """

    type: str = "agent.mcp_tool_use"
    mcp_server_name: str | None = None
    name: str | None = None
    input: dict[str, Any] = attrs.field(factory=dict)
    mcp_tool_use_id: str | None = None


@attrs.frozen
class AgentMcpToolResultEvent(Event):
    """``agent.mcp_tool_result``: an MCP tool's answer.

    Example::

        if isinstance(event, AgentMcpToolResultEvent): print(join_text(event.content))
    """

    type: str = "agent.mcp_tool_result"
    mcp_server_name: str | None = None
    mcp_tool_use_id: str | None = None
    content: list[ContentBlock] = attrs.field(factory=list)
    is_error: bool | None = None


@attrs.frozen
class AgentThreadMessageSentEvent(_Message):
    """``agent.thread_message_sent``: a thread handed work to another thread (a sub-agent).

    Example::

        if isinstance(event, AgentThreadMessageSentEvent):
            print(f"-> {event.to_agent_name}: {event.text}")
    """

    type: str = "agent.thread_message_sent"
    to_session_thread_id: str | None = None
    to_agent_name: str | None = None


@attrs.frozen
class AgentThreadMessageReceivedEvent(_Message):
    """``agent.thread_message_received``: a thread got a message (a sub-agent's answer).

    Example::

        if isinstance(event, AgentThreadMessageReceivedEvent):
            print(f"<- {event.from_agent_name}: {event.text}")
    """

    type: str = "agent.thread_message_received"
    from_session_thread_id: str | None = None
    from_agent_name: str | None = None


#: The events of this module, for the type table in :mod:`.events`.
AGENT_EVENTS: tuple[type[Event], ...] = (
    AgentMessageEvent,
    AgentThinkingEvent,
    AgentToolUseEvent,
    AgentToolResultEvent,
    AgentCustomToolUseEvent,
    AgentMcpToolUseEvent,
    AgentMcpToolResultEvent,
    AgentThreadMessageSentEvent,
    AgentThreadMessageReceivedEvent,
)
attrs.resolve_types(_Message)
for _cls in AGENT_EVENTS:
    attrs.resolve_types(_cls)
