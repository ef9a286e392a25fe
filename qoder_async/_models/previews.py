"""Previews a stream sends before an event is complete (``event_deltas``); never stored.

``event_start`` announces the event, ``event_delta`` frames add to it, and the complete
event follows with the same id: it, not the previews, is the source of truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._base import extra_field
from .event_base import ContentBlock, Event

__all__ = ["ContentDelta", "DeltaTarget", "EventDeltaEvent", "EventStartEvent"]


@attrs.frozen
class DeltaTarget:
    """The event an ``event_start`` announces (``id`` is shared with the final event).

    Example::

        if isinstance(event, EventStartEvent) and event.event: print(event.event.type)
    """

    id: str | None = None
    type: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class EventStartEvent(Event):
    """``event_start``: a preview of an event being produced starts (stream only, not stored).

    Example::

        if isinstance(event, EventStartEvent): print("typing...", event.target_type)
    """

    type: str = "event_start"
    event: DeltaTarget | None = None

    @property
    def target_id(self) -> str | None:
        """The id of the event being previewed (also the id of the final event)."""
        if self.event is not None and self.event.id is not None:
            return self.event.id
        return self.id

    @property
    def target_type(self) -> str | None:
        """The type of the event being previewed (``agent.message``, ``agent.thinking``)."""
        return None if self.event is None else self.event.type


@attrs.frozen
class ContentDelta:
    """One increment of a preview: ``content`` is appended to block ``index``.

    Example::

        blocks[delta.index or 0] += delta.content.text if delta.content else ""
    """

    type: str | None = None
    index: int | None = None
    content: ContentBlock | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class EventDeltaEvent(Event):
    """``event_delta``: a piece of a previewed event. The complete event follows anyway and is
    the source of truth; previews are for showing progress.

    Example::

        if isinstance(event, EventDeltaEvent): print(event.text, end="", flush=True)
    """

    type: str = "event_delta"
    event_id: str | None = None
    delta: ContentDelta | None = None

    @property
    def text(self) -> str:
        """The text this delta adds ("" when it adds none)."""
        content = None if self.delta is None else self.delta.content
        return "" if content is None or content.text is None else content.text


for _cls in (DeltaTarget, EventStartEvent, ContentDelta, EventDeltaEvent):
    attrs.resolve_types(_cls)
