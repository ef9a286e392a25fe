"""The fake server's session lifecycle, events and SSE stream, with a scripted echo agent.

Semantics follow ``REFERENCE.md``: the list envelope (``next_page`` cursors, or
``last_id``/``after_id`` when ``cursor_style = "after_id"``) and its 400s, archive, delete,
cancel (202 while a turn runs, 200 otherwise), 202 on send, SSE frames with ``id:``,
``Last-Event-ID`` resume (after a stored event, or into the in-flight previews of one),
periodic heartbeats, and ``event_deltas[]`` previews. A ``user.message`` makes the agent
emit ``session.status_running``, one ``agent.message`` per reply text (``reply``), a
``span.model_request_end`` with usage, then ``session.status_idle`` with ``stop_reason``.

The routes live in ``_sessions``, ``_event_routes`` and ``_stream``, the shared state in
``_state``; :class:`FakeEvents` puts them together.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

from ._event_routes import EventRoutes
from ._sessions import SessionRoutes
from ._stream import StreamRoute

__all__ = ["FakeEvents"]


class FakeEvents(SessionRoutes, EventRoutes, StreamRoute):
    """Lifecycle, events and streaming for :class:`FakeQoderServer` (``server.events``).

    Knobs (set them before the requests they should affect):
        ``heartbeat_interval``: seconds between keep-alives on an idle stream.
        ``heartbeat_style``: ``"comment"`` (``: heartbeat``) or ``"event"`` (``event: heartbeat``).
        ``agent_delay``: seconds the agent waits before each event it emits.
        ``reply``: ``reply(text) -> list of reply texts`` (default: echo the text once).
        ``cursor_style``: ``"page"`` (``next_page``) or ``"after_id"`` (no ``next_page``).
        ``replay_history``: a stream without ``Last-Event-ID`` starts with the whole history.

    Example::

        server.events.heartbeat_interval = 0.05
        server.events.reply = lambda text: [text.upper(), "done"]
        server.inject(Fault.cut_stream(after_events=2), path=f"/sessions/{sid}/events/stream")
    """

    def install(self, app: web.Application, prefix: str) -> None:
        """Add the routes under ``prefix`` (the API root) and stop the agent on shutdown."""
        base = prefix + "/sessions/{session_id}"
        app.router.add_get(prefix + "/sessions", self._list_sessions)
        app.router.add_get(base, self._retrieve)
        app.router.add_post(base, self._update)
        app.router.add_delete(base, self._delete)
        app.router.add_post(base + "/archive", self._archive)
        app.router.add_post(base + "/cancel", self._cancel)
        app.router.add_post(base + "/events", self._send)
        app.router.add_get(base + "/events", self._list_events)
        app.router.add_get(base + "/events/stream", self._stream)
        app.on_shutdown.append(self._shutdown)

    # -- test controls ------------------------------------------------------------------

    def log(self, session_id: str) -> list[dict[str, Any]]:
        """The stored events of a session, oldest first."""
        return self._log(session_id).events

    def terminate(self, session_id: str) -> None:
        """End a session for good: emits ``session.status_terminated``; streams then close."""
        session = self._session(session_id)
        log = self._log(session_id)
        if log.turn is not None:
            log.turn.cancel()
        session["status"] = "terminated"
        self._append(log, "session.status_terminated")

    async def wait_idle(self, session_id: str) -> None:
        """Wait until the session's running turn (if any) is over."""
        turn = self._log(session_id).turn
        if turn is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await turn
