"""``client.memory_stores``: create, list, retrieve, update, archive, delete; ``memories``
and ``memory_versions`` (see :mod:`.memories`).

Memory store ids are ``memstore_...`` ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._models._converter import response_parser, structurer
from .._models.memory_stores import MemoryStore
from .._models.platform import DeletedObject
from .._pagination import AsyncPaginator, page_parser
from .._types import NOT_GIVEN, NotGiven
from ._base import Resource
from ._common import (
    ARCHIVABLE_LIST,
    Spec,
    build_body,
    build_query,
    metadata,
    metadata_patch,
    required,
    text,
)
from .memories import AsyncMemoriesAPI, AsyncMemoryVersionsAPI
from .memories import memory_store_path as _path

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions
    from .._send import Requester

__all__ = ["AsyncMemoriesAPI", "AsyncMemoryStoresAPI", "AsyncMemoryVersionsAPI"]

_store = response_parser(MemoryStore)
_store_page = page_parser(structurer(MemoryStore))
_deleted = response_parser(DeletedObject)
_STORE: Spec = {"name": text, "description": text, "metadata": metadata_patch}
_CREATE_STORE: Spec = {**_STORE, "name": required(text), "metadata": metadata}


class AsyncMemoryStoresAPI(Resource):
    """Memory stores: ``create``, ``list``, ``retrieve``, ``update``, ``archive``,
    ``delete``; ``memories`` and ``memory_versions`` below.

    Reach it as ``client.memory_stores``. Every method also takes the per-call
    :class:`RequestOptions`.

    Example::

        store = await client.memory_stores.create(name="team-notes")
        await client.memory_stores.memories.create(store.id, path="/a.md", content="hi")
    """

    __slots__ = ("memories", "memory_versions")

    memories: AsyncMemoriesAPI
    """A store's memories (see :class:`AsyncMemoriesAPI`)."""
    memory_versions: AsyncMemoryVersionsAPI
    """A store's memory history (see :class:`AsyncMemoryVersionsAPI`)."""

    def __init__(self, requester: Requester) -> None:
        super().__init__(requester)
        self.memories = AsyncMemoriesAPI(requester)
        self.memory_versions = AsyncMemoryVersionsAPI(requester)

    async def create(
        self,
        *,
        name: str,
        description: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> MemoryStore:
        """Create a memory store (``POST /memory_stores``).

        Args:
            name: its name.
            description: what it holds.
            metadata: up to 16 string keys and values.
            options: per-call :class:`RequestOptions`.

        Example::

            store = await client.memory_stores.create(name="team-notes", description="shared")
        """
        body = build_body(_CREATE_STORE, locals())
        return await self._request("POST", "/memory_stores", _store, options, body=body)

    async def retrieve(
        self, memory_store_id: str, **options: Unpack[RequestOptions]
    ) -> MemoryStore:
        """Fetch a memory store (``GET /memory_stores/{id}``).

        Args:
            memory_store_id: the ``memstore_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            store = await client.memory_stores.retrieve(store.id)
            print(store.entry_count)
        """
        return await self._request("GET", _path(memory_store_id), _store, options)

    async def update(
        self,
        memory_store_id: str,
        *,
        name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> MemoryStore:
        """Change a memory store (``POST /memory_stores/{id}``); only what you pass is sent.

        Args:
            memory_store_id: the ``memstore_...`` id.
            name: the new name.
            description: the new description.
            metadata: keys to set; a key set to ``None`` is removed.
            options: per-call :class:`RequestOptions`.

        Example::

            store = await client.memory_stores.update(store.id, description="archive")
        """
        body = build_body(_STORE, locals())
        return await self._request("POST", _path(memory_store_id), _store, options, body=body)

    def list(
        self,
        *,
        name: str | None = None,
        created_at_gte: datetime | str | None = None,
        created_at_lte: datetime | str | None = None,
        include_archived: bool | None = None,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[MemoryStore]:
        """Every memory store, page by page as you iterate.

        Args:
            name: only stores with this name.
            created_at_gte: created at or after this time.
            created_at_lte: created at or before this time.
            include_archived: also list archived stores.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for store in client.memory_stores.list(name="team-notes"):
                print(store.id)
        """
        query = build_query({"name": text, **ARCHIVABLE_LIST}, locals())
        return self._list("/memory_stores", _store_page, query, options)

    async def archive(self, memory_store_id: str, **options: Unpack[RequestOptions]) -> MemoryStore:
        """Archive a memory store (``POST /memory_stores/{id}/archive``).

        Args:
            memory_store_id: the ``memstore_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            store = await client.memory_stores.archive(store.id)
        """
        return await self._action(_path(memory_store_id, "/archive"), _store, options)

    async def delete(
        self, memory_store_id: str, **options: Unpack[RequestOptions]
    ) -> DeletedObject:
        """Delete a memory store and its memories (``DELETE /memory_stores/{id}``).

        Args:
            memory_store_id: the ``memstore_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            await client.memory_stores.delete(store.id)
        """
        return await self._delete(_path(memory_store_id), _deleted, options)
