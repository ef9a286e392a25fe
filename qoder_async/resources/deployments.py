"""``client.deployments``: create, list, retrieve, update, archive, pause, unpause, run;
``runs`` (see :mod:`.deployment_runs`, which also serves ``client.deployment_runs``).

Deployment ids have no documented prefix: any non-empty, URL-safe string. The agent is an
``agent_...`` id (or ``{"id", "version"?}``), the environment an ``env_...`` id, vaults
``vault_...`` ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._models._converter import response_parser, structurer
from .._models.deployments import Deployment, DeploymentRun
from .._models.inbound import UserMessage
from .._pagination import AsyncPaginator, page_parser
from .._types import NOT_GIVEN, NotGiven
from ._base import Resource
from ._common import (
    ARCHIVABLE_LIST,
    CURSORS,
    Spec,
    agent_ref,
    build_body,
    build_query,
    id_of,
    ids_of,
    json_object,
    metadata,
    metadata_patch,
    object_list,
    required,
    text,
)
from .deployment_runs import AsyncDeploymentRunsAPI, AsyncDeploymentScopedRunsAPI, parse_run
from .deployment_runs import deployment_path as _path

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions
    from .._send import Requester

__all__ = ["AsyncDeploymentRunsAPI", "AsyncDeploymentScopedRunsAPI", "AsyncDeploymentsAPI"]

_deployment = response_parser(Deployment)
_deployment_page = page_parser(structurer(Deployment))


def _initial_events(field: str, value: object) -> list[dict[str, Any]]:
    # user_message() helpers as sessions take them; system.message is a deployment's own.
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        value = [item.to_wire() if isinstance(item, UserMessage) else item for item in value]
    events: list[dict[str, Any]] = object_list(field, value)
    return events


_FIELDS: Spec = {
    "agent": agent_ref,
    "environment_id": id_of("env_"),
    "initial_events": _initial_events,
    "name": text,
    "description": text,
    "environment_variables": text,
    "budget": json_object,
    "metadata": metadata_patch,
    "resources": object_list,
    "schedule": json_object,
    "vault_ids": ids_of("vault_"),
}
_CREATE: Spec = {
    **_FIELDS,
    **{name: required(_FIELDS[name]) for name in ("agent", "environment_id", "initial_events")},
    "name": required(text),
    "metadata": metadata,
}
_LIST: Spec = {
    **CURSORS,
    **ARCHIVABLE_LIST,
    "agent_id": id_of("agent_"),
    "status": text,
}
JSON = Mapping[str, Any]


class AsyncDeploymentsAPI(Resource):
    """Deployments: ``create``, ``list``, ``retrieve``, ``update``, ``archive``, ``pause``,
    ``unpause``, ``run``; ``runs`` below.

    Reach it as ``client.deployments``. Every method also takes the per-call
    :class:`RequestOptions`.

    Example::

        run = await client.deployments.run(deployment.id)
        print(run.session_id)
    """

    __slots__ = ("runs",)

    runs: AsyncDeploymentScopedRunsAPI
    """A deployment's runs (see :class:`AsyncDeploymentScopedRunsAPI`)."""

    def __init__(self, requester: Requester) -> None:
        super().__init__(requester)
        self.runs = AsyncDeploymentScopedRunsAPI(requester)

    async def create(
        self,
        *,
        agent: str | JSON,
        environment_id: str,
        initial_events: Sequence[UserMessage | JSON],
        name: str,
        description: str | NotGiven | None = NOT_GIVEN,
        environment_variables: str | NotGiven | None = NOT_GIVEN,
        budget: JSON | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        resources: Sequence[JSON] | NotGiven | None = NOT_GIVEN,
        schedule: JSON | NotGiven | None = NOT_GIVEN,
        vault_ids: Sequence[str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Deployment:
        """Create a deployment (``POST /deployments``).

        Args:
            agent: an ``agent_...`` id or ``{"type": "agent", "id", "version"?}``.
            environment_id: the ``env_...`` id its sessions run in.
            initial_events: the events each run's session starts with (``user.message``,
                ``user.define_outcome``, ``system.message``).
            name: its name.
            description: what it is for.
            environment_variables: variables for its sessions (a string, as the API has it).
            budget: ``{"type": "limit", "max_credit_cost": "10.00"}``.
            metadata: up to 16 string keys and values.
            resources: session resources to mount (files, repositories, memory stores).
            schedule: ``{"type": "cron", "expression", "timezone"}``.
            vault_ids: ``vault_...`` ids whose credentials its sessions may use.
            options: per-call :class:`RequestOptions`.

        Example::

            deployment = await client.deployments.create(
                agent="agent_01", environment_id="env_01", name="nightly",
                initial_events=[{"type": "user.message",
                                 "content": [{"type": "text", "text": "Run the checks"}]}],
                schedule={"type": "cron", "expression": "0 3 * * *", "timezone": "UTC"},
            )
        """
        body = build_body(_CREATE, locals())
        return await self._request("POST", "/deployments", _deployment, options, body=body)

    async def retrieve(self, deployment_id: str, **options: Unpack[RequestOptions]) -> Deployment:
        """Fetch a deployment (``GET /deployments/{id}``).

        Args:
            deployment_id: the deployment's id.
            options: per-call :class:`RequestOptions`.

        Example::

            deployment = await client.deployments.retrieve(deployment.id)
        """
        return await self._request("GET", _path(deployment_id), _deployment, options)

    async def update(
        self,
        deployment_id: str,
        *,
        agent: str | JSON | NotGiven | None = NOT_GIVEN,
        environment_id: str | NotGiven | None = NOT_GIVEN,
        initial_events: Sequence[UserMessage | JSON] | NotGiven | None = NOT_GIVEN,
        name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        environment_variables: str | NotGiven | None = NOT_GIVEN,
        budget: JSON | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        resources: Sequence[JSON] | NotGiven | None = NOT_GIVEN,
        schedule: JSON | NotGiven | None = NOT_GIVEN,
        vault_ids: Sequence[str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Deployment:
        """Change a deployment (``POST /deployments/{id}``); only the fields you pass are
        sent (``None`` sends ``null``). The arguments are :meth:`create`'s.

        Args:
            deployment_id: the deployment's id.
            agent: the agent to run.
            environment_id: the ``env_...`` id.
            initial_events: replaces the initial events.
            name: the new name.
            description: the new description.
            environment_variables: replaces the variables.
            budget: the new budget.
            metadata: keys to set; a key set to ``None`` is removed.
            resources: replaces the resources.
            schedule: the new schedule.
            vault_ids: replaces the vaults.
            options: per-call :class:`RequestOptions`.

        Example::

            await client.deployments.update(deployment.id, schedule=None)  # manual runs only
        """
        body = build_body(_FIELDS, locals())
        return await self._request("POST", _path(deployment_id), _deployment, options, body=body)

    def list(
        self,
        *,
        agent_id: str | None = None,
        status: str | None = None,
        created_at_gte: datetime | str | None = None,
        created_at_lte: datetime | str | None = None,
        include_archived: bool | None = None,
        before_id: str | None = None,
        after_id: str | None = None,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Deployment]:
        """Every deployment, page by page as you iterate.

        Args:
            agent_id: only deployments of this ``agent_...`` agent.
            status: ``"active"`` or ``"paused"``.
            created_at_gte: created at or after this time.
            created_at_lte: created at or before this time.
            include_archived: also list archived deployments.
            before_id: walk backward from this deployment id (first request only).
            after_id: start after this deployment id (first request only).
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            paused = [d.id async for d in client.deployments.list(status="paused")]
        """
        return self._list("/deployments", _deployment_page, build_query(_LIST, locals()), options)

    async def archive(self, deployment_id: str, **options: Unpack[RequestOptions]) -> Deployment:
        """Archive a deployment (``POST /deployments/{id}/archive``): it runs no more.

        Args:
            deployment_id: the deployment's id.
            options: per-call :class:`RequestOptions`.

        Example::

            deployment = await client.deployments.archive(deployment.id)
        """
        return await self._action(_path(deployment_id, "/archive"), _deployment, options)

    async def pause(self, deployment_id: str, **options: Unpack[RequestOptions]) -> Deployment:
        """Pause a deployment's schedule (``POST /deployments/{id}/pause``).

        Args:
            deployment_id: the deployment's id.
            options: per-call :class:`RequestOptions`.

        Example::

            deployment = await client.deployments.pause(deployment.id)
            assert deployment.status == "paused"
        """
        return await self._action(_path(deployment_id, "/pause"), _deployment, options)

    async def unpause(self, deployment_id: str, **options: Unpack[RequestOptions]) -> Deployment:
        """Resume a paused deployment (``POST /deployments/{id}/unpause``).

        Args:
            deployment_id: the deployment's id.
            options: per-call :class:`RequestOptions`.

        Example::

            deployment = await client.deployments.unpause(deployment.id)
        """
        return await self._action(_path(deployment_id, "/unpause"), _deployment, options)

    async def run(self, deployment_id: str, **options: Unpack[RequestOptions]) -> DeploymentRun:
        """Start a run now (``POST /deployments/{id}/run``): a new session.

        Args:
            deployment_id: the deployment's id.
            options: per-call :class:`RequestOptions`.

        Example::

            run = await client.deployments.run(deployment.id)
            session = await client.sessions.retrieve(run.session_id)
        """
        return await self._action(_path(deployment_id, "/run"), parse_run, options)
