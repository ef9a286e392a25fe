"""``client.environments.work``: the queue of work a self-hosted environment's workers poll.

Work ids have no documented prefix (any non-empty, URL-safe string). Three oddities are kept
from the official SDK: ``poll`` returns ``None`` when there is no work (204 or an empty body),
``worker_id`` travels as the ``Worker-ID`` header, and ``heartbeat`` sends its parameters in
the query of a POST.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._models._converter import response_parser, structurer
from .._models.environments import SelfHostedWork, WorkHeartbeat, WorkQueueStats
from .._pagination import AsyncPaginator, page_parser
from .._types import NOT_GIVEN, NotGiven
from ._base import Resource
from ._common import (
    CURSORS,
    Spec,
    boolean,
    build_body,
    build_query,
    integer,
    item_path,
    metadata_patch,
    required,
    segment,
    text,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions

__all__ = ["AsyncWorkAPI", "environment_path"]

_work = response_parser(SelfHostedWork)
_work_page = page_parser(structurer(SelfHostedWork))
_heartbeat = response_parser(WorkHeartbeat)
_stats = response_parser(WorkQueueStats)
_POLL: Spec = {"block_ms": integer, "reclaim_older_than_ms": integer}
_HEARTBEAT: Spec = {"desired_ttl_seconds": integer, "expected_last_heartbeat": text}


def environment_path(environment_id: object, rest: str = "") -> str:
    """``/environments/{id}{rest}``, the ``env_...`` id checked and quoted.

    Example::

        environment_path("env_01", "/archive")  # '/environments/env_01/archive'
    """
    return item_path("environments", "environment_id", environment_id, "env_", rest)


def _poll_result(data: Any, request_id: str | None) -> SelfHostedWork | None:
    # No work is a 204 (or a 200 with an empty body): no object, not an error.
    return None if data is None else _work(data, request_id)


def _work_path(environment_id: object, work_id: object | None = None, rest: str = "") -> str:
    item = "" if work_id is None else "/" + segment("work_id", work_id)
    return environment_path(environment_id, f"/work{item}{rest}")


class AsyncWorkAPI(Resource):
    """The work queue of a self-hosted environment: ``poll``, ``ack``, ``heartbeat``,
    ``stop``, ``update``, ``retrieve``, ``list``, ``stats``.

    Reach it as ``client.environments.work``. A worker polls, acknowledges what it got, sends
    heartbeats to keep its lease while it works, and stops when asked.

    Example::

        work = await client.environments.work.poll(env_id, worker_id="w1", block_ms=30_000)
        if work is not None:
            await client.environments.work.ack(work.id, environment_id=env_id)
    """

    __slots__ = ()

    async def poll(
        self,
        environment_id: str,
        *,
        block_ms: int | None = None,
        reclaim_older_than_ms: int | None = None,
        worker_id: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> SelfHostedWork | None:
        """Take the next work item (``GET /environments/{id}/work/poll``), or ``None``.

        Args:
            environment_id: the ``env_...`` id.
            block_ms: how long the server may wait for work before answering.
            reclaim_older_than_ms: also hand out work whose lease is older than this.
            worker_id: this worker's id, sent as the ``Worker-ID`` header.
            options: per-call :class:`RequestOptions`.

        Example::

            work = await client.environments.work.poll(env_id, worker_id="w1")
            print("idle" if work is None else work.data.id)
        """
        query = build_query(_POLL, locals())
        worker = {} if worker_id is None else {"Worker-ID": required(text)("worker_id", worker_id)}
        path = _work_path(environment_id, rest="/poll")
        return await self._request("GET", path, _poll_result, options, query=query, headers=worker)

    async def ack(
        self, work_id: str, *, environment_id: str, **options: Unpack[RequestOptions]
    ) -> SelfHostedWork:
        """Acknowledge a polled work item (``POST .../work/{id}/ack``).

        Args:
            work_id: the work item's id.
            environment_id: the ``env_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            work = await client.environments.work.ack(work.id, environment_id=env_id)
        """
        return await self._action(_work_path(environment_id, work_id, "/ack"), _work, options)

    async def heartbeat(
        self,
        work_id: str,
        *,
        environment_id: str,
        desired_ttl_seconds: int | None = None,
        expected_last_heartbeat: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> WorkHeartbeat:
        """Extend the lease on a work item (``POST .../work/{id}/heartbeat``, parameters in
        the query).

        Args:
            work_id: the work item's id.
            environment_id: the ``env_...`` id.
            desired_ttl_seconds: the lease length asked for.
            expected_last_heartbeat: the ``last_heartbeat`` this worker saw last; another
                value means someone else holds the lease.
            options: per-call :class:`RequestOptions`.

        Example::

            beat = await client.environments.work.heartbeat(
                work.id, environment_id=env_id, desired_ttl_seconds=60
            )
        """
        path = _work_path(environment_id, work_id, "/heartbeat")
        query = build_query(_HEARTBEAT, locals())
        return await self._request("POST", path, _heartbeat, options, body={}, query=query)

    async def stop(
        self,
        work_id: str,
        *,
        environment_id: str,
        force: bool | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> SelfHostedWork:
        """Ask for a work item to stop (``POST .../work/{id}/stop``).

        Args:
            work_id: the work item's id.
            environment_id: the ``env_...`` id.
            force: stop at once instead of asking the worker.
            options: per-call :class:`RequestOptions`.

        Example::

            work = await client.environments.work.stop(work.id, environment_id=env_id)
        """
        path = _work_path(environment_id, work_id, "/stop")
        body = build_body({"force": boolean}, locals())
        return await self._request("POST", path, _work, options, body=body)

    async def update(
        self,
        work_id: str,
        *,
        environment_id: str,
        metadata: Mapping[str, Any],
        **options: Unpack[RequestOptions],
    ) -> SelfHostedWork:
        """Change a work item's metadata (``POST .../work/{id}``).

        Args:
            work_id: the work item's id.
            environment_id: the ``env_...`` id.
            metadata: keys to set; a key set to ``None`` is removed.
            options: per-call :class:`RequestOptions`.

        Example::

            await client.environments.work.update(
                work.id, environment_id=env_id, metadata={"host": "runner-3"}
            )
        """
        body = build_body({"metadata": required(metadata_patch)}, locals())
        return await self._request(
            "POST", _work_path(environment_id, work_id), _work, options, body=body
        )

    async def retrieve(
        self, work_id: str, *, environment_id: str, **options: Unpack[RequestOptions]
    ) -> SelfHostedWork:
        """Fetch a work item (``GET .../work/{id}``).

        Args:
            work_id: the work item's id.
            environment_id: the ``env_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            work = await client.environments.work.retrieve(work.id, environment_id=env_id)
            print(work.state, work.latest_heartbeat_at)
        """
        return await self._request("GET", _work_path(environment_id, work_id), _work, options)

    def list(
        self,
        environment_id: str,
        *,
        before_id: str | None = None,
        after_id: str | None = None,
        page: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[SelfHostedWork]:
        """Every work item of an environment (``GET /environments/{id}/work``), page by page.

        Args:
            environment_id: the ``env_...`` id.
            before_id: walk backward from this work id (first request only).
            after_id: start after this work id (first request only).
            page: an opaque page cursor to start from.
            limit: page size (1-100).
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for work in client.environments.work.list(env_id):
                print(work.id, work.state)
        """
        query = build_query(CURSORS, locals())
        return self._list(_work_path(environment_id), _work_page, query, options)

    async def stats(self, environment_id: str, **options: Unpack[RequestOptions]) -> WorkQueueStats:
        """The environment's queue depth and workers (``GET /environments/{id}/work/stats``).

        Args:
            environment_id: the ``env_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            stats = await client.environments.work.stats(env_id)
            print(stats.depth, stats.workers_polling)
        """
        path = _work_path(environment_id, rest="/stats")
        return await self._request("GET", path, _stats, options)
