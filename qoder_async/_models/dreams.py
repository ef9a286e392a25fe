"""Dreams: a background job in which an agent consolidates sessions or a memory store into
memories (a new store, or an existing one)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field
from .platform import ErrorDetail, PlatformObject

__all__ = ["Dream", "DreamInput", "DreamModel", "DreamOutput", "DreamUsage", "OutputBehavior"]


@attrs.frozen
class DreamInput:
    """What a dream reads, one flat model: ``memory_store`` (``memory_store_id``) or
    ``sessions`` (``session_ids``).

    Example::

        print([(item.type, item.memory_store_id or item.session_ids) for item in dream.inputs])
    """

    type: str | None = None
    memory_store_id: str | None = None
    session_ids: list[str] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class DreamModel:
    """The model a dream runs on, and its ``speed`` (``standard``, ``fast``, ...); a server
    sending a bare model id gives a plain string in :attr:`Dream.model` instead.

    Example::

        if isinstance(dream.model, DreamModel):
            print(dream.model.id, dream.model.speed)
    """

    id: str | None = None
    speed: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class OutputBehavior:
    """Where a dream writes: ``create_new`` or ``update_existing`` (``memory_store_id``).

    Example::

        print(dream.output_behavior.type)
    """

    type: str | None = None
    memory_store_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class DreamOutput:
    """What a dream wrote: the memory store and the paths it touched.

    Example::

        for output in dream.outputs:
            print(output.memory_store_id, output.files_touched)
    """

    type: str | None = None
    memory_store_id: str | None = None
    files_touched: list[str] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class DreamUsage:
    """Token counts of a dream.

    Example::

        print(dream.usage.input_tokens, dream.usage.output_tokens)
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Dream(PlatformObject):
    """A dream (``dreams.create``, ``retrieve``, ``list``, ``archive``, ``cancel``).

    Only ``id`` is required; unknown fields are kept in ``extra``; ``status`` is open
    (``pending``, ``running``, ``completed``, ``failed``, ``canceled``, ...). ``request_id``
    is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        dream = await client.dreams.create(
            inputs=[{"type": "sessions", "session_ids": [session.id]}], model="ultimate"
        )
        print(dream.id, dream.status)
    """

    status: str | None = None
    inputs: list[DreamInput] = attrs.field(factory=list)
    instructions: str | None = None
    model: str | DreamModel | None = None
    output_behavior: OutputBehavior | None = None
    outputs: list[DreamOutput] = attrs.field(factory=list)
    session_id: str | None = None
    usage: DreamUsage | None = None
    error: ErrorDetail | None = None
    archived_at: datetime | None = None
    created_at: datetime | None = None
    ended_at: datetime | None = None


for _cls in (DreamInput, DreamModel, OutputBehavior, DreamOutput, DreamUsage, Dream):
    attrs.resolve_types(_cls)
