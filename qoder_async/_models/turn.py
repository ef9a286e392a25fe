"""What the events endpoints return besides single events: sent lists and whole turns."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from .agent_events import AgentMessageEvent
from .event_base import Event
from .events import SessionErrorEvent, StopReason

__all__ = ["EventList", "TurnResult"]


class EventList(list[Event]):
    """The events ``events.send`` stored, in order; a ``list`` that knows its request id.

    ``request_id`` is the ``x-request-id`` of the response the events came from; like any
    attribute of a ``list`` subclass it plays no part in equality.

    Example::

        sent = await client.sessions.events.send("sess_1", [user_message("hi")])
        print(sent[0].id, sent.request_id)
    """

    __slots__ = ("request_id",)

    def __init__(self, events: Iterable[Event] = (), *, request_id: str | None = None) -> None:
        super().__init__(events)
        self.request_id = request_id


@attrs.frozen
class TurnResult:
    """What :meth:`AsyncEventsAPI.run_turn` saw: the reply and every event of the turn.

    ``text`` joins the text of every ``agent.message`` (with ``"\\n"``); ``stop_reason`` is the
    final ``session.status_idle``'s (``None`` when the turn ended otherwise); ``error`` is the
    ``session.error`` that ended the turn, and ``terminated`` tells that the session ended.

    Example::

        result = await client.sessions.events.run_turn(session.id, "What is 2 + 2?")
        print(result.text, result.stop_reason.type if result.stop_reason else None)
    """

    text: str
    events: list[Event]
    stop_reason: StopReason | None = None
    error: SessionErrorEvent | None = None
    terminated: bool = False

    @property
    def messages(self) -> list[AgentMessageEvent]:
        """The turn's ``agent.message`` events."""
        return [e for e in self.events if isinstance(e, AgentMessageEvent)]


attrs.resolve_types(TurnResult)
