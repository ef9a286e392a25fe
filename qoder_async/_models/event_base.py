"""What every event shares: the :class:`Event` base, its content blocks, and the fallback."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field

__all__ = ["ContentBlock", "Event", "UnknownEvent", "join_text"]


@attrs.frozen
class ContentBlock:
    """One block of an event's ``content``; a v1 plain-string ``content`` becomes one text block.

    Example::

        text = "".join(b.text or "" for b in event.content if b.type == "text")
    """

    type: str | None = None
    text: str | None = None
    extra: Mapping[str, Any] = extra_field()


def join_text(blocks: list[ContentBlock]) -> str:
    """The text of every ``text`` block, concatenated.

    Example::

        assert join_text([ContentBlock("text", "a"), ContentBlock("text", "b")]) == "ab"
    """
    return "".join(b.text for b in blocks if b.text is not None and b.type in ("text", None))


@attrs.frozen
class Event:
    """Base class of every event; the fields all generations share.

    ``id`` is an ``evt_...`` id (on a stream, filled from the SSE ``id:`` line when the data
    lacks it); ``type`` is the wire type (``"agent.message"``, ...).

    Example::

        async for event in client.sessions.events.list("sess_1"):
            print(event.id, event.type, event.processed_at)
    """

    id: str | None = None
    type: str = ""
    processed_at: datetime | None = None
    created_at: datetime | None = None
    session_id: str | None = None
    turn_id: str | None = None
    session_thread_id: str | None = None
    schema_version: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class UnknownEvent(Event):
    """An event whose ``type`` this version does not model (or whose shape it cannot read).

    ``raw`` is the whole JSON payload as received.

    Example::

        if isinstance(event, UnknownEvent):
            log.debug("new event type %s: %r", event.type, event.raw)
    """

    raw: dict[str, Any] = attrs.field(factory=dict, eq=False)


for _cls in (ContentBlock, Event, UnknownEvent):
    attrs.resolve_types(_cls)
