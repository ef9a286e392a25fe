"""Pieces the platform models (agents, environments, memory stores, deployments, dreams,
models) share: the ``{id, type}`` answer of a delete, an ``{type, message}`` error, an agent
reference, and the ``request_id`` field of every top-level result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._base import Acknowledgement, extra_field

__all__ = [
    "AgentReference",
    "DeletedObject",
    "ErrorDetail",
    "PlatformObject",
    "request_id_field",
]


def request_id_field() -> Any:
    """The ``request_id`` of a top-level result: the ``x-request-id`` of its response, set by
    the converter, not part of equality or repr (``None`` for an object built otherwise)."""
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class PlatformObject:
    """Base of the platform's top-level objects (:class:`Agent`, :class:`Environment`, ...):
    a required ``id``, an open ``type``, unknown response fields in ``extra`` and the
    response's ``request_id`` (neither part of equality or repr).

    Example::

        agent = await client.agents.retrieve("agent_01")
        print(agent.id, agent.type, agent.extra, agent.request_id)
    """

    id: str
    type: str | None = None
    extra: Mapping[str, Any] = extra_field()
    request_id: str | None = request_id_field()


@attrs.frozen
class DeletedObject(Acknowledgement):
    """What a platform ``delete`` answers: the deleted object's ``id`` and a ``type``
    (``environments``, ``memory_stores``, ``memory_stores.memories``).

    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        gone = await client.environments.delete(environment.id)
        print(gone.id, gone.type)
    """


@attrs.frozen
class ErrorDetail:
    """Why a deployment run, a dream or a deployment's pause failed: an open ``type`` and a
    ``message`` (either may be missing).

    Example::

        if run.error is not None:
            print(run.error.type, run.error.message)
    """

    type: str | None = None
    message: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class AgentReference:
    """An agent pinned by id and version, as deployments and their runs name it.

    Example::

        print(deployment.agent.id, deployment.agent.version)
    """

    id: str | None = None
    type: str | None = None
    version: int | None = None
    extra: Mapping[str, Any] = extra_field()


for _cls in (PlatformObject, DeletedObject, ErrorDetail, AgentReference):
    attrs.resolve_types(_cls)
