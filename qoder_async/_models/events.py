"""Events a session emits (outbound), in the union of the shapes the docs and SDKs publish.

Every event is an :class:`Event`; the converter picks the subclass from ``type``
(:data:`EVENT_TYPES`), and anything it does not know becomes an :class:`UnknownEvent`
carrying the raw payload, so a new server event never breaks a client. Stream-only
previews are in :mod:`.previews`, what a turn returns in :mod:`.turn`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._base import extra_field, finish_model
from .event_base import ContentBlock, Event, UnknownEvent, join_text
from .previews import EventDeltaEvent, EventStartEvent
from .session import Usage

__all__ = [
    "EVENT_TYPES",
    "AgentCustomToolUseEvent",
    "AgentMcpToolResultEvent",
    "AgentMcpToolUseEvent",
    "AgentMessageEvent",
    "AgentThinkingEvent",
    "AgentToolResultEvent",
    "AgentToolUseEvent",
    "ContentBlock",
    "Event",
    "ModelUsage",
    "SessionErrorEvent",
    "SessionErrorInfo",
    "SessionStatusIdleEvent",
    "SessionStatusRescheduledEvent",
    "SessionStatusRunningEvent",
    "SessionStatusTerminatedEvent",
    "SpanModelRequestEndEvent",
    "SpanModelRequestStartEvent",
    "StopReason",
    "UnknownEvent",
    "UserCustomToolResultEvent",
    "UserInterruptEvent",
    "UserMessageEvent",
    "UserToolConfirmationEvent",
    "UserToolResultEvent",
    "join_text",
]


# -- session status ----------------------------------------------------------------------


# Response models are dict-based (slots=False): the converter builds them in one step from
# the decoded JSON object, at the cost of some memory per instance (see _base.py).
@attrs.frozen(slots=False)
class StopReason:
    """Why a session went idle: ``type`` is ``end_turn``, ``requires_action``, ... (open set).

    ``event_ids`` lists the events waiting for an answer when ``type == "requires_action"``.

    Example::

        if result.stop_reason and result.stop_reason.type == "requires_action":
            pending = result.stop_reason.event_ids
    """

    type: str | None = None
    event_ids: list[str] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(slots=False)
class SessionStatusRunningEvent(Event):
    """``session.status_running``: a turn started.

    Example::

        if isinstance(event, SessionStatusRunningEvent): spinner.start()
    """

    type: str = "session.status_running"
    status: str | None = None


@attrs.frozen(slots=False)
class SessionStatusIdleEvent(Event):
    """``session.status_idle``: the turn ended (``stop_reason.type == "end_turn"``) or waits
    for input (``"requires_action"``). Older servers send ``status`` instead of a reason.

    Example::

        if isinstance(event, SessionStatusIdleEvent) and event.stop_reason:
            print(event.stop_reason.type)
    """

    type: str = "session.status_idle"
    stop_reason: StopReason | None = None
    usage: Usage | None = None
    status: str | None = None


@attrs.frozen(slots=False)
class SessionStatusRescheduledEvent(Event):
    """``session.status_rescheduled``: the session moved to another worker; nothing to do.

    Example::

        if isinstance(event, SessionStatusRescheduledEvent): log.info("moved")
    """

    type: str = "session.status_rescheduled"


@attrs.frozen(slots=False)
class SessionStatusTerminatedEvent(Event):
    """``session.status_terminated``: the session is over for good; streams stop here.

    Example::

        if isinstance(event, SessionStatusTerminatedEvent): print(event.reason)
    """

    type: str = "session.status_terminated"
    reason: str | None = None


@attrs.frozen(slots=False)
class SessionErrorInfo:
    """The ``error`` of a ``session.error`` event (a bare string in older servers).

    Example::

        if event.error and event.error.mcp_server_name: print("MCP server down")
    """

    type: str | None = None
    message: str | None = None
    retry_status: str | None = None
    mcp_server_name: str | None = None
    credential_id: str | None = None
    vault_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(slots=False)
class SessionErrorEvent(Event):
    """``session.error``: something failed inside the session.

    ``error.retry_status == "retrying"`` means the session is trying again by itself.

    Example::

        if isinstance(event, SessionErrorEvent): log.warning("%s", event.message)
    """

    type: str = "session.error"
    error: SessionErrorInfo | None = None
    code: str | None = None

    @property
    def message(self) -> str | None:
        """The error message, whichever shape the server used."""
        return None if self.error is None else self.error.message


# -- spans -------------------------------------------------------------------------------


@attrs.frozen(slots=False)
class ModelUsage:
    """Usage of one model request: token counts, or ``credits`` on newer servers.

    Example::

        tokens = (usage.input_tokens or 0) + (usage.output_tokens or 0)
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    speed: float | None = None
    credits: float | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(slots=False)
class SpanModelRequestStartEvent(Event):
    """``span.model_request_start``: the agent called its model.

    Example::

        if isinstance(event, SpanModelRequestStartEvent): started[event.span_id] = time.time()
    """

    type: str = "span.model_request_start"
    model: str | None = None
    span_id: str | None = None


