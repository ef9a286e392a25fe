"""The fake server's platform resources: agents (with versions), environments and their
self-hosted work queue, dreams and models here; memory stores in ``_platform_memory``,
deployments in ``_platform_deploy``, files in ``_platform_files``, vaults in
``_platform_vaults``, skills in ``_platform_skills``. :class:`FakePlatform`
(``server.platform``) puts them together and installs every route through the server's
middleware (auth, recording, faults) and, for writes, its idempotency replay.

Ids: ``agent_``, ``env_``, ``memstore_``, ``mem_``, ``memver_``, ``file_``, ``vault_``,
``vcred_``, ``skill_`` as the API documents them; ``work_``, ``deploy_``, ``drun_``,
``dream_`` and ``skillver_`` are this fake's choice (the API documents no prefix for those).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ._collection import (
    Collection,
    Handler,
    Payload,
    Route,
    body_of,
    child,
    crud_routes,
    fields_of,
    need,
    query_int,
)
from ._paging import paginate
from ._platform_deploy import DeploymentRoutes
from ._platform_files import FileRoutes
from ._platform_memory import MemoryRoutes
from ._platform_skills import SkillRoutes
from ._platform_vaults import VaultRoutes
from ._wire import ApiError, conflict, json_response, new_id, now_rfc3339

#: The server's replay of a write by its Idempotency-Key: ``idempotent(request, run)``.
Idempotent = Callable[
    [web.Request, Callable[[], Awaitable[tuple[int, Any]]]], Awaitable[web.Response]
]

__all__ = ["FakePlatform"]

_AGENT_FIELDS: dict[str, Any] = {
    "name": None,
    "description": None,
    "system": None,
    "model": None,
    "mcp_servers": [],
    "tools": [],
    "skills": [],
    "multiagent": None,
    "metadata": {},
}
_ENVIRONMENT_FIELDS: dict[str, Any] = {
    "name": None,
    "description": None,
    "config": None,
    "scope": "organization",
    "metadata": {},
}
_FINAL_DREAM = frozenset({"completed", "failed", "canceled"})
_DREAM_FILTERS = {"statuses[]": lambda dream: dream["status"]}
MODELS: list[Payload] = [
    {
        "id": model_id,
        "type": "model",
        "display_name": name,
        "is_enabled": True,
        "efforts": ["low", "medium", "high"],
        "default_context_window": 200000,
        "capabilities": {"image_input": {"supported": True}},
        "created_at": "2026-01-01T00:00:00Z",
    }
    for model_id, name in (("ultimate", "Ultimate"), ("swift", "Swift"), ("lite", "Lite"))
]


class FakePlatform(MemoryRoutes, DeploymentRoutes, FileRoutes, VaultRoutes, SkillRoutes):
    """Platform resources for :class:`FakeQoderServer`, reachable as ``server.platform``.

    The collections (``agents``, ``environments``, ``work``, ``memory_stores``,
    ``memories``, ``memory_versions``, ``deployments``, ``deployment_runs``, ``dreams``,
    ``files``, ``vaults``, ``credentials``, ``skills``, ``skill_versions``) hold the stored
    JSON objects by id; ``models`` is the list ``GET /models`` serves; ``file_contents``,
    ``credential_secrets`` and ``skill_files`` what the API keeps but does not list.

    Example::

        work = server.platform.enqueue_work(env.id)      # what a worker will poll
        server.platform.dreams.items[dream.id]["status"] = "completed"
    """

    def __init__(self, sessions: dict[str, Payload], idempotent: Idempotent) -> None:
        # The server's sessions (a deployment run starts one) and its replay of writes
        # with a known Idempotency-Key.
        self._idempotent = idempotent
        self.agents = Collection("agent", "agent")
        self.agent_versions: dict[str, list[Payload]] = {}
        self.environments = Collection("environment", "env")
        self.work = Collection("work", "work", archivable=False)
        #: ``Worker-ID`` values seen polling, per environment id.
        self.workers_polling: dict[str, set[str]] = {}
        self.dreams = Collection("dream", "dream")
        self.models: list[Payload] = [dict(model) for model in MODELS]
        MemoryRoutes.__init__(self)
        DeploymentRoutes.__init__(self, sessions, self.environments, self.enqueue_work)
        FileRoutes.__init__(self)
        VaultRoutes.__init__(self)
        SkillRoutes.__init__(self)

    def install(self, app: web.Application, prefix: str) -> None:
        """Add every platform route under ``prefix`` (the API root)."""
        routes = [
            *self._agent_routes(),
            *self._environment_routes(),
            *self.memory_routes(),
            *self.deployment_routes(),
            *crud_routes("/dreams", self.dreams, self._create_dream, filters=_DREAM_FILTERS),
            ("POST", "/dreams/{id}/cancel", self._cancel_dream),
            ("GET", "/models", self._list_models),
            *self.file_routes(),
            *self.vault_routes(),
            *self.skill_routes(),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, prefix + path, self._wrap(method, handler))
        self.install_storage(app)

    def _wrap(self, method: str, handler: Handler) -> Handler:
        async def run(request: web.Request) -> tuple[int, Any]:
            payload = handler(request)
            if inspect.isawaitable(payload):
                payload = await payload
            return 200, payload

        async def handle(request: web.Request) -> web.Response:
            if method != "GET":
                return await self._idempotent(request, lambda: run(request))
            _, payload = await run(request)
            if isinstance(payload, web.Response):
                return payload  # binary content (a skill version's zip)
            return web.Response(status=204) if payload is None else json_response(payload)

        return handle

    # -- agents ---------------------------------------------------------------------------

    def _agent_routes(self) -> list[Route]:
        routes = crud_routes(
            "/agents",
            self.agents,
            self._create_agent,
            retrieve=self._retrieve_agent,
            update=self._update_agent,
        )
        return [*routes, ("GET", "/agents/{id}/versions", self._agent_version_page)]

    async def _create_agent(self, request: web.Request) -> Payload:
        data = await body_of(request)
        need(data, "name")
        need(data, "model", (str, dict))
        agent = self.agents.add({**fields_of(data, _AGENT_FIELDS), "version": 1})
        self.agent_versions[agent["id"]] = [dict(agent)]
        return agent

    async def _update_agent(self, request: web.Request) -> Payload:
        agent = self.agents.get(request.match_info["id"])
        self.agents.patch(agent, await body_of(request), _AGENT_FIELDS)
        agent["version"] += 1
        self.agent_versions[agent["id"]].append(dict(agent))
        return agent

    def _retrieve_agent(self, request: web.Request) -> Payload:
        agent = self.agents.get(request.match_info["id"])
        version = query_int(request, "version")
        if version is None:
            return agent
        for snapshot in self.agent_versions[agent["id"]]:
            if snapshot["version"] == version:
                return snapshot
        raise ApiError(404, "not_found_error", f"Agent version {version} was not found.")

    def _agent_version_page(self, request: web.Request) -> Payload:
        agent = self.agents.get(request.match_info["id"])
        versions = self.agent_versions[agent["id"]]
        return paginate(versions, request, default_order="desc")

    # -- environments and their work --------------------------------------------------------

    def enqueue_work(self, environment_id: str, session_id: str | None = None) -> Payload:
        """Queue a work item for ``environment_id`` (about ``session_id``, or a new id), as
        a session starting in a self-hosted environment does; returns it.

        Example::

            work = server.platform.enqueue_work("env_01")
        """
        self.environments.get(environment_id)
        stamps = ("acknowledged_at", "started_at", "latest_heartbeat_at", "stop_requested_at")
        return self.work.add(
            {
                "environment_id": environment_id,
                "state": "queued",
                "data": {"id": session_id or new_id("sess"), "type": "session"},
                "secret": new_id("wsecret"),
                "metadata": {},
                **dict.fromkeys((*stamps, "stopped_at")),
            }
        )

    def _environment_routes(self) -> list[Route]:
        base = "/environments/{id}/work"
        return [
            *crud_routes(
                "/environments",
                self.environments,
                self._create_environment,
                fields=_ENVIRONMENT_FIELDS,
                delete=True,
            ),
            # Before "/{work_id}", which would match them too.
            ("GET", base + "/poll", self._poll),
            ("GET", base + "/stats", self._work_stats),
            ("GET", base, self._work_page),
            ("GET", base + "/{work_id}", self._work_item),
            ("POST", base + "/{work_id}", self._update_work),
            ("POST", base + "/{work_id}/ack", self._ack),
            ("POST", base + "/{work_id}/heartbeat", self._heartbeat),
            ("POST", base + "/{work_id}/stop", self._stop),
        ]

    async def _create_environment(self, request: web.Request) -> Payload:
        data = await body_of(request)
        need(data, "name")
        return self.environments.add(fields_of(data, _ENVIRONMENT_FIELDS))

    def _queue(self, request: web.Request) -> list[Payload]:
        environment = self.environments.get(request.match_info["id"])
        return [w for w in self.work.items.values() if w["environment_id"] == environment["id"]]

    def _work_item(self, request: web.Request) -> Payload:
        return child(self.work, request, "work_id", "environment_id")

    def _work_page(self, request: web.Request) -> Payload:
        return self.work.page(request, self._queue(request), order="asc")

    def _poll(self, request: web.Request) -> Payload | None:
        queue = self._queue(request)
        worker = request.headers.get("Worker-ID")
        if worker:
            self.workers_polling.setdefault(request.match_info["id"], set()).add(worker)
        for work in queue:
            if work["state"] == "queued":
                work["state"] = "dispatched"
                return work
        return None

    def _work_stats(self, request: web.Request) -> Payload:
        queue = self._queue(request)
        queued = [w["created_at"] for w in queue if w["state"] == "queued"]
        return {
            "type": "work_queue_stats",
            "depth": sum(w["state"] != "stopped" for w in queue),
            "pending": len(queued),
            "workers_polling": len(self.workers_polling.get(request.match_info["id"], ())),
            "oldest_queued_at": min(queued, default=None),
        }

    async def _update_work(self, request: web.Request) -> Payload:
        data = await body_of(request)
        need(data, "metadata", dict)
        return self.work.patch(self._work_item(request), data, ("metadata",))

    def _ack(self, request: web.Request) -> Payload:
        work = self._work_item(request)
        if work["state"] != "dispatched":
            raise conflict(f"Work '{work['id']}' is {work['state']}, not awaiting an ack.")
        work.update(state="acknowledged", acknowledged_at=now_rfc3339())
        return work

    def _heartbeat(self, request: web.Request) -> Payload:
        work = self._work_item(request)
        expected = request.query.get("expected_last_heartbeat")
        if expected is not None and expected != work["latest_heartbeat_at"]:
            raise conflict("expected_last_heartbeat does not match: the lease moved on.")
        stamp = now_rfc3339()
        work.update(state="running", latest_heartbeat_at=stamp)
        work["started_at"] = work["started_at"] or stamp
        return {
            "type": "work_heartbeat",
            "last_heartbeat": stamp,
            "lease_extended": True,
            "state": work["state"],
            "ttl_seconds": query_int(request, "desired_ttl_seconds") or 30,
        }

    async def _stop(self, request: web.Request) -> Payload:
        work = self._work_item(request)
        force = (await body_of(request)).get("force") is True
        stamp = now_rfc3339()
        work.update(state="stopped" if force else "stopping", stop_requested_at=stamp)
        if force:
            work["stopped_at"] = stamp
        return work

    # -- dreams and models ------------------------------------------------------------------

    async def _create_dream(self, request: web.Request) -> Payload:
        data = await body_of(request)
        need(data, "inputs", list)
        model = need(data, "model", (str, dict))
        return self.dreams.add(
            {
                "status": "pending",
                "inputs": data["inputs"],
                "instructions": data.get("instructions"),
                "model": {"id": model, "speed": "standard"} if isinstance(model, str) else model,
                "output_behavior": data.get("output_behavior") or {"type": "create_new"},
                "outputs": [],
                "session_id": None,
                "usage": None,
                "error": None,
                "ended_at": None,
            }
        )

    def _cancel_dream(self, request: web.Request) -> Payload:
        dream = self.dreams.get(request.match_info["id"])
        if dream["status"] in _FINAL_DREAM:
            raise conflict(f"Dream '{dream['id']}' is already {dream['status']}.")
        dream.update(status="canceled", ended_at=now_rfc3339())
        return dream

    def _list_models(self, request: web.Request) -> Payload:
        return paginate(self.models, request, default_order="asc", cursor_style="after_id")
