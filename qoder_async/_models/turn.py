"""What the events endpoints return besides single events: sent lists and whole turns."""

from __future__ import annotations

import attrs

from .events import AgentMessageEvent, Event, SessionErrorEvent, StopReason

__all__ = ["EventList", "TurnResult"]


class EventList(list[Event]):
    """The events ``events.send`` stored, in order; a ``list`` that knows its request id.

    Example::

        sent = await client.sessions.events.send("sess_1", [user_message("hi")])
        print(sent[0].id, qoder_async.request_id_of(sent))
    """

    __slots__ = ("_request_id",)

    def __init__(self, events: list[Event] | tuple[Event, ...] = ()) -> None:
        super().__init__(events)
        self._request_id: str | None = None


# Dict-based like the other response models (see _base.py).
@attrs.frozen(slots=False)
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
