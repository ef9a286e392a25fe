"""Events a session emits (outbound), in the union of the shapes the docs and SDKs publish.

Every event is an :class:`Event`; the converter picks the subclass from ``type``
(:data:`EVENT_TYPES`), and anything it does not know becomes an :class:`UnknownEvent`
carrying the raw payload, so a new server event never breaks a client. This module
defines the session status and span events and the type table: the agent's output is in
:mod:`.agent_events`, the echoes of what a client sent in :mod:`.user_events`, the base
classes in :mod:`.event_base`, stream-only previews in :mod:`.previews`, what a turn
returns in :mod:`.turn`. The lifecycle of a session's threads (multi-agent sessions) is
here too; the messages threads exchange are agent events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._base import extra_field
from .agent_events import AGENT_EVENTS
from .event_base import Event
from .previews import EventDeltaEvent, EventStartEvent
from .session_parts import Usage
from .user_events import USER_EVENTS

__all__ = [
    "EVENT_TYPES",
    "ModelUsage",
    "SessionErrorEvent",
    "SessionErrorInfo",
    "SessionStatusIdleEvent",
    "SessionStatusRescheduledEvent",
    "SessionStatusRunningEvent",
    "SessionStatusTerminatedEvent",
    "SessionThreadCreatedEvent",
    "SessionThreadStatusIdleEvent",
    "SessionThreadStatusRescheduledEvent",
    "SessionThreadStatusRunningEvent",
    "SessionThreadStatusTerminatedEvent",
    "SpanModelRequestEndEvent",
    "SpanModelRequestStartEvent",
    "StopReason",
    "THREAD_EVENTS",
    "ThreadLifecycleEvent",
]


# -- session status ----------------------------------------------------------------------


@attrs.frozen
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


@attrs.frozen
class SessionStatusRunningEvent(Event):
    """``session.status_running``: a turn started.

    Example::

        if isinstance(event, SessionStatusRunningEvent): spinner.start()
    """

    type: str = "session.status_running"
    status: str | None = None


@attrs.frozen
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


@attrs.frozen
class SessionStatusRescheduledEvent(Event):
    """``session.status_rescheduled``: the session moved to another worker; nothing to do.

    Example::

        if isinstance(event, SessionStatusRescheduledEvent): log.info("moved")
    """

    type: str = "session.status_rescheduled"


@attrs.frozen
class SessionStatusTerminatedEvent(Event):
    """``session.status_terminated``: the session is over for good; streams stop here.

    Example::

        if isinstance(event, SessionStatusTerminatedEvent): print(event.reason)
    """

    type: str = "session.status_terminated"
    reason: str | None = None


@attrs.frozen
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


@attrs.frozen
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


@attrs.frozen
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


@attrs.frozen
class SpanModelRequestStartEvent(Event):
    """``span.model_request_start``: the agent called its model.

    Example::

        if isinstance(event, SpanModelRequestStartEvent): started[event.span_id] = time.time()
    """

    type: str = "span.model_request_start"
    model: str | None = None
    span_id: str | None = None


@attrs.frozen
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


# -- session threads ---------------------------------------------------------------------


@attrs.frozen
class ThreadLifecycleEvent(Event):
    """Base of the ``session.thread_*`` events: a thread of a multi-agent session was created
    or changed status. ``session_thread_id`` names the thread, ``agent_name`` its agent.

    The references name ``session.thread_created`` and ``session.thread_status_running``;
    ``_idle``, ``_rescheduled`` and ``_terminated`` follow the session's own status events.

    Example::

        if isinstance(event, ThreadLifecycleEvent):
            print(event.session_thread_id, event.agent_name, event.type)
    """

    agent_name: str | None = None


@attrs.frozen
class SessionThreadCreatedEvent(ThreadLifecycleEvent):
    """``session.thread_created``: the agent started a thread (a sub-agent) in the session.

    Example::

        if isinstance(event, SessionThreadCreatedEvent):
            thread = await client.sessions.threads.retrieve(
                event.session_thread_id, session_id=session.id
            )
    """

    type: str = "session.thread_created"


@attrs.frozen
class SessionThreadStatusRunningEvent(ThreadLifecycleEvent):
    """``session.thread_status_running``: a thread started working.

    Example::

        if isinstance(event, SessionThreadStatusRunningEvent): busy.add(event.session_thread_id)
    """

    type: str = "session.thread_status_running"


@attrs.frozen
class SessionThreadStatusIdleEvent(ThreadLifecycleEvent):
    """``session.thread_status_idle``: a thread finished its work or waits for input.

    Example::

        if isinstance(event, SessionThreadStatusIdleEvent) and event.stop_reason:
            print(event.agent_name, event.stop_reason.type)
    """

    type: str = "session.thread_status_idle"
    stop_reason: StopReason | None = None


@attrs.frozen
class SessionThreadStatusRescheduledEvent(ThreadLifecycleEvent):
    """``session.thread_status_rescheduled``: a thread moved to another worker.

    Example::

        if isinstance(event, SessionThreadStatusRescheduledEvent): log.info("thread moved")
    """

    type: str = "session.thread_status_rescheduled"


@attrs.frozen
class SessionThreadStatusTerminatedEvent(ThreadLifecycleEvent):
    """``session.thread_status_terminated``: a thread is over and takes no more input; its
    own stream ends here.

    Example::

        if isinstance(event, SessionThreadStatusTerminatedEvent):
            busy.discard(event.session_thread_id)
    """

    type: str = "session.thread_status_terminated"


#: The thread lifecycle events, for the type table below.
THREAD_EVENTS: tuple[type[Event], ...] = (
    SessionThreadCreatedEvent,
    SessionThreadStatusRunningEvent,
    SessionThreadStatusIdleEvent,
    SessionThreadStatusRescheduledEvent,
    SessionThreadStatusTerminatedEvent,
)


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
    *THREAD_EVENTS,
    *AGENT_EVENTS,
    *USER_EVENTS,
)

#: Wire ``type`` -> class; the converter's event hook looks types up here.
EVENT_TYPES: dict[str, type[Event]] = {
    _wire_type(cls): cls for cls in (*_STORED_EVENTS, EventStartEvent, EventDeltaEvent)
}


for _cls in (
    StopReason,
    SessionStatusRunningEvent,
    SessionStatusIdleEvent,
    SessionStatusRescheduledEvent,
    SessionStatusTerminatedEvent,
    SessionErrorInfo,
    SessionErrorEvent,
    ModelUsage,
    SpanModelRequestStartEvent,
    SpanModelRequestEndEvent,
    ThreadLifecycleEvent,
    *THREAD_EVENTS,
):
    attrs.resolve_types(_cls)
