"""Environments (where sessions run: Qoder's cloud or your own workers) and the Work API that
self-hosted workers poll.

The API documents the timestamps of these objects as plain strings, so they stay ``str``
(RFC 3339 text) rather than ``datetime``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._base import extra_field
from .platform import PlatformObject, request_id_field

__all__ = [
    "Environment",
    "EnvironmentConfig",
    "Networking",
    "Packages",
    "SelfHostedWork",
    "WorkData",
    "WorkHeartbeat",
    "WorkQueueStats",
]


@attrs.frozen
class Networking:
    """Outbound network policy: ``type`` ``unrestricted``, or ``limited`` with its allow-list.

    Example::

        net = environment.config.networking
        print(net.type, net.allowed_hosts)
    """

    type: str | None = None
    allowed_hosts: list[str] = attrs.field(factory=list)
    allow_mcp_servers: bool | None = None
    allow_package_managers: bool | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Packages:
    """Packages installed in a cloud environment, per package manager.

    Example::

        print(environment.config.packages.pip)
    """

    type: str | None = None
    apt: list[str] = attrs.field(factory=list)
    cargo: list[str] = attrs.field(factory=list)
    gem: list[str] = attrs.field(factory=list)
    go: list[str] = attrs.field(factory=list)
    npm: list[str] = attrs.field(factory=list)
    pip: list[str] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class EnvironmentConfig:
    """An environment's configuration, one flat model for ``type`` ``cloud`` (networking,
    packages) and ``self_hosted`` (only ``setup_script``).

    Example::

        if environment.config and environment.config.type == "cloud":
            print(environment.config.setup_script)
    """

    type: str | None = None
    setup_script: str | None = None
    networking: Networking | None = None
    packages: Packages | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Environment(PlatformObject):
    """An environment sessions run in (``environments.create``, ``retrieve``, ...).

    Only ``id`` is required; unknown fields are kept in ``extra``; ``scope`` is open
    (``organization``, ``account``, ...). ``request_id`` is the ``x-request-id`` of the
    response (not part of equality or repr).

    Example::

        environment = await client.environments.create(name="ci", config={"type": "cloud"})
        print(environment.id, environment.scope, environment.created_at)
    """

    name: str | None = None
    description: str | None = None
    scope: str | None = None
    config: EnvironmentConfig | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    archived_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


@attrs.frozen
class WorkData:
    """What a work item is about: today a session (``{id, type: "session"}``).

    Example::

        print(work.data.type, work.data.id)
    """

    id: str | None = None
    type: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class SelfHostedWork(PlatformObject):
    """A unit of work queued for a self-hosted environment's workers.

    ``state`` is open (``queued``, ``acknowledged``, ``running``, ``stopped``, ...).
    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        work = await client.environments.work.poll(environment.id, worker_id="w1")
        if work is not None:
            print(work.id, work.state, work.data.id)
    """

    environment_id: str | None = None
    state: str | None = None
    data: WorkData | None = None
    secret: str | None = attrs.field(default=None, repr=False)
    metadata: dict[str, Any] = attrs.field(factory=dict)
    created_at: str | None = None
    acknowledged_at: str | None = None
    started_at: str | None = None
    latest_heartbeat_at: str | None = None
    stop_requested_at: str | None = None
    stopped_at: str | None = None


@attrs.frozen
class WorkHeartbeat:
    """What ``work.heartbeat`` answers: whether the lease was extended, and for how long.

    Example::

        beat = await client.environments.work.heartbeat(work.id, environment_id=env_id)
        print(beat.lease_extended, beat.ttl_seconds, beat.last_heartbeat)
    """

    type: str | None = None
    last_heartbeat: str | None = None
    lease_extended: bool | None = None
    state: str | None = None
    ttl_seconds: int | None = None
    extra: Mapping[str, Any] = extra_field()
    request_id: str | None = request_id_field()


@attrs.frozen
class WorkQueueStats:
    """An environment's work queue at a glance (``work.stats``).

    Example::

        stats = await client.environments.work.stats(environment.id)
        print(stats.depth, stats.pending, stats.workers_polling, stats.oldest_queued_at)
    """

    type: str | None = None
    depth: int | None = None
    pending: int | None = None
    workers_polling: int | None = None
    oldest_queued_at: str | None = None
    extra: Mapping[str, Any] = extra_field()
    request_id: str | None = request_id_field()


for _cls in (
    Networking,
    Packages,
    EnvironmentConfig,
    Environment,
    WorkData,
    SelfHostedWork,
    WorkHeartbeat,
    WorkQueueStats,
):
    attrs.resolve_types(_cls)
