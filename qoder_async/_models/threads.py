"""The threads of a multi-agent session: one per agent working in it (the session's own
agent and the sub-agents it starts)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field
from .session_parts import SessionAgent, SessionStats, Usage

__all__ = ["SessionThread", "ThreadStats"]


@attrs.frozen
class ThreadStats(SessionStats):
    """Timing statistics of a thread: the session's, plus how long it took to start.

    Example::

        print(thread.stats.startup_seconds, thread.stats.active_seconds)
    """

    startup_seconds: float | None = None


@attrs.frozen
class SessionThread:
    """One thread of a session (``sessions.threads.retrieve``, ``list``, ``archive``).

    Only ``id`` is required; like every response object, the other fields may be missing
    (``None``) and unknown fields are kept in ``extra``. ``status`` is an open string
    (``running``, ``idle``, ``terminated``, ...); ``parent_thread_id`` is the thread that
    started this one; ``agent`` the snapshot of the agent it runs. ``request_id`` is the
    ``x-request-id`` of the response it came from (not part of equality or repr).

    Example::

        async for thread in client.sessions.threads.list(session.id):
            print(thread.id, thread.agent and thread.agent.name, thread.status)
    """

    id: str
    type: str | None = None
    session_id: str | None = None
    parent_thread_id: str | None = None
    status: str | None = None
    agent: SessionAgent | None = None
    stats: ThreadStats | None = None
    usage: Usage | None = None
    archived_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, Any] = extra_field()
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


for _cls in (ThreadStats, SessionThread):
    attrs.resolve_types(_cls)
