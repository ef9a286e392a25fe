"""Shared pieces of the response models."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import attrs

__all__ = ["extra_field", "request_id_field", "request_id_of"]


#: The ``extra`` of an object whose response had no unknown keys: one shared, read-only
#: mapping instead of a new dict per object (most objects have none).
NO_EXTRA: MappingProxyType[str, Any] = MappingProxyType({})


def extra_field() -> Any:
    """Unknown keys of the response object, kept so that nothing the server sent is lost.

    Not part of equality or repr: a server adding a field must not change how objects compare.
    """
    return attrs.field(default=NO_EXTRA, eq=False, repr=False, kw_only=True)


def request_id_field() -> Any:
    """The ``x-request-id`` of the response a top-level object came from (set by the pipeline)."""
    return attrs.field(default=None, init=False, eq=False, repr=False)


def request_id_of(obj: object) -> str | None:
    """The request id of the HTTP response that produced ``obj``, if known.

    Works for every object a client method returns (sessions, pages, event lists).

    Example::

        session = await client.sessions.create(agent="agent_1", environment_id="env_1")
        print(qoder_async.request_id_of(session))
    """
    return getattr(obj, "_request_id", None)
