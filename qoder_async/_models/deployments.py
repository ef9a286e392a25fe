"""Deployments: an agent, an environment and the first events of a session, started on a
schedule or by hand; each start is a deployment run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field
from .platform import AgentReference, ErrorDetail, PlatformObject
from .session_resources import SessionResource

__all__ = [
    "BudgetLimit",
    "Deployment",
    "DeploymentRun",
    "InitialEvent",
    "PausedReason",
    "Schedule",
    "TriggerContext",
]


@attrs.frozen
class BudgetLimit:
    """A spending cap: ``{type: "limit", max_credit_cost}`` (a decimal string).

    Example::

        print(deployment.budget.max_credit_cost)
    """

    type: str | None = None
    max_credit_cost: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Schedule:
    """When a deployment runs: a cron ``expression`` in a ``timezone``, and the next runs.

    Example::

        print(deployment.schedule.expression, deployment.schedule.upcoming_runs_at[:1])
    """

    type: str | None = None
    expression: str | None = None
    timezone: str | None = None
    last_run_at: datetime | None = None
    upcoming_runs_at: list[datetime] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class PausedReason:
    """Why a deployment is paused: ``type`` (open) and, after a failure, its ``error``.

    Example::

        if deployment.paused_reason is not None:
            print(deployment.paused_reason.type)
    """

    type: str | None = None
    error: ErrorDetail | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class InitialEvent:
    """An event every run's session starts with, one flat model for ``user.message``,
    ``user.define_outcome`` and ``system.message``; ``content`` and ``rubric`` stay JSON.

    Example::

        print([event.type for event in deployment.initial_events])
    """

    type: str | None = None
    content: list[Any] = attrs.field(factory=list)
    description: str | None = None
    rubric: dict[str, Any] | None = None
    max_iterations: int | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Deployment(PlatformObject):
    """A deployment (``deployments.create``, ``retrieve``, ``pause``, ...).

        Only ``id`` is required; unknown fields are kept in ``extra``; ``status`` is open
        (``active``, ``paused``, ...). ``environment_variables`` is a string here (on sessions it
        is an object); ``resources`` are :class:`SessionResource` objects of the kind each names
    (``FileResource``, ...; secrets dropped). ``request_id`` is
        the ``x-request-id`` of the response (not part of equality or repr).

        Example::

            deployment = await client.deployments.retrieve("deploy_01")
            print(deployment.name, deployment.status, deployment.schedule)
    """

    name: str | None = None
    description: str | None = None
    status: str | None = None
    paused_reason: PausedReason | None = None
    agent: AgentReference | None = None
    environment_id: str | None = None
    environment_variables: str | None = None
    initial_events: list[InitialEvent] = attrs.field(factory=list)
    resources: list[SessionResource] = attrs.field(factory=list)
    schedule: Schedule | None = None
    vault_ids: list[str] = attrs.field(factory=list)
    budget: BudgetLimit | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    archived_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen
class TriggerContext:
    """What started a run: ``type`` ``schedule`` (with ``scheduled_at``) or ``manual``.

    Example::

        print(run.trigger_context.type, run.trigger_context.scheduled_at)
    """

    type: str | None = None
    scheduled_at: datetime | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class DeploymentRun(PlatformObject):
    """One start of a deployment: the session it created, or the error that prevented it.

    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        run = await client.deployments.run(deployment.id)
        session = await client.sessions.retrieve(run.session_id)
    """

    deployment_id: str | None = None
    session_id: str | None = None
    agent: AgentReference | None = None
    error: ErrorDetail | None = None
    trigger_context: TriggerContext | None = None
    created_at: datetime | None = None


for _cls in (
    BudgetLimit,
    Schedule,
    PausedReason,
    InitialEvent,
    Deployment,
    TriggerContext,
    DeploymentRun,
):
    attrs.resolve_types(_cls)
