"""``client.sessions.threads``: the threads of a multi-agent session, and their events.

Thread ids have no documented prefix: any non-empty, URL-safe string is accepted (and
percent-quoted), ``.`` and ``..`` are refused. The session id keeps its ``sess_`` check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .._models._converter import response_parser, structurer
from .._models.event_base import Event
from .._models.events import SessionThreadStatusTerminatedEvent
from .._models.threads import SessionThread
from .._pagination import AsyncPaginator, page_parser
from .._streaming import EventStream
from ._base import Resource, session_path
from ._common import segment
from ._listing import list_query
from .events import _event_page, event_stream, session_ended

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions
    from .._send import Requester

__all__ = [
    "AsyncThreadEventsAPI",
    "AsyncThreadsAPI",
    "session_child_path",
    "thread_ended",
]

_thread = response_parser(SessionThread)
_thread_page = page_parser(structurer(SessionThread))


def session_child_path(
    session_id: object, collection: str, field: str, child_id: object, suffix: str = ""
) -> str:
    """``/sessions/{session_id}/{collection}/{child_id}{suffix}``, both ids validated and quoted.

    ``child_id`` (named ``field`` in errors) is an id without a documented prefix: a
    non-empty str that cannot change the URL (no ``/``, ``?``, ``#``, ``%``, ``..``,
    whitespace or control characters, and not ``.``).

    Args:
        session_id: the ``sess_...`` id.
        collection: ``"threads"`` or ``"resources"``.
        field: the argument name of ``child_id``, for errors.
        child_id: the thread or resource id.
        suffix: what follows the id (``"/archive"``).

    Example::

        session_child_path("sess_1", "threads", "thread_id", "sthr_1", "/events")
    """
    return session_path(session_id, f"/{collection}/{segment(field, child_id)}{suffix}")


def _thread_path(session_id: object, thread_id: object, suffix: str = "") -> str:
    return session_child_path(session_id, "threads", "thread_id", thread_id, suffix)


def thread_ended(thread_id: str) -> Callable[[Event], bool]:
    """The ``ends_after`` predicate of a thread's stream: that thread terminated (an event
    without a thread id on the thread's own stream is its own), or the whole session did.

    Args:
        thread_id: the thread the stream follows.

    Example::

        EventStream(requester, path, parse, ends_after=thread_ended("sthr_1"))
    """

    def ended(event: Event) -> bool:
        if isinstance(event, SessionThreadStatusTerminatedEvent):
            return event.session_thread_id in (None, thread_id)
        return session_ended(event)

    return ended


class AsyncThreadEventsAPI(Resource):
    """The events of one thread: ``list`` and ``stream`` (there is no send at thread level:
    target a thread with ``session_thread_id`` on a session event instead).

    Reach it as ``client.sessions.threads.events``. The events are the same typed models as
    the session's (:class:`Event` subclasses, :class:`UnknownEvent` for new types).

    Example::

        async for event in client.sessions.threads.events.list(thread.id, session_id=sid):
            print(event.type)
    """

    __slots__ = ()

    def list(
        self,
        thread_id: str,
        *,
        session_id: str,
        limit: int | None = None,
        page: str | None = None,
        after_id: str | None = None,
        before_id: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Event]:
        """Every event of a thread, oldest first, fetched page by page as you iterate.

        Arguments are checked here; nothing is sent until you iterate.

        Args:
            thread_id: the thread's id.
            session_id: the ``sess_...`` id of its session.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            after_id: start after this event id.
            before_id: walk backward from this event id.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            events = client.sessions.threads.events.list(thread.id, session_id=session.id)
            async for event in events:
                print(event.id, event.type)
        """
        path = _thread_path(session_id, thread_id, "/events")
        query = list_query(limit, None, page, after_id, before_id)
        return self._list(path, _event_page, query, options)

    def stream(
        self,
        thread_id: str,
        *,
        session_id: str,
        last_event_id: str | None = None,
        event_deltas: Sequence[str] | None = None,
        idle_timeout: float | None = 45.0,
        max_reconnects: int = 10,
    ) -> EventStream:
        """The thread's events as they happen (``GET .../threads/{id}/stream``), resuming by
        itself after a drop, like the session's stream.

        The stream ends after the thread's ``session.thread_status_terminated`` (or the
        session's ``session.status_terminated``). After a dropped or stalled connection it
        reconnects with ``Last-Event-ID`` and yields no event twice and none too few.

        Args:
            thread_id: the thread's id.
            session_id: the ``sess_...`` id of its session.
            last_event_id: start after this event.
            event_deltas: event types to preview (``["agent.message", "agent.thinking"]``).
            idle_timeout: seconds without a byte (heartbeats included) after which the
                connection counts as dead; ``None`` waits forever.
            max_reconnects: consecutive failed reconnections before giving up.

        Example::

            stream = client.sessions.threads.events.stream(thread.id, session_id=session.id)
            async with stream:
                async for event in stream:
                    print(event.type)
        """
        return event_stream(
            self._requester,
            _thread_path(session_id, thread_id, "/stream"),
            last_event_id=last_event_id,
            event_deltas=event_deltas,
            idle_timeout=idle_timeout,
            max_reconnects=max_reconnects,
            ends_after=thread_ended(thread_id),
        )


class AsyncThreadsAPI(Resource):
    """Threads of a session: ``list``, ``retrieve``, ``archive``; ``events`` below.

    Reach it as ``client.sessions.threads``. A multi-agent session runs one thread per
    agent; the session's stream announces them (``session.thread_created``, ...). Every
    method also takes the per-call :class:`RequestOptions` as keyword arguments.

    Example::

        async for thread in client.sessions.threads.list(session.id):
            print(thread.id, thread.status)
    """

    __slots__ = ("events",)

    events: AsyncThreadEventsAPI
    """A thread's events: list and stream (see :class:`AsyncThreadEventsAPI`)."""

    def __init__(self, requester: Requester) -> None:
        super().__init__(requester)
        self.events = AsyncThreadEventsAPI(requester)

    def list(
        self,
        session_id: str,
        *,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[SessionThread]:
        """Every thread of a session, fetched page by page as you iterate.

        Arguments are checked here; nothing is sent until you iterate.

        Args:
            session_id: the ``sess_...`` id.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            threads = [t async for t in client.sessions.threads.list(session.id)]
        """
        path = session_path(session_id, "/threads")
        return self._list(path, _thread_page, list_query(limit, None, page), options)

    async def retrieve(
        self, thread_id: str, *, session_id: str, **options: Unpack[RequestOptions]
    ) -> SessionThread:
        """Fetch one thread (``GET /sessions/{session_id}/threads/{id}``).

        Args:
            thread_id: the thread's id.
            session_id: the ``sess_...`` id of its session.
            options: per-call :class:`RequestOptions`.

        Example::

            thread = await client.sessions.threads.retrieve(thread_id, session_id=session.id)
            print(thread.status, thread.parent_thread_id)
        """
        return await self._request("GET", _thread_path(session_id, thread_id), _thread, options)

    async def archive(
        self, thread_id: str, *, session_id: str, **options: Unpack[RequestOptions]
    ) -> SessionThread:
        """Archive a thread (``POST /sessions/{session_id}/threads/{id}/archive``).

        Like every POST it carries an ``Idempotency-Key``, the same on every retry.

        Args:
            thread_id: the thread's id.
            session_id: the ``sess_...`` id of its session.
            options: per-call :class:`RequestOptions`.

        Example::

            thread = await client.sessions.threads.archive(thread_id, session_id=session.id)
            print(thread.archived_at)
        """
        return await self._action(_thread_path(session_id, thread_id, "/archive"), _thread, options)
