"""The fake server's sessions: the body of ``POST /sessions`` checked and turned into a
session, and the routes on existing sessions (list, retrieve, update, archive, delete,
cancel), with their documented 400s and 409s.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._paging import paginate
from ._state import EventsState
from ._wire import bad_request, conflict, json_object, json_response, new_id, now_rfc3339

__all__ = ["SessionRoutes", "new_session"]


def new_session(data: dict[str, Any]) -> dict[str, Any]:
    """The session a ``POST /sessions`` with body ``data`` creates, or the 400 it gets."""
    agent = data.get("agent")
    agent_id: object
    if isinstance(agent, str):
        agent_id, version = agent, 1
    elif isinstance(agent, dict):
        agent_id, version = agent.get("id"), agent.get("version") or 1
    else:
        raise bad_request("Missing required field: agent", "agent")
    if not isinstance(agent_id, str) or not agent_id.startswith("agent_"):
        raise bad_request("Invalid agent id.", "agent")
    environment_id = data.get("environment_id")
    if not isinstance(environment_id, str) or not environment_id.startswith("env_"):
        raise bad_request("Missing required field: environment_id", "environment_id")
    title = data.get("title", "")
    if title is not None and not isinstance(title, str):
        raise bad_request("title must be a string.", "title")
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad_request("metadata values must be strings.", "metadata")
    interval = data.get("delta_flush_interval_ms", 100)
    if not isinstance(interval, int) or not 50 <= interval <= 5000:
        raise bad_request(
            "delta_flush_interval_ms must be between 50 and 5000.",
            "delta_flush_interval_ms",
        )
    for field in ("resources", "vault_ids", "memory_store_ids"):
        if not isinstance(data.get(field, []), list):
            raise bad_request(f"{field} must be an array.", field)
    stamp = now_rfc3339()
    return {
        "id": new_id("sess"),
        "type": "session",
        "agent": {
            "id": agent_id,
            "type": "agent",
            "name": "fake-echo-agent",
            "description": "Echoes what it is told",
            "model": {"id": "ultimate", "effective_context_window": 200000},
            "system": "You repeat the user's words.",
            "tools": [],
            "skills": [],
            "mcp_servers": [],
            "version": version,
        },
        "environment_id": environment_id,
        "title": title or "",
        "status": "idle",
        "turn_status": "idle",
        "metadata": metadata,
        "resources": data.get("resources", []),
        "vault_ids": data.get("vault_ids", []),
        "memory_store_ids": data.get("memory_store_ids", []),
        "environment_variables": {},
        "stats": {"active_seconds": 0, "duration_seconds": 0},
        "usage": {"total_credits": 0},
        "archived_at": None,
        "created_at": stamp,
        "updated_at": stamp,
    }


class SessionRoutes(EventsState):
    """The routes on existing sessions (``POST /sessions`` itself is the server's)."""

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
        return json_response(
            paginate(items, request, default_order="desc", cursor_style=self.cursor_style)
        )

    async def _retrieve(self, request: web.Request) -> web.Response:
        return json_response(self._session(request.match_info["session_id"]))

    async def _update(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        session = self._session(session_id)

        async def run() -> tuple[int, Any]:
            data = json_object(await request.read())
            if "vault_ids" in data:
                raise bad_request("vault_ids is read-only.", "vault_ids")
            if "title" in data:
                title = data["title"]
                if title is not None and not isinstance(title, str):
                    raise bad_request("title must be a string.", "title")
                session["title"] = title or ""
            metadata = data.get("metadata")
            if metadata is not None:
                if not isinstance(metadata, dict):
                    raise bad_request("metadata must be an object.", "metadata")
                merged = dict(session.get("metadata") or {})
                for key, value in metadata.items():
                    if value is None:
                        merged.pop(key, None)
                    elif isinstance(value, str):
                        merged[key] = value
                    else:
                        raise bad_request("metadata values must be strings.", "metadata")
                session["metadata"] = merged
            if "delta_flush_interval_ms" in data:
                interval = data["delta_flush_interval_ms"]
                if not isinstance(interval, int) or not 50 <= interval <= 5000:
                    raise bad_request(
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
                raise conflict("Session is already archived.")
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
