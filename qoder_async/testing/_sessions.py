"""The fake server's sessions: the body of ``POST /sessions`` checked and turned into a
session, and the routes on existing sessions (list, retrieve, update, archive, delete,
cancel), with their documented 400s and 409s.

``environment_variables`` and ``budget`` are stored and echoed. ``initial_events``
(``user.message`` / ``user.define_outcome``) are not part of the session object: they go into
the session's event log as it is created, a message starting the first turn.
``GET /sessions`` honours ``statuses``, ``agent_id``, ``agent_version``, ``deployment_id``,
``memory_store_id`` (a store in ``memory_store_ids`` or mounted as a resource) and the
``created_at[gt|gte|lt|lte]`` bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ._collection import _created_in_range, query_int
from ._event_routes import check_inbound
from ._paging import paginate
from ._state import EventsState
from ._wire import bad_request, conflict, json_object, json_response, new_id, now_rfc3339

__all__ = ["SessionRoutes", "new_session"]

_INITIAL_TYPES = ("user.message", "user.define_outcome")
_AGENT_PATCH = frozenset({"tools", "mcp_servers"})


def _environment_variables(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise bad_request(
            "environment_variables must be an object of strings.", "environment_variables"
        )
    if any(not name or "=" in name for name in value):
        raise bad_request(
            "environment_variables names must be non-empty and without '='.",
            "environment_variables",
        )
    return value


def _budget(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request("budget must be an object.", "budget")
    if value.get("type") != "limit":
        raise bad_request("budget.type must be 'limit'.", "budget.type")
    cost = value.get("max_credit_cost")
    try:
        valid = isinstance(cost, str) and float(cost) >= 0
    except ValueError:
        valid = False
    if not valid:
        raise bad_request(
            "budget.max_credit_cost must be a non-negative decimal string.",
            "budget.max_credit_cost",
        )
    return value


def _initial_events(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise bad_request("initial_events must be an array.", "initial_events")
    for index, event in enumerate(value):
        param = f"initial_events[{index}]"
        if not isinstance(event, dict) or event.get("type") not in _INITIAL_TYPES:
            raise bad_request(
                f"{param}.type must be user.message or user.define_outcome.", f"{param}.type"
            )
        check_inbound(index, event, "initial_events")
    return value


def _vault_ids(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise bad_request("vault_ids must be an array of ids.", "vault_ids")
    return value


def new_session(data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The session a ``POST /sessions`` with body ``data`` creates and its checked
    ``initial_events``, or the 400 it gets."""
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
    variables = _environment_variables(data.get("environment_variables", {}))
    budget = data.get("budget")
    if budget is not None:
        _budget(budget)
    initial = _initial_events(data.get("initial_events", []))
    stamp = now_rfc3339()
    session = {
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
        "environment_variables": variables,
        "budget": budget,
        "stats": {"active_seconds": 0, "duration_seconds": 0},
        "usage": {"total_credits": 0},
        "archived_at": None,
        "created_at": stamp,
        "updated_at": stamp,
    }
    return session, initial


def _memory_store_ids(session: Mapping[str, Any]) -> set[str]:
    """The stores a session has: ``memory_store_ids`` and mounted ``memory_store`` resources."""
    stores = {s for s in session.get("memory_store_ids") or () if isinstance(s, str)}
    for resource in session.get("resources") or ():
        if isinstance(resource, dict) and resource.get("type") == "memory_store":
            stores.add(str(resource.get("memory_store_id")))
    return stores


def _listed(session: dict[str, Any], query: Mapping[str, str]) -> bool:
    """Whether ``session`` passes the single-valued filters of ``GET /sessions``."""
    agent = session.get("agent") or {}
    if "agent_id" in query and agent.get("id") != query["agent_id"]:
        return False
    if "agent_version" in query and agent.get("version") != int(query["agent_version"]):
        return False
    if "deployment_id" in query and session.get("deployment_id") != query["deployment_id"]:
        return False
    if "memory_store_id" in query and query["memory_store_id"] not in _memory_store_ids(session):
        return False
    return _created_in_range(session, query)


class SessionRoutes(EventsState):
    """The routes on existing sessions (``POST /sessions`` itself is the server's)."""

    async def _list_sessions(self, request: web.Request) -> web.Response:
        query = request.query
        include_archived = query.get("include_archived", "false") == "true"
        statuses = set(query.getall("statuses[]", []))
        for value in query.getall("statuses", []):
            statuses.update(filter(None, value.split(",")))
        query_int(request, "agent_version")  # the 400 for one that is not a number
        items = [
            s
            for s in self.server.sessions.values()
            if (include_archived or s.get("archived_at") is None)
            and (not statuses or s.get("status") in statuses)
            and _listed(s, query)
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
            if "title" in data:
                title = data["title"]
                if title is not None and not isinstance(title, str):
                    raise bad_request("title must be a string.", "title")
            metadata = data.get("metadata")
            if metadata is not None and (
                not isinstance(metadata, dict)
                or not all(v is None or isinstance(v, str) for v in metadata.values())
            ):
                raise bad_request("metadata must be an object of strings.", "metadata")
            if "delta_flush_interval_ms" in data:
                interval = data["delta_flush_interval_ms"]
                if not isinstance(interval, int) or not 50 <= interval <= 5000:
                    raise bad_request(
                        "delta_flush_interval_ms must be between 50 and 5000.",
                        "delta_flush_interval_ms",
                    )
            variables = data.get("environment_variables")
            if variables is not None:
                _environment_variables(variables)
            agent: dict[str, Any] = data.get("agent") or {}
            if "agent" in data:
                if not isinstance(data["agent"], dict) or not _AGENT_PATCH.issuperset(agent):
                    raise bad_request("agent: only tools and mcp_servers can be updated.", "agent")
                if not all(isinstance(v, list) for v in agent.values()):
                    raise bad_request("agent.tools and agent.mcp_servers must be arrays.", "agent")
            budget = data.get("budget")
            if budget is not None:
                _budget(budget)
            if "vault_ids" in data:
                _vault_ids(data["vault_ids"])
            # Checked first, applied after: a 400 leaves the session as it was.
            if "title" in data:
                session["title"] = data["title"] or ""
            if metadata is not None:
                merged = dict(session.get("metadata") or {})
                for key, value in metadata.items():
                    if value is None:
                        merged.pop(key, None)
                    else:
                        merged[key] = value
                session["metadata"] = merged
            if "environment_variables" in data:
                session["environment_variables"] = dict(variables or {})
            if "agent" in data:
                session["agent"] = {**session["agent"], **agent}
            if "budget" in data:
                session["budget"] = budget
            if "vault_ids" in data:
                session["vault_ids"] = list(data["vault_ids"])
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
