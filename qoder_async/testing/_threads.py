"""The fake server's session threads: the routes (list, retrieve, archive, a thread's events
and its stream), and the test controls that create threads and emit their events.

A thread's events are the session's events whose ``session_thread_id`` is the thread's id:
they are stored once, in the session's log, so they appear on the session's stream too (as
the API cross-posts them) and on the thread's own stream, which ends after the thread's
``session.thread_status_terminated``. The stream faults apply to the thread stream as well.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._stream import StreamRoute
from ._wire import ApiError, conflict, json_response, new_id, now_rfc3339

__all__ = ["ThreadRoutes"]

_STATUS_PREFIX = "session.thread_status_"


class ThreadRoutes(StreamRoute):
    """Threads of a session, and what tests use to make them (see :class:`FakeEvents`)."""

    # -- test controls ------------------------------------------------------------------

    def create_thread(
        self, session_id: str, *, agent_name: str = "worker", parent_thread_id: str | None = None
    ) -> dict[str, Any]:
        """Start a thread in a session, as the agent does when it delegates: emits
        ``session.thread_created`` then ``session.thread_status_running``; returns the thread."""
        session = self._session(session_id)
        stamp = now_rfc3339()
        thread: dict[str, Any] = {
            "id": new_id("sthr"),
            "type": "session_thread",
            "session_id": session_id,
            "parent_thread_id": parent_thread_id,
            "status": "idle",
            "agent": {**session["agent"], "name": agent_name},
            "stats": {"active_seconds": 0, "duration_seconds": 0, "startup_seconds": 0},
            "usage": {"input_tokens": 0, "output_tokens": 0},
            "archived_at": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        self._log(session_id).threads[thread["id"]] = thread
        self.emit_thread_event(session_id, thread["id"], "session.thread_created")
        self.emit_thread_event(session_id, thread["id"], "session.thread_status_running")
        return thread

    def emit_thread_event(
        self, session_id: str, thread_id: str, kind: str, **payload: Any
    ) -> dict[str, Any]:
        """Store an event of a thread (any ``type``, even one the client does not know) and
        send it to the session's and the thread's streams; returns the stored event.

        ``session.thread_*`` events get the thread's ``agent_name``; a
        ``session.thread_status_<status>`` event also sets the thread's ``status``.
        """
        thread = self._thread(session_id, thread_id)
        if kind.startswith("session.thread_"):
            payload.setdefault("agent_name", thread["agent"]["name"])
        if kind.startswith(_STATUS_PREFIX):
            thread["status"] = kind[len(_STATUS_PREFIX) :]
            thread["updated_at"] = now_rfc3339()
        log = self._log(session_id)
        return self._append(log, kind, session_thread_id=thread_id, **payload)

    def _thread(self, session_id: str, thread_id: str) -> dict[str, Any]:
        self._session(session_id)
        thread = self._log(session_id).threads.get(thread_id)
        if thread is None:
            raise ApiError(404, "not_found_error", f"Thread '{thread_id}' was not found.")
        return thread

    def _requested_thread(self, request: web.Request) -> dict[str, Any]:
        return self._thread(request.match_info["session_id"], request.match_info["thread_id"])

    # -- routes -------------------------------------------------------------------------

    async def _list_threads(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        self._session(session_id)
        return self._page(list(self._log(session_id).threads.values()), request)

    async def _retrieve_thread(self, request: web.Request) -> web.Response:
        return json_response(self._requested_thread(request))

    async def _archive_thread(self, request: web.Request) -> web.Response:
        thread = self._requested_thread(request)

        async def run() -> tuple[int, Any]:
            if thread["archived_at"] is not None:
                raise conflict("Thread is already archived.")
            thread["archived_at"] = thread["updated_at"] = now_rfc3339()
            return 200, thread

        return await self._idempotent(request, run)

    async def _list_thread_events(self, request: web.Request) -> web.Response:
        thread_id = self._requested_thread(request)["id"]
        log = self._log(request.match_info["session_id"])
        return self._page(
            [e for e in log.events if e.get("session_thread_id") == thread_id], request
        )

    async def _thread_stream(self, request: web.Request) -> web.StreamResponse:
        thread_id = self._requested_thread(request)["id"]
        return await self._serve_stream(
            request,
            self._log(request.match_info["session_id"]),
            lambda event: event.get("session_thread_id") == thread_id,
            "session.thread_status_terminated",
        )
