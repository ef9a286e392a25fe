"""The fake server's SSE streams: ``GET /sessions/{id}/events/stream``, and the same pump
for the stream of one thread (``_threads``), which shows only that thread's events.

Frames carry ``id:``; ``Last-Event-ID`` resumes after a stored event, or inside the
in-flight previews of one; an idle stream gets periodic heartbeats; the ``event_deltas[]``
types get their ``event_start``/``event_delta`` previews before the event itself; and the
stream faults (``cut_stream``, ``stall_stream``) strike after their number of frames.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ._faults import FAULT_KEY, STREAM_FAULTS, Fault, break_stream
from ._state import EventsState, SessionLog
from ._wire import bad_request

__all__ = ["StreamRoute"]

#: Which stored events a stream shows.
Belongs = Callable[[dict[str, Any]], bool]


def _every_event(_: dict[str, Any]) -> bool:
    return True


class StreamRoute(EventsState):
    """The event stream of a session."""

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        session_id = request.match_info["session_id"]
        self._session(session_id)
        return await self._serve_stream(request, self._log(session_id))

    async def _serve_stream(
        self,
        request: web.Request,
        log: SessionLog,
        belongs: Belongs = _every_event,
        last_type: str = "session.status_terminated",
    ) -> web.StreamResponse:
        """Stream the events of ``log`` that ``belongs`` keeps, up to one of ``last_type``."""
        deltas = set(request.query.getall("event_deltas[]", []))
        deltas.update(request.query.getall("event_deltas", []))
        last = request.headers.get("Last-Event-ID") or None
        self.stream_resumes.append(last)
        preview_id: str | None = None
        previews_sent = 0
        if last is None:
            cursor = 0 if self.replay_history else len(log.events)
        elif last in log.index and belongs(log.events[log.index[last]]):
            cursor = log.index[last] + 1
        elif log.inflight is not None and log.inflight["id"] == last and belongs(log.inflight):
            # Resuming inside a preview: the previews already sent are not sent again.
            cursor = len(log.events)
            preview_id, previews_sent = last, len(log.inflight["frames"])
        else:
            raise bad_request("Last-Event-ID is not an event of this stream.", "Last-Event-ID")
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
                await break_stream(request, response, fault)

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
                    if not belongs(event):
                        continue
                    if cursor > live_from and event["type"] in deltas:
                        await previews(event["id"], log.previews.get(event["id"], []))
                    await frame(event["id"], event["type"], event)
                    if event["type"] == last_type:
                        return
                inflight = log.inflight
                if inflight is not None and inflight["type"] in deltas and belongs(inflight):
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
