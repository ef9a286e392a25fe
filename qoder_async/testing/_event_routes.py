"""The fake server's event routes and its scripted echo agent.

``POST /sessions/{id}/events`` checks and stores the inbound events (202); a
``user.message`` starts a turn in which the agent emits ``session.status_running``, one
``agent.message`` per reply text (with its ``event_start``/``event_delta`` previews), a
``span.model_request_end`` with usage, then ``session.status_idle`` with ``stop_reason``.
``GET /sessions/{id}/events`` lists the stored events through the list envelope.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from ._paging import paginate
from ._state import EventsState, SessionLog
from ._wire import bad_request, conflict, json_object, json_response, new_id

__all__ = ["EventRoutes", "check_inbound"]

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


class EventRoutes(EventsState):
    """Sending and listing events, and the agent's turns."""

    async def _send(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        session = self._session(session_id)

        async def run() -> tuple[int, Any]:
            events = json_object(await request.read()).get("events")
            if not isinstance(events, list) or not events:
                raise bad_request("events must be a non-empty array.", "events")
            if session.get("archived_at") is not None:
                raise conflict("Session is archived.")
            if session.get("status") == "terminated":
                raise conflict("Session is terminated.")
            for index, event in enumerate(events):
                check_inbound(index, event)
            log = self._log(session_id)
            running = log.turn is not None and not log.turn.done()
            if running and any(e["type"] == "user.message" for e in events):
                raise conflict("A turn is already running; wait for session.status_idle.")
            stored = self._accept(session, log, events)
            return 202, {"data": stored}

        return await self._idempotent(request, run)

    def _accept(
        self, session: dict[str, Any], log: SessionLog, events: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Store checked inbound ``events``; a ``user.message`` starts the agent's turn, a
        ``user.interrupt`` stops it. The stored events, as ``POST .../events`` answers them."""
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
                self._interrupt(session["id"])
        return stored

    async def _list_events(self, request: web.Request) -> web.Response:
        self._session(request.match_info["session_id"])
        log = self._log(request.match_info["session_id"])
        types = set(request.query.getall("types[]", []))
        for key in ("types", "type"):
            for value in request.query.getall(key, []):
                types.update(filter(None, value.split(",")))
        items = [e for e in log.events if not types or e["type"] in types]
        return json_response(
            paginate(items, request, default_order="asc", cursor_style=self.cursor_style)
        )

    async def _agent(self, session: dict[str, Any], log: SessionLog, text: str) -> None:
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

    async def _message(self, log: SessionLog, reply: str) -> None:
        event_id = new_id("evt")
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


def check_inbound(index: int, event: object, field: str = "events") -> None:
    """The 400 for an inbound event the API refuses: ``event`` is ``field[index]`` of a body.

    Example::

        check_inbound(0, {"type": "user.message", "content": "hi"})  # passes
    """
    param = f"{field}[{index}]"
    if not isinstance(event, dict) or event.get("type") not in _INBOUND:
        raise bad_request(f"{param}.type is not a known event type.", f"{param}.type")
    kind = event["type"]
    if kind == "user.message":
        content = event.get("content")
        if not content or not isinstance(content, (str, list)):
            raise bad_request(f"{param}.content must be a non-empty array.", f"{param}.content")
    elif kind == "user.tool_confirmation":
        if not isinstance(event.get("tool_use_id"), str):
            raise bad_request(f"{param}.tool_use_id is required.", f"{param}.tool_use_id")
        if event.get("result") not in ("allow", "deny"):
            raise bad_request(f"{param}.result must be allow or deny.", f"{param}.result")
    elif kind == "user.custom_tool_result" and not isinstance(event.get("custom_tool_use_id"), str):
        raise bad_request(f"{param}.custom_tool_use_id is required.", f"{param}.custom_tool_use_id")
