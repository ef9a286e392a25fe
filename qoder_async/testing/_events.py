"""The fake server's session lifecycle, events and SSE stream, with a scripted echo agent.

Semantics follow ``REFERENCE.md``: the list envelope (``next_page`` cursors, or
``last_id``/``after_id`` when ``cursor_style = "after_id"``) and its 400s, archive, delete,
cancel (202 while a turn runs, 200 otherwise), 202 on send, SSE frames with ``id:``,
``Last-Event-ID`` resume (after a stored event, or into the in-flight previews of one),
periodic heartbeats, and ``event_deltas[]`` previews. A ``user.message`` makes the agent
emit ``session.status_running``, one ``agent.message`` per reply text (``reply``), a
``span.model_request_end`` with usage, then ``session.status_idle`` with ``stop_reason``.

Threads (``_threads``) and session resources (``_resources``) are served too.

The routes live in ``_sessions``, ``_event_routes``, ``_stream``, ``_threads`` and
``_resources``, the shared state in ``_state``; :class:`FakeEvents` puts them together.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

from ._event_routes import EventRoutes
from ._resources import ResourceRoutes
from ._sessions import SessionRoutes
from ._threads import ThreadRoutes

__all__ = ["FakeEvents"]


class FakeEvents(SessionRoutes, EventRoutes, ThreadRoutes, ResourceRoutes):
    """Lifecycle, events, streaming, threads and resources for :class:`FakeQoderServer`
    (``server.events``).

    Knobs (set them before the requests they should affect):
        ``heartbeat_interval``: seconds between keep-alives on an idle stream.
        ``heartbeat_style``: ``"comment"`` (``: heartbeat``) or ``"event"`` (``event: heartbeat``).
        ``agent_delay``: seconds the agent waits before each event it emits.
        ``reply``: ``reply(text) -> list of reply texts`` (default: echo the text once).
        ``cursor_style``: ``"page"`` (``next_page``) or ``"after_id"`` (no ``next_page``).
        ``replay_history``: a stream without ``Last-Event-ID`` starts with the whole history.

    Controls (the agent's side of a session, for tests):
        ``log(session_id)``: the session's stored events.
        ``terminate(session_id)``: end the session (its live threads terminate first).
        ``wait_idle(session_id)``: wait for the running turn to end.
        ``create_thread(session_id, agent_name=..., parent_thread_id=...)``: start a thread
        (``sthr_...``; emits ``session.thread_created`` and ``session.thread_status_running``)
        and return it.
        ``emit_thread_event(session_id, thread_id, type, **fields)``: store an event of that
        thread (any type); it goes to the session's stream and the thread's
        (``GET /sessions/{id}/threads/{thread_id}/stream``, which ends after
        ``session.thread_status_terminated``); a ``session.thread_status_<s>`` sets its status.

    Resources given to ``POST /sessions`` and those added later share the session's
    ``resources`` array (ids ``sesrsc_...``); secrets sent to them are never stored.
    ``initial_events`` given to ``POST /sessions`` enter the session's log as it is created
    (a ``user.message`` starting the first turn).

    Example::

        server.events.heartbeat_interval = 0.05
        server.events.reply = lambda text: [text.upper(), "done"]
        server.inject(Fault.cut_stream(after_events=2), path=f"/sessions/{sid}/events/stream")
        thread = server.events.create_thread(sid, agent_name="researcher")
        server.events.emit_thread_event(sid, thread["id"], "session.thread_status_terminated")
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
        thread = base + "/threads/{thread_id}"
        app.router.add_get(base + "/threads", self._list_threads)
        app.router.add_get(thread, self._retrieve_thread)
        app.router.add_post(thread + "/archive", self._archive_thread)
        app.router.add_get(thread + "/events", self._list_thread_events)
        app.router.add_get(thread + "/stream", self._thread_stream)
        resource = base + "/resources/{resource_id}"
        app.router.add_post(base + "/resources", self._add_resource)
        app.router.add_get(base + "/resources", self._list_resources)
        app.router.add_get(resource, self._retrieve_resource)
        app.router.add_post(resource, self._update_resource)
        app.router.add_delete(resource, self._delete_resource)
        app.on_shutdown.append(self._shutdown)

    # -- test controls ------------------------------------------------------------------

    def log(self, session_id: str) -> list[dict[str, Any]]:
        """The stored events of a session, oldest first."""
        return self._log(session_id).events

    def terminate(self, session_id: str) -> None:
        """End a session for good: emits ``session.thread_status_terminated`` for each thread
        still alive, then ``session.status_terminated``; streams then close."""
        session = self._session(session_id)
        log = self._log(session_id)
        if log.turn is not None:
            log.turn.cancel()
        for thread in list(log.threads.values()):
            if thread["status"] != "terminated":
                self.emit_thread_event(session_id, thread["id"], "session.thread_status_terminated")
        session["status"] = "terminated"
        self._append(log, "session.status_terminated")

    async def wait_idle(self, session_id: str) -> None:
        """Wait until the session's running turn (if any) is over."""
        turn = self._log(session_id).turn
        if turn is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await turn
