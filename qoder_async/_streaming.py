"""A session's (or one of its threads') event stream that survives dropped connections.

:class:`EventStream` reads SSE frames (:mod:`qoder_async._sse`) off one pooled aiohttp
connection and turns them into typed events. When the connection drops, stalls (no byte,
not even a heartbeat, for ``idle_timeout`` seconds) or ends before the session is
terminated, it reconnects with ``Last-Event-ID`` through the send path's one retry loop
(:meth:`Requester.resend`, the client's :class:`RetryPolicy`), and drops the events the
server replays a second time.

The resume cursor is the id of the last *complete* event yielded. Previews
(``event_start``/``event_delta``) carry the id of the event they preview; resuming from one
could make a server skip that event once it is stored, so they never move the cursor.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import APIConnectionError, APIError, APIResponseValidationError, truncate
from ._models._event_hooks import unknown_event
from ._models.event_base import Event
from ._models.previews import EventDeltaEvent, EventStartEvent
from ._send import Requester
from ._sse import DEFAULT_MAX_FRAME_CHARS, FrameTooLargeError, ServerSentEvent, SSEDecoder
from ._transport import Response

__all__ = ["EventStream", "frame_event"]

#: Frames that only keep the connection alive; never yielded.
KEEPALIVE = frozenset({"heartbeat", "ping"})
#: After one of these a session's stream carries nothing more: it ends.
SESSION_TERMINAL = frozenset({"session.status_terminated"})
_PREVIEWS = (EventStartEvent, EventDeltaEvent)
#: Ids remembered for dropping replays; a replay starts after the cursor, so a window is plenty.
_SEEN_WINDOW = 10_000


class _Done:
    """``data: [DONE]``: the server says the stream is over."""


DONE = _Done()


def frame_event(frame: ServerSentEvent, parse: Callable[[Any], Event]) -> Event | _Done | None:
    """The typed event ``frame`` carries: ``None`` for a keep-alive, :data:`DONE` at the end.

    ``id`` and ``type`` missing from the data are taken from the frame's ``id:``/``event:``.
    Data that is not a JSON object becomes an :class:`UnknownEvent` with ``raw["data"]``.
    """
    if frame.event in KEEPALIVE:
        return None
    text = frame.data
    if text == "[DONE]":
        return DONE
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        payload = None
    if type(payload) is not dict:
        payload = {"type": frame.event, "data": text}
        if frame.id:
            payload["id"] = frame.id
        return unknown_event(payload)
    if frame.event == "error" or payload.get("type") == "error":
        raise _stream_error(payload)
    kind = payload.get("type")
    if kind is None:
        payload["type"] = frame.event
    elif isinstance(kind, str) and kind in KEEPALIVE:
        return None
    if payload.get("id") is None and frame.id:
        payload["id"] = frame.id
    return parse(payload)


def _stream_error(payload: dict[str, Any]) -> APIError:
    error = payload.get("error")
    message = error.get("message") if isinstance(error, dict) else error
    if not isinstance(message, str):
        message = payload.get("message") if isinstance(payload.get("message"), str) else None
    request_id = payload.get("request_id")
    return APIError(
        f"the event stream reported an error: {truncate(message or json.dumps(payload), 300)}",
        request_id=request_id if isinstance(request_id, str) else None,
    )


class EventStream:
    """Typed events of one session, or of one thread of it, live; an async iterator and an
    async context manager.

    Entering the context opens the connection (so events sent afterwards are not missed);
    iterating without it opens it on the first ``__anext__``. The stream ends after the event
    ``ends_after`` accepts (a session's stream: ``session.status_terminated``; a thread's,
    from ``client.sessions.threads.events.stream``: its ``session.thread_status_terminated``
    too), on :meth:`aclose`, or when the context exits; breaking out of ``async with``
    releases the connection at once.

    Example::

        async with client.sessions.events.stream(session.id) as stream:
            await client.sessions.events.send(session.id, [user_message("hi")])
            async for event in stream:
                if isinstance(event, AgentMessageEvent):
                    print(event.text)
                elif isinstance(event, SessionStatusIdleEvent):
                    break
    """

    __slots__ = (
        "_call",
        "_closed",
        "_connections",
        "_cursor",
        "_decoder",
        "_ends_after",
        "_frames",
        "_max_frame",
        "_parse",
        "_path",
        "_progress",
        "_requester",
        "_response",
        "_seen",
    )

    def __init__(
        self,
        requester: Requester,
        path: str,
        parse: Callable[[Any], Event],
        *,
        query: Mapping[str, Any] | None = None,
        last_event_id: str | None = None,
        idle_timeout: float | None = 45.0,
        max_reconnects: int = 10,
        ends_after: Callable[[Event], bool] = lambda event: event.type in SESSION_TERMINAL,
    ) -> None:
        self._requester = requester
        self._ends_after = ends_after
        self._path = path
        self._parse = parse
        # One logical call for the stream's whole life: every reconnection is a retry of it.
        self._call = requester.prepare_stream(
            path,
            query=dict(query) if query else None,
            idle_timeout=idle_timeout,
            max_reconnects=max_reconnects,
        )
        self._cursor = last_event_id or None
        self._max_frame = min(requester.config.max_response_bytes, DEFAULT_MAX_FRAME_CHARS)
        self._response: Response | None = None
        self._decoder: SSEDecoder | None = None
        self._frames: deque[ServerSentEvent] = deque()
        self._closed = False
        self._connections = 0
        self._progress = False
        # id -> number of the connection that yielded it; replays on a later one are dropped.
        self._seen: dict[str, int] = {}

    # -- public surface -----------------------------------------------------------------

    @property
    def last_event_id(self) -> str | None:
        """The id the stream resumes after: the last complete event it yielded."""
        return self._cursor

    @property
    def reconnects(self) -> int:
        """How many times the stream had to connect again."""
        return max(self._connections - 1, 0)

    @property
    def closed(self) -> bool:
        """Whether the stream ended (terminated session, :meth:`aclose`, or context exit)."""
        return self._closed

    async def aclose(self) -> None:
        """End the stream and release its connection. Safe to call twice.

        Example::

            stream = client.sessions.events.stream(session.id)
            first = await stream.__anext__()
            await stream.aclose()
        """
        self._closed = True
        self._release()

    async def __aenter__(self) -> EventStream:
        if not self._closed and self._response is None:
            try:
                await self._connect(None)
            except BaseException:
                self._release()
                raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        try:
            while True:
                if self._closed:
                    raise StopAsyncIteration
                if self._frames:
                    event = self._accept(self._frames.popleft())
                    if event is not None:
                        return event
                    continue
                if self._response is None:
                    await self._connect(None)
                else:
                    await self._read()
        except BaseException:
            # Finished, failed, or cancelled: never keep a connection checked out of the pool.
            # A cancelled stream may be iterated again; it then resumes on a new connection.
            self._release()
            raise

    def __del__(self) -> None:
        # ``async for ... break`` without ``async with``: nothing else would close it.
        response = getattr(self, "_response", None)
        if response is not None:
            try:
                response.close()
            except Exception:
                pass  # nothing may escape __del__; the pool reclaims what cannot close

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<EventStream {self._path} last_event_id={self._cursor!r} {state}>"

    # -- frames -------------------------------------------------------------------------

    def _accept(self, frame: ServerSentEvent) -> Event | None:
        event = frame_event(frame, self._parse)
        if event is None:
            return None
        if isinstance(event, _Done):
            self._finish()
            return None
        if not isinstance(event, _PREVIEWS):
            event_id = event.id
            if event_id:
                seen = self._seen.get(event_id)
                if seen is not None and seen < self._connections:
                    return None  # replayed after a reconnect: already yielded
                if seen is None:
                    self._remember(event_id)
            if frame.id is not None:
                self._cursor = frame.id or None
            elif event_id:
                self._cursor = event_id
            if self._ends_after(event):
                self._finish()
        self._progress = True
        return event

    def _finish(self) -> None:
        # Nothing follows: free the connection now, not at the next __anext__ (if any).
        self._closed = True
        self._frames.clear()
        self._release()

    def _remember(self, event_id: str) -> None:
        seen = self._seen
        seen[event_id] = self._connections
        if len(seen) > _SEEN_WINDOW:
            del seen[next(iter(seen))]

    # -- the connection -----------------------------------------------------------------

    async def _connect(self, drop: APIError | None) -> None:
        """Open the stream, or open it again after ``drop`` ended the previous connection."""
        call = self._call
        if self._cursor:
            call.headers["Last-Event-ID"] = self._cursor
        decoder = self._decoder
        if decoder is not None and decoder.retry is not None:
            # The reconnection delay a server asked for holds until it asks for another.
            call.min_delay = min(decoder.retry / 1000.0, self._requester.config.retry.max_delay)
        if drop is None:
            response = await self._requester.open_stream(call)
        else:
            if self._progress:
                # Events arrived since the last drop: the retry budget and backoff start over.
                call.backoff_base = call.attempt
                self._progress = False
            response = await self._requester.resend(call, None, drop)
        self._response = response
        self._decoder = SSEDecoder(
            last_event_id=self._cursor or "", max_frame_chars=self._max_frame
        )
        if decoder is not None:
            self._decoder.retry = decoder.retry
        self._connections += 1

    async def _read(self) -> None:
        response = self._response
        decoder = self._decoder
        assert response is not None and decoder is not None
        try:
            chunk = await response.read_chunk()
        except APIError as error:
            await self._reconnect(error)
            return
        if not chunk:
            decoder.end()
            await self._reconnect(
                APIConnectionError(
                    f"GET {self._path}: the event stream ended before the session terminated"
                )
            )
            return
        self._progress = True
        try:
            self._frames.extend(decoder.feed(chunk))
        except FrameTooLargeError as exc:
            raise APIResponseValidationError(
                f"GET {self._path}: {exc}", status_code=response.status
            ) from None

    async def _reconnect(self, drop: APIError) -> None:
        self._release()
        if self._closed:
            return  # aclose() from another task: not a drop
        await self._connect(drop)

    def _release(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            response.close()