@attrs.frozen(slots=False)
class SpanModelRequestEndEvent(Event):
    """``span.model_request_end``: a model call finished, with its usage.

    Example::

        if isinstance(event, SpanModelRequestEndEvent) and event.model_usage:
            spent += event.model_usage.credits or 0
    """

    type: str = "span.model_request_end"
    span_id: str | None = None
    model_request_start_id: str | None = None
    is_error: bool | None = None
    model_usage: ModelUsage | None = None
    usage: Usage | None = None


# -- agent output ------------------------------------------------------------------------


@attrs.frozen(slots=False)
class AgentMessageEvent(Event):
    """``agent.message``: (a part of) the agent's reply; :attr:`text` joins its text blocks.

    Example::

        if isinstance(event, AgentMessageEvent): print(event.text)
    """

    type: str = "agent.message"
    content: list[ContentBlock] = attrs.field(factory=list)

    @property
    def text(self) -> str:
        """The text of the message's text blocks."""
        return join_text(self.content)


@attrs.frozen(slots=False)
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


@attrs.frozen(slots=False)
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


@attrs.frozen(slots=False)
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


@attrs.frozen(slots=False)
class AgentCustomToolUseEvent(Event):
    """``agent.custom_tool_use``: answer with :func:`user_custom_tool_result` (``id`` as key).

    Example::

        if isinstance(event, AgentCustomToolUseEvent):
            await client.sessions.events.send(sid, [user_custom_tool_result(event.id, "42")])
    """

    type: str = "agent.custom_tool_use"
    name: str | None = None
    input: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen(slots=False)
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


@attrs.frozen(slots=False)
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


# -- echoes of what was sent -----------------------------------------------------------


@attrs.frozen(slots=False)
class UserMessageEvent(Event):
    """``user.message`` as stored by the server (the echo of what was sent).

    Example::

        sent = await client.sessions.events.send(sid, [user_message("hi")])
        assert sent[0].text == "hi"
    """

    type: str = "user.message"
    content: list[ContentBlock] = attrs.field(factory=list)

    @property
    def text(self) -> str:
        """The text of the message's text blocks."""
        return join_text(self.content)


@attrs.frozen(slots=False)
class UserInterruptEvent(Event):
    """``user.interrupt`` as stored by the server.

    Example::

        [echo] = await client.sessions.events.send(sid, [user_interrupt()])
    """

    type: str = "user.interrupt"
    reason: str | None = None


@attrs.frozen(slots=False)
class UserToolConfirmationEvent(Event):
    """``user.tool_confirmation`` as stored by the server.

    Example::

        [echo] = await client.sessions.events.send(sid, [user_tool_confirmation(tid, "allow")])
        assert echo.result == "allow"
    """

    type: str = "user.tool_confirmation"
    tool_use_id: str | None = None
    result: str | None = None
    deny_message: str | None = None


@attrs.frozen(slots=False)
class UserToolResultEvent(Event):
    """``user.tool_result`` as stored by the server (results of a self-hosted worker's tools).

    Example::

        if isinstance(event, UserToolResultEvent): print(event.tool_use_id, event.is_error)
    """

    type: str = "user.tool_result"
    tool_use_id: str | None = None
    content: list[ContentBlock] = attrs.field(factory=list)
    is_error: bool | None = None


@attrs.frozen(slots=False)
class UserCustomToolResultEvent(Event):
    """``user.custom_tool_result`` as stored by the server.

    Example::

        if isinstance(event, UserCustomToolResultEvent): print(event.custom_tool_use_id)
    """

    type: str = "user.custom_tool_result"
    custom_tool_use_id: str | None = None
    content: list[ContentBlock] = attrs.field(factory=list)
    is_error: bool | None = None


def _wire_type(cls: type[Event]) -> str:
    return str(attrs.fields(cls).type.default)


_STORED_EVENTS: tuple[type[Event], ...] = (
    SessionStatusRunningEvent,
    SessionStatusIdleEvent,
    SessionStatusRescheduledEvent,
    SessionStatusTerminatedEvent,
    SessionErrorEvent,
    SpanModelRequestStartEvent,
    SpanModelRequestEndEvent,
    AgentMessageEvent,
    AgentThinkingEvent,
    AgentToolUseEvent,
    AgentToolResultEvent,
    AgentCustomToolUseEvent,
    AgentMcpToolUseEvent,
    AgentMcpToolResultEvent,
    UserMessageEvent,
    UserInterruptEvent,
    UserToolConfirmationEvent,
    UserToolResultEvent,
    UserCustomToolResultEvent,
)

#: Wire ``type`` -> class; the converter's event hook looks types up here.
EVENT_TYPES: dict[str, type[Event]] = {
    _wire_type(cls): cls for cls in (*_STORED_EVENTS, EventStartEvent, EventDeltaEvent)
}


for _cls in (StopReason, SessionErrorInfo, ModelUsage, *_STORED_EVENTS):
    finish_model(_cls)
