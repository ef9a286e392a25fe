"""The fake server's deployments: create, list, update, archive, pause/unpause, and ``run``,
which starts a real session on the fake server (and queues work for it when the deployment's
environment is self-hosted); each run is kept as a deployment run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from ._collection import (
    Collection,
    Payload,
    Route,
    body_of,
    child,
    crud_routes,
    fields_of,
    need,
)
from ._sessions import new_session
from ._wire import bad_request, conflict

__all__ = ["DeploymentRoutes"]

_FIELDS: dict[str, Any] = {
    "name": None,
    "description": None,
    "agent": None,
    "environment_id": None,
    "environment_variables": None,
    "initial_events": [],
    "resources": [],
    "schedule": None,
    "vault_ids": [],
    "budget": None,
    "metadata": {},
}
_FILTERS = {"agent_id": lambda d: d["agent"]["id"], "status": lambda d: d["status"]}
_RUN_FILTERS = {
    "deployment_id": lambda run: run["deployment_id"],
    "trigger_type": lambda run: run["trigger_context"]["type"],
    "has_error": lambda run: run["error"] is not None,
}


def _agent(value: Any) -> Payload:
    if isinstance(value, dict):
        value = dict(value)
        agent_id, version = value.get("id"), value.get("version") or 1
    else:
        agent_id, version = value, 1
    if not isinstance(agent_id, str) or not agent_id.startswith("agent_"):
        raise bad_request("agent must be an agent id or {id, version}.", "agent")
    return {"id": agent_id, "type": "agent", "version": version}


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    if "agent" in data:
        data["agent"] = _agent(data["agent"])
    environment_id = data.get("environment_id")
    if environment_id is not None and not str(environment_id).startswith("env_"):
        raise bad_request("environment_id must be an env_ id.", "environment_id")
    return data


class DeploymentRoutes:
    """Deployments and deployment runs (mixed into ``FakePlatform``).

    Args:
        sessions: the server's sessions, where a run's session is stored.
        environments: the environments, to tell a self-hosted one.
        enqueue_work: queues the work of a session in a self-hosted environment.
    """

    def __init__(
        self,
        sessions: dict[str, Payload],
        environments: Collection,
        enqueue_work: Callable[[str, str], Payload],
    ) -> None:
        self.deployments = Collection("deployment", "deploy")
        self.deployment_runs = Collection("deployment_run", "drun", archivable=False)
        self._sessions = sessions
        self._environments = environments
        self._enqueue_work = enqueue_work

    def deployment_routes(self) -> list[Route]:
        """The routes of ``/deployments`` and ``/deployment_runs``."""
        item = "/deployments/{id}"
        return [
            *crud_routes(
                "/deployments",
                self.deployments,
                self._create,
                update=self._update,
                filters=_FILTERS,
            ),
            ("POST", item + "/pause", self._pause),
            ("POST", item + "/unpause", self._unpause),
            ("POST", item + "/run", self._run),
            ("GET", item + "/runs", self._scoped_runs),
            ("GET", item + "/runs/{run_id}", self._scoped_run),
            ("GET", "/deployment_runs", self._runs),
            ("GET", "/deployment_runs/{id}", self._run_item),
        ]

    async def _create(self, request: web.Request) -> Payload:
        data = _checked(await body_of(request))
        for field in ("agent", "environment_id", "name"):
            need(data, field, (str, dict))
        need(data, "initial_events", list)
        fields = fields_of(data, _FIELDS)
        return self.deployments.add({**fields, "status": "active", "paused_reason": None})

    async def _update(self, request: web.Request) -> Payload:
        deployment = self.deployments.get(request.match_info["id"])
        return self.deployments.patch(deployment, _checked(await body_of(request)), _FIELDS)

    def _live(self, request: web.Request) -> Payload:
        deployment = self.deployments.get(request.match_info["id"])
        if deployment["archived_at"] is not None:
            raise conflict(f"Deployment '{deployment['id']}' is archived.")
        return deployment

    def _pause(self, request: web.Request) -> Payload:
        deployment = self._live(request)
        deployment.update(status="paused", paused_reason={"type": "manual"})
        return deployment

    def _unpause(self, request: web.Request) -> Payload:
        deployment = self._live(request)
        deployment.update(status="active", paused_reason=None)
        return deployment

    def _run(self, request: web.Request) -> Payload:
        deployment = self._live(request)
        agent, environment_id = deployment["agent"], deployment["environment_id"]
        session, _ = new_session({"agent": dict(agent), "environment_id": environment_id})
        session["deployment_id"] = deployment["id"]
        self._sessions[session["id"]] = session
        environment = self._environments.items.get(environment_id) or {}
        if (environment.get("config") or {}).get("type") == "self_hosted":
            self._enqueue_work(environment_id, session["id"])
        return self.deployment_runs.add(
            {
                "deployment_id": deployment["id"],
                "session_id": session["id"],
                "agent": agent,
                "error": None,
                "trigger_context": {"type": "manual", "scheduled_at": None},
            }
        )

    def _scoped_runs(self, request: web.Request) -> Payload:
        deployment = self.deployments.get(request.match_info["id"])
        runs = self.deployment_runs.items.values()
        kept = [run for run in runs if run["deployment_id"] == deployment["id"]]
        return self.deployment_runs.page(request, kept)

    def _scoped_run(self, request: web.Request) -> Payload:
        self.deployments.get(request.match_info["id"])
        return child(self.deployment_runs, request, "run_id", "deployment_id")

    def _run_item(self, request: web.Request) -> Payload:
        return self.deployment_runs.get(request.match_info["id"])

    def _runs(self, request: web.Request) -> Payload:
        return self.deployment_runs.page(request, filters=_RUN_FILTERS)
