"""Memory stores: named collections of path-addressed memories that agents read and write,
with every change kept as a memory version (which can be redacted)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field
from .platform import PlatformObject

__all__ = ["Actor", "Memory", "MemoryStore", "MemoryVersion"]


@attrs.frozen
class MemoryStore(PlatformObject):
    """A memory store (``memory_stores.create``, ``retrieve``, ...).

    Only ``id`` is required; unknown fields are kept in ``extra``; ``status`` is open.
    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        store = await client.memory_stores.create(name="team-notes")
        print(store.id, store.entry_count, store.total_size)
    """

    name: str | None = None
    description: str | None = None
    status: str | None = None
    entry_count: int | None = None
    total_size: int | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    archived_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen
class Memory(PlatformObject):
    """One memory: the text at a ``path`` of a store, with its SHA-256 for safe updates.

    ``content`` is ``None`` in the ``basic`` view; list items carry no ``metadata``.
    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        memory = await client.memory_stores.memories.create(
            store.id, path="/notes/a.md", content="hello"
        )
        print(memory.path, memory.content_sha256, memory.memory_version_id)
    """

    memory_store_id: str | None = None
    memory_version_id: str | None = None
    path: str | None = None
    content: str | None = None
    content_sha256: str | None = None
    content_size_bytes: int | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen
class Actor:
    """Who made or redacted a memory version: ``type`` (open) and the id that applies.

    Example::

        print(version.created_by.type, version.created_by.session_id)
    """

    type: str | None = None
    session_id: str | None = None
    api_key_id: str | None = None
    user_id: str | None = None
    service_account_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class MemoryVersion(PlatformObject):
    """One change of a memory: ``operation`` (open: ``created``, ``modified``, ``deleted``),
    the content it left, who made it, and whether it was redacted since.

    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        async for version in client.memory_stores.memory_versions.list(store.id):
            print(version.operation, version.path, version.redacted_at)
    """

    memory_id: str | None = None
    memory_store_id: str | None = None
    operation: str | None = None
    path: str | None = None
    content: str | None = None
    content_sha256: str | None = None
    content_size_bytes: int | None = None
    created_at: datetime | None = None
    created_by: Actor | None = None
    redacted_at: datetime | None = None
    redacted_by: Actor | None = None


for _cls in (MemoryStore, Memory, Actor, MemoryVersion):
    attrs.resolve_types(_cls)
