"""``client.sessions.events``: send, list and stream a session's events (declarations only)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._errors import APITimeoutError, InvalidParameterError, ParameterTypeError
from .._models._converter import structurer
from .._models.agent_events import AgentMessageEvent
from .._models.event_base import Event
from .._models.events import (
    SessionErrorEvent,
    SessionStatusIdleEvent,
    SessionStatusTerminatedEvent,
    StopReason,
)
from .._models.inbound import (
    ContentInput,
    InboundEvent,
    UserCustomToolResult,
    UserInterrupt,
    UserMessage,
    UserToolConfirmation,
    content_blocks,
)
from .._models.turn import EventList, TurnResult
from .._options import check_timeout
from .._pagination import AsyncPaginator, page_parser
from .._streaming import SESSION_TERMINAL, EventStream
from .._validation import check_int_range
from ._base import Resource, session_path
from ._listing import check_cursor_value, check_str_list, list_query

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions
    from .._send import Requester

__all__ = ["AsyncEventsAPI", "event_stream", "events_body", "session_ended"]

_event = structurer(Event)
_event_page = page_parser(_event)
_INBOUND = (UserMessage, UserInterrupt, UserToolConfirmation, UserCustomToolResult)


def _event_list(data: Any, request_id: str | None) -> EventList:
    if type(data) is not dict:
        raise TypeError(f"expected {{'data': [...]}}, got {type(data).__name__}")
    items = data.get("data")
    if type(items) is not list:
        raise TypeError("the response has no 'data' array of events")
    return EventList([_event(item) for item in items], request_id=request_id)


def events_body(events: object) -> list[dict[str, Any]]:
    """Validate what ``send`` was given and build the ``events`` array (helpers or dicts)."""
    if isinstance(events, (str, bytes, Mapping, *_INBOUND)) or not isinstance(events, Sequence):
        raise ParameterTypeError(
            "events", f"expected a list of events, got {type(events).__name__}"
        )
    if not events:
        raise InvalidParameterError("events", "must contain at least one event")
    out: list[dict[str, Any]] = []
    for index, item in enumerate(events):
        name = f"events[{index}]"
        if isinstance(item, _INBOUND):
            out.append(item.to_wire())
            continue
        if not isinstance(item, Mapping):
            raise ParameterTypeError(
                name, f"expected an event helper or a mapping, got {type(item).__name__}"
            )
        kind = item.get("type")
        if not isinstance(kind, str) or not kind:
            raise InvalidParameterError(f"{name}.type", "every event needs a 'type' string")
        if kind == "user.message":
            if "content" not in item:
                raise InvalidParameterError(f"{name}.content", "a user.message needs content")
            content_blocks(f"{name}.content", item["content"])
        out.append(dict(item))
    return out


def session_ended(event: Event) -> bool:
    """The ``ends_after`` predicate of a session's stream: the session terminated.

    Args:
        event: the event just yielded.

    Example::

        assert session_ended(SessionStatusTerminatedEvent())
    """
    return event.type in SESSION_TERMINAL


def event_stream(
    requester: Requester,
    path: str,
    *,
    last_event_id: str | None,
    event_deltas: Sequence[str] | None,
    idle_timeout: float | None,
    max_reconnects: int,
    ends_after: Callable[[Event], bool] = session_ended,
) -> EventStream:
    """An :class:`EventStream` of typed events on ``path``, its arguments checked first: what
    a ``stream`` method returns, whichever stream it opens.

    Args:
        requester: the resource's send path.
        path: the validated, quoted stream path.
        last_event_id: start after this event (``Last-Event-ID``).
        event_deltas: event types to preview (``event_deltas[]``).
        idle_timeout: seconds of silence after which the connection counts as dead.
        max_reconnects: consecutive failed reconnections before giving up.
        ends_after: the event after which the stream ends.

    Example::

        stream = event_stream(requester, "/sessions/sess_1/events/stream", last_event_id=None,
                              event_deltas=None, idle_timeout=45.0, max_reconnects=10)
    """
    if last_event_id is not None:
        last_event_id = check_cursor_value("last_event_id", last_event_id)
    query: dict[str, Any] = {}
    if event_deltas is not None:
        query["event_deltas[]"] = check_str_list("event_deltas", event_deltas)
    return EventStream(
        requester,
        path,
        _event,
        query=query,
        last_event_id=last_event_id,
        idle_timeout=check_timeout(idle_timeout, "idle_timeout"),
        max_reconnects=check_int_range("max_reconnects", max_reconnects, 0, 1_000_000),
        ends_after=ends_after,
    )


class AsyncEventsAPI(Resource):
    """A session's events. Reach it as ``client.sessions.events``.

    Example::

        await client.sessions.events.send(session.id, [user_message("Hello")])
        async for event in client.sessions.events.list(session.id):
            print(event.type)
    """

    __slots__ = ()

    async def send(
        self,
        session_id: str,
        events: Sequence[InboundEvent | Mapping[str, Any]],
        **options: Unpack[RequestOptions],
    ) -> EventList:
        """Send events (``POST /sessions/{id}/events``); returns the events as stored.

        The agent's output arrives on :meth:`stream` (or :meth:`list`), not here.

        Args:
            session_id: the ``sess_...`` id.
            events: helpers (:func:`user_message`, :func:`user_interrupt`,
                :func:`user_tool_confirmation`, :func:`user_custom_tool_result`) or dicts
                with a ``type``.
            options: per-call :class:`RequestOptions`.

        Example::

            sent = await client.sessions.events.send(session.id, [user_message("Hi")])
            print(sent[0].id)
        """
        path = session_path(session_id, "/events")
        body = {"events": events_body(events)}
        return await self._request("POST", path, _event_list, options, body=body)

    def list(
        self,
        session_id: str,
        *,
        limit: int | None = None,
        order: str | None = None,
        types: Sequence[str] | None = None,
        after_id: str | None = None,
        before_id: str | None = None,
        page: str | None = None,
        created_at: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Event]:
        """Every event of a session, oldest first by default, fetched page by page.

        Arguments are checked here, before anything is sent; nothing is sent until you
        iterate.

        Args:
            session_id: the ``sess_...`` id.
            limit: page size (1-100).
            order: ``"asc"`` or ``"desc"``.
            types: keep only these event types.
            after_id: start after this event id.
            before_id: walk backward from this event id.
            page: an opaque page cursor to start from.
            created_at: time bounds (``{"gte": datetime, "lt": datetime}``).
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for event in client.sessions.events.list(session.id, types=["agent.message"]):
                print(event.text)
        """
        path = session_path(session_id, "/events")
        query = list_query(limit, order, page, after_id, before_id, created_at)
        if types is not None:
            query["types[]"] = check_str_list("types", types)
        return self._list(path, _event_page, query, options)

    def stream(
        self,
        session_id: str,
        *,
        last_event_id: str | None = None,
        event_deltas: Sequence[str] | None = None,
        idle_timeout: float | None = 45.0,
        max_reconnects: int = 10,
    ) -> EventStream:
        """The session's events as they happen (SSE), resuming by itself after a drop.

        Use it as ``async with ... as stream`` (the connection opens on entry, so send
        after entering to miss nothing) and iterate it.

        Args:
            session_id: the ``sess_...`` id.
            last_event_id: start after this event.
            event_deltas: event types to preview (``["agent.message", "agent.thinking"]``):
                ``event_start``/``event_delta`` events before each of them.
            idle_timeout: seconds without a byte (heartbeats included) after which the
                connection counts as dead; ``None`` waits forever.
            max_reconnects: consecutive failed reconnections before giving up.

        Example::

            async with client.sessions.events.stream(session.id) as stream:
                await client.sessions.events.send(session.id, [user_message("Hi")])
                async for event in stream:
                    print(event.type)
                    if isinstance(event, SessionStatusIdleEvent):
                        break
        """
        return event_stream(
            self._requester,
            session_path(session_id, "/events/stream"),
            last_event_id=last_event_id,
            event_deltas=event_deltas,
            idle_timeout=idle_timeout,
            max_reconnects=max_reconnects,
        )

    async def run_turn(
        self,
        session_id: str,
        message: ContentInput | UserMessage,
        *,
        event_deltas: Sequence[str] | None = None,
        idle_timeout: float | None = 45.0,
        timeout: float | None = None,
    ) -> TurnResult:
        """One bot turn: open the stream, send ``message``, collect events until the session
        is idle again (or reports an error, or terminates).

        Events the stream replays from before the message are skipped: the turn starts at
        the echo of the sent ``user.message``; ``stop_reason.type == "requires_action"`` means
        the agent waits for a tool confirmation or result.

        Args:
            session_id: the ``sess_...`` id.
            message: text, content blocks, or a :class:`UserMessage`.
            event_deltas: event types to preview on the stream.
            idle_timeout: the stream's watchdog, as for :meth:`stream`.
            timeout: seconds for the whole turn (:class:`APITimeoutError` after), or ``None``.

        Example::

            result = await client.sessions.events.run_turn(session.id, "What is 2 + 2?")
            print(result.text)
        """
        session_path(session_id)  # a bad id fails here, before the stream is opened
        if not isinstance(message, UserMessage):
            message = UserMessage(content_blocks("message", message))
        seconds = check_timeout(timeout)
        turn = self._turn(session_id, message, event_deltas, idle_timeout)
        if seconds is None:
            return await turn
        try:
            return await asyncio.wait_for(turn, seconds)
        except asyncio.TimeoutError:
            raise APITimeoutError(f"the turn took longer than {seconds:g} s") from None

    async def _turn(
        self,
        session_id: str,
        message: UserMessage,
        event_deltas: Sequence[str] | None,
        idle_timeout: float | None,
    ) -> TurnResult:
        events: list[Event] = []
        texts: list[str] = []
        stop_reason: StopReason | None = None
        error: SessionErrorEvent | None = None
        terminated = False
        stream = self.stream(session_id, event_deltas=event_deltas, idle_timeout=idle_timeout)
        async with stream:
            sent = await self.send(session_id, [message])
            anchor = next((event.id for event in sent if event.id), None)
            collecting = anchor is None
            async for event in stream:
                if not collecting:
                    # History replayed on connect, or another turn's tail.
                    if event.id != anchor:
                        continue
                    collecting = True
                events.append(event)
                if isinstance(event, AgentMessageEvent):
                    texts.append(event.text)
                elif isinstance(event, SessionStatusIdleEvent):
                    stop_reason = event.stop_reason
                    break
                elif isinstance(event, SessionErrorEvent):
                    if event.error is None or event.error.retry_status != "retrying":
                        error = event
                        break
                elif isinstance(event, SessionStatusTerminatedEvent):
                    terminated = True
                    break
        return TurnResult(
            "\n".join(texts), events, stop_reason=stop_reason, error=error, terminated=terminated
        )
