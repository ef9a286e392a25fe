"""The parts of a session object that other objects share: the agent it runs, its usage
counters and its stats (threads and events carry them too)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field

__all__ = ["AgentModel", "AgentRef", "CacheCreation", "SessionAgent", "SessionStats", "Usage"]


@attrs.frozen
class AgentRef:
    """A version-pinned agent for :meth:`AsyncSessionsAPI.create`.

    ``version`` 0 or ``None`` means the latest active version.

    Example::

        await client.sessions.create(agent=AgentRef("agent_01", version=3), environment_id="env_1")
    """

    id: str
    version: int | None = None
    type: str = "agent"


@attrs.frozen
class AgentModel:
    """The model an agent runs on. Older API generations send only a string id.

    Example::

        print(session.agent.model_id)  # reads AgentModel.id or the plain string
    """

    id: str | None = None
    effective_context_window: int | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class SessionAgent:
    """The agent snapshot a session was created with.

    ``model`` is a plain string in older responses and an :class:`AgentModel` in newer ones;
    :attr:`model_id` reads both.

    Example::

        print(session.agent.name, session.agent.version, session.agent.model_id)
    """

    id: str | None = None
    type: str | None = None
    name: str | None = None
    description: str | None = None
    model: str | AgentModel | None = None
    system: str | None = None
    instructions: str | None = None
    tools: list[Any] = attrs.field(factory=list)
    mcp_servers: list[Any] = attrs.field(factory=list)
    skills: list[Any] = attrs.field(factory=list)
    metadata: dict[str, Any] = attrs.field(factory=dict)
    version: int | None = None
    default_environment: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    archived_at: datetime | None = None
    extra: Mapping[str, Any] = extra_field()

    @property
    def model_id(self) -> str | None:
        """The model's id whichever shape the server used."""
        return self.model.id if isinstance(self.model, AgentModel) else self.model


@attrs.frozen
class CacheCreation:
    """Prompt-cache write counts inside :class:`Usage`.

    Example::

        print(session.usage.cache_creation.ephemeral_5m_input_tokens)
    """

    ephemeral_5m_input_tokens: int | None = None
    ephemeral_1h_input_tokens: int | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Usage:
    """Usage counters. Token counts (older docs, SDK) or ``total_credits`` (newer); any subset.

    Keys this version does not model (``active_seconds``, ``list_cost``, ...) are in ``extra``.

    Example::

        print(session.usage.total_credits or session.usage.output_tokens)
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation: CacheCreation | None = None
    total_credits: float | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class SessionStats:
    """Timing statistics of a session.

    Example::

        print(session.stats.active_seconds)
    """

    active_seconds: float | None = None
    duration_seconds: float | None = None
    extra: Mapping[str, Any] = extra_field()
