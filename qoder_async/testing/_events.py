"""The fake server's session lifecycle, events and SSE stream, with a scripted echo agent.

Semantics follow ``REFERENCE.md``: the list envelope (``next_page`` cursors, or
``last_id``/``after_id`` when ``cursor_style = "after_id"``) and its 400s, archive, delete,
cancel (202 while a turn runs, 200 otherwise), 202 on send, SSE frames with ``id:``,
``Last-Event-ID`` resume (after a stored event, or into the in-flight previews of one),
periodic heartbeats, and ``event_deltas[]`` previews. A ``user.message`` makes the agent
emit ``session.status_running``, one ``agent.message`` per reply text (``reply``), a
``span.model_request_end`` with usage, then ``session.status_idle`` with ``stop_reason``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._faults import FAULT_KEY, STREAM_FAULTS, Fault
from ._paging import paginate
from ._server import ApiError, _json_object, _reset, now_rfc3339

if TYPE_CHECKING:
    from ._server import FakeQoderServer

__all__ = ["FakeEvents"]

_INBOUND = frozenset(
    {
        "user.message",
        "user.interrupt",
        "user.tool_confirmation",
        "user.tool_result",
        "user.custom_tool_result",
        "user.define_outcome",
        "system.message",
    }
)


def _bad(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, "invalid_request_error", message, param)


def _conflict(message: str) -> ApiError:
    return ApiError(409, "conflict_error", message)


def _not_found(session_id: str) -> ApiError:
    return ApiError(404, "not_found_error", f"Session '{session_id}' was not found.")


class _Log:
    """One session's stored events, its in-flight preview, and a change signal."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
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


