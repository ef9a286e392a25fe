"""``client.deployments.runs`` (the runs of one deployment) and ``client.deployment_runs``
(every run of every deployment).

Deployment and run ids have no documented prefix: any non-empty, URL-safe string.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .._models._converter import response_parser, structurer
from .._models.deployments import DeploymentRun
from .._pagination import AsyncPaginator, page_parser
from ._base import Resource
from ._common import (
    CURSORS,
    Spec,
    boolean,
    build_query,
    id_of,
    item_path,
    text,
    timestamp,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions

__all__ = ["AsyncDeploymentRunsAPI", "AsyncDeploymentScopedRunsAPI", "deployment_path", "parse_run"]

#: The parser of a :class:`DeploymentRun` answer (``deployments.run`` returns one too).
parse_run = response_parser(DeploymentRun)
_run_page = page_parser(structurer(DeploymentRun))
_SCOPED_RUNS: Spec = {**CURSORS, "triggered_after": timestamp, "triggered_before": timestamp}
_RUNS: Spec = {
    **CURSORS,
    **{f"created_at_{op}": timestamp for op in ("gt", "gte", "lt", "lte")},
    "deployment_id": id_of(),
    "has_error": boolean,
    "trigger_type": text,
}


def deployment_path(deployment_id: object, rest: str = "") -> str:
    """``/deployments/{id}{rest}``, the id checked (no documented prefix) and quoted.

    Example::

        deployment_path("deploy_01", "/pause")  # '/deployments/deploy_01/pause'
    """
    return item_path("deployments", "deployment_id", deployment_id, "", rest)


class AsyncDeploymentScopedRunsAPI(Resource):
    """The runs of one deployment: ``list``, ``retrieve``.

    Reach it as ``client.deployments.runs``.

    Example::

        async for run in client.deployments.runs.list(deployment.id):
            print(run.id, run.session_id, run.trigger_context)
    """

    __slots__ = ()

    def list(
        self,
        deployment_id: str,
        *,
        limit: int | None = None,
        page: str | None = None,
        after_id: str | None = None,
        before_id: str | None = None,
        triggered_after: datetime | str | None = None,
        triggered_before: datetime | str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[DeploymentRun]:
        """A deployment's runs (``GET /deployments/{id}/runs``), page by page.

        Args:
            deployment_id: the deployment's id.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            after_id: start after this run id (first request only).
            before_id: walk backward from this run id (first request only).
            triggered_after: only runs triggered after this time.
            triggered_before: only runs triggered before this time.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            runs = [run async for run in client.deployments.runs.list(deployment.id)]
        """
        query = build_query(_SCOPED_RUNS, locals())
        return self._list(deployment_path(deployment_id, "/runs"), _run_page, query, options)

    async def retrieve(
        self, run_id: str, *, deployment_id: str, **options: Unpack[RequestOptions]
    ) -> DeploymentRun:
        """Fetch one run of a deployment (``GET /deployments/{deployment_id}/runs/{id}``).

        Args:
            run_id: the run's id.
            deployment_id: the deployment's id.
            options: per-call :class:`RequestOptions`.

        Example::

            run = await client.deployments.runs.retrieve(run.id, deployment_id=deployment.id)
        """
        path = deployment_path(deployment_id, item_path("runs", "run_id", run_id))
        return await self._request("GET", path, parse_run, options)


class AsyncDeploymentRunsAPI(Resource):
    """Runs across every deployment: ``list``, ``retrieve``.

    Reach it as ``client.deployment_runs``.

    Example::

        async for run in client.deployment_runs.list(has_error=True):
            print(run.deployment_id, run.error)
    """

    __slots__ = ()

    def list(
        self,
        *,
        deployment_id: str | None = None,
        has_error: bool | None = None,
        trigger_type: str | None = None,
        created_at_gt: datetime | str | None = None,
        created_at_gte: datetime | str | None = None,
        created_at_lt: datetime | str | None = None,
        created_at_lte: datetime | str | None = None,
        before_id: str | None = None,
        after_id: str | None = None,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[DeploymentRun]:
        """Every deployment run (``GET /deployment_runs``), page by page as you iterate.

        Args:
            deployment_id: only runs of this deployment.
            has_error: only failed (``True``) or only successful (``False``) runs.
            trigger_type: ``"schedule"`` or ``"manual"``.
            created_at_gt: created after this time.
            created_at_gte: created at or after this time.
            created_at_lt: created before this time.
            created_at_lte: created at or before this time.
            before_id: walk backward from this run id (first request only).
            after_id: start after this run id (first request only).
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            failed = [run async for run in client.deployment_runs.list(has_error=True)]
        """
        return self._list("/deployment_runs", _run_page, build_query(_RUNS, locals()), options)

    async def retrieve(
        self, deployment_run_id: str, **options: Unpack[RequestOptions]
    ) -> DeploymentRun:
        """Fetch a run (``GET /deployment_runs/{id}``).

        Args:
            deployment_run_id: the run's id.
            options: per-call :class:`RequestOptions`.

        Example::

            run = await client.deployment_runs.retrieve(run.id)
        """
        path = item_path("deployment_runs", "deployment_run_id", deployment_run_id)
        return await self._request("GET", path, parse_run, options)
