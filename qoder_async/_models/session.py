"""Session objects, in the union of the shapes the three generations of the docs publish."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import Acknowledgement, extra_field
from .session_parts import AgentModel, AgentRef, CacheCreation, SessionAgent, SessionStats, Usage
from .session_resources import SessionResource

__all__ = [
    "AgentModel",
    "AgentRef",
    "CacheCreation",
    "DeletedSession",
    "Session",
    "SessionAgent",
    "SessionCancelResult",
    "SessionStats",
    "Usage",
]


@attrs.frozen
class Session:
    """A hosted agent session.

    Only ``id`` is required; every other field is optional because the three published
    generations of the API disagree on which ones exist. ``status`` is an open string
    (``idle``, ``running``, ``processing``, ``canceling``, ``rescheduling``, ``terminated``, ...).
    Unknown response fields are kept in ``extra``. ``request_id`` is the ``x-request-id`` of
    the response the session came from (``None`` when built otherwise); like ``extra`` it plays
    no part in equality or repr.

    Example::

        session = await client.sessions.create(agent="agent_01", environment_id="env_01")
        print(session.id, session.status, session.created_at.isoformat())
    """

    id: str
    type: str | None = "session"
    agent: SessionAgent | None = None
    agent_id: str | None = None
    environment_id: str | None = None
    title: str | None = None
    status: str | None = None
    turn_status: str | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    resources: list[SessionResource] = attrs.field(factory=list)
    vault_ids: list[str] = attrs.field(factory=list)
    memory_store_ids: list[str] = attrs.field(factory=list)
    environment_variables: dict[str, str] = attrs.field(factory=dict)
    usage: Usage | None = None
    stats: SessionStats | None = None
    deployment_id: str | None = None
    outcome_evaluations: list[Any] = attrs.field(factory=list)
    budget: dict[str, Any] | None = None
    archived_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, Any] = extra_field()
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class DeletedSession(Acknowledgement):
    """Result of ``sessions.delete``; both documented bodies mean the session is gone.

    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        assert (await client.sessions.delete(session.id)).deleted
    """

    deleted: bool | None = None


@attrs.frozen
class SessionCancelResult(Acknowledgement):
    """Result of ``sessions.cancel`` (``status`` is the literal ``"canceling"`` today).

    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        print((await client.sessions.cancel(session.id)).status)
    """

    status: str | None = None


for _cls in (
    AgentRef,
    AgentModel,
    SessionAgent,
    CacheCreation,
    Usage,
    SessionStats,
    Session,
    DeletedSession,
    SessionCancelResult,
):
    attrs.resolve_types(_cls)
