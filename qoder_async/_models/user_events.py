"""Events the server stores for what a client sent (``user.*``), as it echoes them back.

Re-exported by :mod:`.events`, which maps every wire ``type`` to its class. The helpers
that build events to send are in :mod:`.inbound`.
"""

from __future__ import annotations

import attrs

from .event_base import ContentBlock, Event, join_text

__all__ = [
    "USER_EVENTS",
    "UserCustomToolResultEvent",
    "UserInterruptEvent",
    "UserMessageEvent",
    "UserToolConfirmationEvent",
    "UserToolResultEvent",
]


@attrs.frozen
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


@attrs.frozen
class UserInterruptEvent(Event):
    """``user.interrupt`` as stored by the server.

    Example::

        [echo] = await client.sessions.events.send(sid, [user_interrupt()])
    """

    type: str = "user.interrupt"
    reason: str | None = None


@attrs.frozen
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


@attrs.frozen
class UserToolResultEvent(Event):
    """``user.tool_result`` as stored by the server (results of a self-hosted worker's tools).

    Example::

        if isinstance(event, UserToolResultEvent): print(event.tool_use_id, event.is_error)
    """

    type: str = "user.tool_result"
    tool_use_id: str | None = None
    content: list[ContentBlock] = attrs.field(factory=list)
    is_error: bool | None = None


@attrs.frozen
class UserCustomToolResultEvent(Event):
    """``user.custom_tool_result`` as stored by the server.

    Example::

        if isinstance(event, UserCustomToolResultEvent): print(event.custom_tool_use_id)
    """

    type: str = "user.custom_tool_result"
    custom_tool_use_id: str | None = None
    content: list[ContentBlock] = attrs.field(factory=list)
    is_error: bool | None = None


#: The events of this module, for the type table in :mod:`.events`.
USER_EVENTS: tuple[type[Event], ...] = (
    UserMessageEvent,
    UserInterruptEvent,
    UserToolConfirmationEvent,
    UserToolResultEvent,
    UserCustomToolResultEvent,
)
for _cls in USER_EVENTS:
    attrs.resolve_types(_cls)