class FakeEvents:
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

    def __init__(self, server: FakeQoderServer) -> None:
        self.server = server
        self.heartbeat_interval = 15.0
        self.heartbeat_style = "comment"
        self.agent_delay = 0.0
        self.reply: Callable[[str], list[str]] = lambda text: [text]
        self.cursor_style = "page"
        self.replay_history = True
        #: ``Last-Event-ID`` of every stream request, in order (``None`` when absent).
        self.stream_resumes: list[str | None] = []
        self._logs: dict[str, _Log] = {}
        self._replays: dict[str, tuple[str, int, bytes]] = {}

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

    # -- state --------------------------------------------------------------------------

    def _session(self, session_id: str) -> dict[str, Any]:
        session = self.server.sessions.get(session_id)
        if session is None:
            raise _not_found(session_id)
        return session

    def _log(self, session_id: str) -> _Log:
        log = self._logs.get(session_id)
        if log is None:
            log = self._logs[session_id] = _Log()
        return log

    def _append(self, log: _Log, kind: str, **payload: Any) -> dict[str, Any]:
        event = {
            "id": payload.pop("id", None) or f"evt_{uuid.uuid4().hex}",
            "type": kind,
            **payload,
            "processed_at": now_rfc3339(),
        }
        log.index[event["id"]] = len(log.events)
        log.events.append(event)
        log.notify()
        return event

    async def _shutdown(self, _: web.Application) -> None:
        for log in self._logs.values():
            if log.turn is not None:
                log.turn.cancel()
            log.ended = True
            log.notify()

    async def _idempotent(
        self, request: web.Request, run: Callable[[], Awaitable[tuple[int, Any]]]
    ) -> web.Response:
        key = request.headers.get("Idempotency-Key") or request.headers.get("X-Idempotency-Key")
        body = await request.read()
        digest = hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()
        if key is not None:
            stored = self._replays.get(key)
            if stored is not None:
                if stored[0] != digest:
                    raise _conflict("Idempotency key reused with a different request body.")
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

    # -- sessions -----------------------------------------------------------------------

    async def _list_sessions(self, request: web.Request) -> web.Response:
        query = request.query
        include_archived = query.get("include_archived", "false") == "true"
        statuses = set(query.getall("statuses[]", []))
        for value in query.getall("statuses", []):
            statuses.update(filter(None, value.split(",")))
        items = [
            s
            for s in self.server.sessions.values()
            if (include_archived or s.get("archived_at") is None)
            and (not statuses or s.get("status") in statuses)
        ]
        return _json(paginate(items, request, default_order="desc", cursor_style=self.cursor_style))

    async def _retrieve(self, request: web.Request) -> web.Response:
        return _json(self._session(request.match_info["session_id"]))

    async def _update(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        session = self._session(session_id)

        async def run() -> tuple[int, Any]:
            data = _json_object(await request.read())
            if "vault_ids" in data:
                raise _bad("vault_ids is read-only.", "vault_ids")
            if "title" in data:
                title = data["title"]
                if title is not None and not isinstance(title, str):
                    raise _bad("title must be a string.", "title")
                session["title"] = title or ""
            metadata = data.get("metadata")
            if metadata is not None:
                if not isinstance(metadata, dict):
                    raise _bad("metadata must be an object.", "metadata")
                merged = dict(session.get("metadata") or {})
                for key, value in metadata.items():
                    if value is None:
                        merged.pop(key, None)
                    elif isinstance(value, str):
                        merged[key] = value
                    else:
                        raise _bad("metadata values must be strings.", "metadata")
                session["metadata"] = merged
            if "delta_flush_interval_ms" in data:
                interval = data["delta_flush_interval_ms"]
                if not isinstance(interval, int) or not 50 <= interval <= 5000:
                    raise _bad(
                        "delta_flush_interval_ms must be between 50 and 5000.",
                        "delta_flush_interval_ms",
                    )
            session["updated_at"] = now_rfc3339()
            return 200, session

        return await self._idempotent(request, run)

    async def _archive(self, request: web.Request) -> web.Response:
        session = self._session(request.match_info["session_id"])

        async def run() -> tuple[int, Any]:
            if session.get("archived_at") is not None:
                raise _conflict("Session is already archived.")
            session["archived_at"] = session["updated_at"] = now_rfc3339()
            return 200, session

        return await self._idempotent(request, run)

    async def _delete(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]

        async def run() -> tuple[int, Any]:
            self._session(session_id)
            del self.server.sessions[session_id]
            log = self._logs.pop(session_id, None)
            if log is not None:
                if log.turn is not None:
                    log.turn.cancel()
                log.ended = True
                log.notify()
            return 200, {"id": session_id, "type": "session_deleted"}

        return await self._idempotent(request, run)

    async def _cancel(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        self._session(session_id)

        async def run() -> tuple[int, Any]:
            status = 202 if self._interrupt(session_id) else 200
            return status, {"id": session_id, "type": "session", "status": "canceling"}

        return await self._idempotent(request, run)

    # -- events -------------------------------------------------------------------------

    async def _send(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        session = self._session(session_id)

        async def run() -> tuple[int, Any]:
            events = _json_object(await request.read()).get("events")
            if not isinstance(events, list) or not events:
                raise _bad("events must be a non-empty array.", "events")
            if session.get("archived_at") is not None:
                raise _conflict("Session is archived.")
            if session.get("status") == "terminated":
                raise _conflict("Session is terminated.")
            for index, event in enumerate(events):
                _check_inbound(index, event)
            log = self._log(session_id)
            running = log.turn is not None and not log.turn.done()
            if running and any(e["type"] == "user.message" for e in events):
                raise _conflict("A turn is already running; wait for session.status_idle.")
            stored = []
            for event in events:
                payload = {k: v for k, v in event.items() if k not in ("id", "type")}
                if isinstance(payload.get("content"), str):
                    payload["content"] = [{"type": "text", "text": payload["content"]}]
                stored.append(self._append(log, event["type"], **payload))
            for event in stored:
                if event["type"] == "user.message":
                    blocks = [b for b in event["content"] if isinstance(b, dict)]
                    text = "".join(str(b.get("text", "")) for b in blocks)
                    log.turn = asyncio.create_task(self._agent(session, log, text))
                elif event["type"] == "user.interrupt":
                    self._interrupt(session_id)
            return 202, {"data": stored}

        return await self._idempotent(request, run)

    async def _list_events(self, request: web.Request) -> web.Response:
        self._session(request.match_info["session_id"])
        log = self._log(request.match_info["session_id"])
        types = set(request.query.getall("types[]", []))
        for key in ("types", "type"):
            for value in request.query.getall(key, []):
                types.update(filter(None, value.split(",")))
        items = [e for e in log.events if not types or e["type"] in types]
        return _json(paginate(items, request, default_order="asc", cursor_style=self.cursor_style))

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

    async def _agent(self, session: dict[str, Any], log: _Log, text: str) -> None:
        await asyncio.sleep(self.agent_delay)
        session["status"] = session["turn_status"] = "running"
        self._append(log, "session.status_running", status="running")
        for reply in self.reply(text):
            await asyncio.sleep(self.agent_delay)
            await self._message(log, reply)
        await asyncio.sleep(self.agent_delay)
        words = len(text.split())
        self._append(
            log,
            "span.model_request_end",
            is_error=False,
            model_usage={"input_tokens": words, "output_tokens": words, "credits": 0.01},
        )
        session["status"] = session["turn_status"] = "idle"
        self._append(log, "session.status_idle", stop_reason={"type": "end_turn"})

    async def _message(self, log: _Log, reply: str) -> None:
        event_id = f"evt_{uuid.uuid4().hex}"
        frames: list[dict[str, Any]] = [
            {"type": "event_start", "event": {"id": event_id, "type": "agent.message"}}
        ]
        log.inflight = {"id": event_id, "type": "agent.message", "frames": frames}
        log.previews[event_id] = frames
        log.notify()
        for piece in reply.split(" "):
            await asyncio.sleep(self.agent_delay)
            text = piece if len(frames) == 1 else " " + piece
            frames.append(
                {
                    "type": "event_delta",
                    "event_id": event_id,
                    "delta": {
                        "type": "content_delta",
                        "content": {"type": "text", "text": text},
                        "index": 0,
                    },
                }
            )
            log.notify()
        log.inflight = None
        self._append(log, "agent.message", id=event_id, content=[{"type": "text", "text": reply}])

    # -- the stream ---------------------------------------------------------------------

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        session_id = request.match_info["session_id"]
        self._session(session_id)
        log = self._log(session_id)
        deltas = set(request.query.getall("event_deltas[]", []))
        deltas.update(request.query.getall("event_deltas", []))
        last = request.headers.get("Last-Event-ID") or None
        self.stream_resumes.append(last)
        preview_id: str | None = None
        previews_sent = 0
        if last is None:
            cursor = 0 if self.replay_history else len(log.events)
        elif last in log.index:
            cursor = log.index[last] + 1
        elif log.inflight is not None and log.inflight["id"] == last:
            # Resuming inside a preview: the previews already sent are not sent again.
            cursor = len(log.events)
            preview_id, previews_sent = last, len(log.inflight["frames"])
        else:
            raise _bad("Last-Event-ID is not an event of this session.", "Last-Event-ID")
        live_from = len(log.events)
        fault: Fault | None = request.get(FAULT_KEY)
        if fault is not None and fault.kind not in STREAM_FAULTS:
            fault = None
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        sent = 0

        async def frame(event_id: str, kind: str, data: dict[str, Any]) -> None:
            nonlocal sent
            body = f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data)}\n\n"
            await response.write(body.encode())
            sent += 1
            if fault is not None and sent >= fault.count:
                await _fault_now(request, response, fault)

        async def previews(event_id: str, frames: list[dict[str, Any]]) -> None:
            nonlocal preview_id, previews_sent
            if preview_id != event_id:
                preview_id, previews_sent = event_id, 0
            while previews_sent < len(frames):
                data = frames[previews_sent]
                previews_sent += 1
                await frame(event_id, data["type"], data)

        async def pump() -> None:
            nonlocal cursor
            while True:
                waiter = log.changed
                while cursor < len(log.events):
                    event = log.events[cursor]
                    cursor += 1
                    if cursor > live_from and event["type"] in deltas:
                        await previews(event["id"], log.previews.get(event["id"], []))
                    await frame(event["id"], event["type"], event)
                    if event["type"] == "session.status_terminated":
                        return
                inflight = log.inflight
                if inflight is not None and inflight["type"] in deltas:
                    await previews(inflight["id"], inflight["frames"])
                if log.ended:
                    return
                try:
                    await asyncio.wait_for(waiter.wait(), self.heartbeat_interval)
                except asyncio.TimeoutError:
                    if self.heartbeat_style == "event":
                        await response.write(b"event: heartbeat\ndata: {}\n\n")
                    else:
                        await response.write(b": heartbeat\n\n")

        try:
            await pump()
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client went away first
        return response


def _check_inbound(index: int, event: object) -> None:
    param = f"events[{index}]"
    if not isinstance(event, dict) or event.get("type") not in _INBOUND:
        raise _bad(f"{param}.type is not a known event type.", f"{param}.type")
    kind = event["type"]
    if kind == "user.message":
        content = event.get("content")
        if not content or not isinstance(content, (str, list)):
            raise _bad(f"{param}.content must be a non-empty array.", f"{param}.content")
    elif kind == "user.tool_confirmation":
        if not isinstance(event.get("tool_use_id"), str):
            raise _bad(f"{param}.tool_use_id is required.", f"{param}.tool_use_id")
        if event.get("result") not in ("allow", "deny"):
            raise _bad(f"{param}.result must be allow or deny.", f"{param}.result")
    elif kind == "user.custom_tool_result" and not isinstance(event.get("custom_tool_use_id"), str):
        raise _bad(f"{param}.custom_tool_use_id is required.", f"{param}.custom_tool_use_id")


async def _fault_now(request: web.Request, response: web.StreamResponse, fault: Fault) -> None:
    if fault.kind == "stall_stream":
        # Connected but silent (no heartbeats either) until the client gives up.
        await asyncio.Event().wait()
    if fault.body:
        await response.write(fault.body)
    _reset(request)
    raise asyncio.CancelledError


def _json(payload: Any) -> web.Response:
    return web.Response(body=json.dumps(payload).encode(), content_type="application/json")
