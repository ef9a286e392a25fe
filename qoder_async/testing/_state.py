"""The state behind ``server.events``: per-session event logs, the knobs, and the helpers the
session routes, the event routes and the stream share (lookup, append, idempotent replay,
interrupting a turn).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from ._paging import paginate
from ._wire import ApiError, conflict, idempotency_key, json_response, new_id, now_rfc3339

__all__ = ["EventsState", "SessionLog", "SessionStore"]


class SessionStore(Protocol):
    """What the events side needs of the server: its sessions, by id."""

    sessions: dict[str, dict[str, Any]]


class SessionLog:
    """One session's stored events, its in-flight preview, its threads, and a change signal."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        #: thread id -> thread object, in creation order (see ``_threads``).
        self.threads: dict[str, dict[str, Any]] = {}
        self.index: dict[str, int] = {}
        self.inflight: dict[str, Any] | None = None
        # event id -> its preview frames, so a live subscriber gets them all, even when the
        # event was completed before the subscriber's handler got to run.
        self.previews: dict[str, list[dict[str, Any]]] = {}
        self.turn: asyncio.Task[None] | None = None
        self.ended = False
        self.changed = asyncio.Event()

    def notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


def _not_found(session_id: str) -> ApiError:
    return ApiError(404, "not_found_error", f"Session '{session_id}' was not found.")


class EventsState:
    """The knobs and logs of :class:`~qoder_async.testing._events.FakeEvents` (which
    documents the knobs), and the helpers every group of its routes uses."""

    def __init__(self, server: SessionStore) -> None:
        self.server = server
        self.heartbeat_interval = 15.0
        self.heartbeat_style = "comment"
        self.agent_delay = 0.0
        self.reply: Callable[[str], list[str]] = lambda text: [text]
        self.cursor_style = "page"
        self.replay_history = True
        #: ``Last-Event-ID`` of every stream request, in order (``None`` when absent).
        self.stream_resumes: list[str | None] = []
        self._logs: dict[str, SessionLog] = {}
        self._replays: dict[str, tuple[str, int, bytes]] = {}

    def _session(self, session_id: str) -> dict[str, Any]:
        session = self.server.sessions.get(session_id)
        if session is None:
            raise _not_found(session_id)
        return session

    def _log(self, session_id: str) -> SessionLog:
        log = self._logs.get(session_id)
        if log is None:
            log = self._logs[session_id] = SessionLog()
        return log

    def accept_initial(self, session: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """Store a new session's checked ``initial_events`` (a ``user.message`` starts a turn)."""
        self._accept(session, self._log(session["id"]), events)

    def _accept(
        self, session: dict[str, Any], log: SessionLog, events: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Store inbound events and start the turns they ask for (see ``EventRoutes``)."""
        raise NotImplementedError

    def _append(self, log: SessionLog, kind: str, **payload: Any) -> dict[str, Any]:
        event = {
            "id": payload.pop("id", None) or new_id("evt"),
            "type": kind,
            **payload,
            "processed_at": now_rfc3339(),
        }
        log.index[event["id"]] = len(log.events)
        log.events.append(event)
        log.notify()
        return event

    def _page(
        self, items: list[dict[str, Any]], request: web.Request, default_order: str = "asc"
    ) -> web.Response:
        """One page of ``items`` for the request, in the configured cursor style."""
        return json_response(
            paginate(items, request, default_order=default_order, cursor_style=self.cursor_style)
        )

    async def _shutdown(self, _: web.Application) -> None:
        for log in self._logs.values():
            if log.turn is not None:
                log.turn.cancel()
            log.ended = True
            log.notify()

    async def _idempotent(
        self, request: web.Request, run: Callable[[], Awaitable[tuple[int, Any]]]
    ) -> web.Response:
        key = idempotency_key(request)
        body = await request.read()
        digest = hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()
        if key is not None:
            stored = self._replays.get(key)
            if stored is not None:
                if stored[0] != digest:
                    raise conflict("Idempotency key reused with a different request body.")
                return web.Response(
                    status=stored[1],
                    body=stored[2],
                    content_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
        status, payload = await run()
        raw = json.dumps(payload).encode()
        if key is not None:
            self._replays[key] = (digest, status, raw)
        return web.Response(status=status, body=raw, content_type="application/json")

    def _interrupt(self, session_id: str) -> bool:
        """Stop a running turn; the agent then reports idle. Whether one was running."""
        log = self._log(session_id)
        turn = log.turn
        if turn is None or turn.done():
            return False
        turn.cancel()
        log.inflight = None
        self.server.sessions[session_id]["status"] = "idle"
        self._append(log, "session.status_idle", stop_reason={"type": "interrupted"})
        return True
