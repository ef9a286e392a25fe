"""``client.memory_stores.memories`` (the path-addressed entries of a store) and
``client.memory_stores.memory_versions`` (their history).

Ids: stores ``memstore_...``, memories ``mem_...``, versions ``memver_...``. Concurrent
writers guard with the content hash: ``memories.update(precondition=...)`` sends it as body
``content_sha256`` (as the official SDK does), ``memories.delete(expected_content_sha256=...)``
in the query; a stale hash is answered 409 (:class:`ConflictError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._errors import InvalidParameterError
from .._models._converter import response_parser, structurer
from .._models.memory_stores import Memory, MemoryVersion
from .._models.platform import DeletedObject
from .._pagination import AsyncPaginator, page_parser
from .._types import NOT_GIVEN, NotGiven
from ._base import Resource
from ._common import (
    PAGED,
    Spec,
    build_body,
    build_query,
    id_of,
    integer,
    item_path,
    json_object,
    metadata,
    metadata_patch,
    required,
    text,
    timestamp,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions

__all__ = ["AsyncMemoriesAPI", "AsyncMemoryVersionsAPI", "memory_store_path"]

_memory = response_parser(Memory)
_memory_page = page_parser(structurer(Memory))
_version = response_parser(MemoryVersion)
_version_page = page_parser(structurer(MemoryVersion))
_deleted = response_parser(DeletedObject)
_VIEW: Spec = {"view": text}
_MEMORY: Spec = {"path": required(text), "content": text, "metadata": metadata}
_MEMORY_UPDATE: Spec = {
    "path": text,
    "content": text,
    "metadata": metadata_patch,
    "content_sha256": text,
}
_MEMORY_LIST: Spec = {"depth": integer, "path_prefix": text, **PAGED, **_VIEW}
_VERSION_LIST: Spec = {
    "memory_id": id_of("mem_"),
    "session_id": id_of("sess_"),
    "api_key_id": id_of(),
    "service_account_id": id_of(),
    "operation": text,
    "created_at_gte": timestamp,
    "created_at_lte": timestamp,
    **PAGED,
    **_VIEW,
}


def memory_store_path(store_id: object, rest: str = "") -> str:
    """``/memory_stores/{id}{rest}``, the ``memstore_...`` id checked and quoted.

    Example::

        memory_store_path("memstore_01", "/archive")  # '/memory_stores/memstore_01/archive'
    """
    return item_path("memory_stores", "memory_store_id", store_id, "memstore_", rest)


def _memory_path(store_id: object, memory_id: object | None = None) -> str:
    if memory_id is None:
        return memory_store_path(store_id, "/memories")
    return memory_store_path(store_id, item_path("memories", "memory_id", memory_id, "mem_"))


def _version_path(store_id: object, version_id: object | None = None, rest: str = "") -> str:
    if version_id is None:
        return memory_store_path(store_id, "/memory_versions")
    versions = item_path("memory_versions", "memory_version_id", version_id, "memver_", rest)
    return memory_store_path(store_id, versions)


def _with_precondition(arguments: dict[str, Any]) -> dict[str, Any]:
    precondition = arguments["precondition"]
    if isinstance(precondition, NotGiven) or precondition is None:
        return arguments
    condition = json_object("precondition", precondition)
    if condition.get("type") != "content_sha256":
        raise InvalidParameterError("precondition.type", "must be 'content_sha256'")
    expected = required(text)("precondition.content_sha256", condition.get("content_sha256"))
    explicit = arguments["content_sha256"]
    if not isinstance(explicit, NotGiven) and explicit != expected:
        raise InvalidParameterError(
            "content_sha256", "contradicts precondition.content_sha256; pass one of them"
        )
    return {**arguments, "content_sha256": expected}


class AsyncMemoriesAPI(Resource):
    """The memories of a store: ``create``, ``list``, ``retrieve``, ``update``, ``delete``.

    Reach it as ``client.memory_stores.memories``. ``view="basic"`` leaves ``content`` out of
    the answer; ``"full"`` includes it.

    Example::

        memory = await client.memory_stores.memories.create(
            store.id, path="/notes/a.md", content="hello"
        )
    """

    __slots__ = ()

    async def create(
        self,
        memory_store_id: str,
        *,
        content: str | None,
        path: str,
        metadata: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        view: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Memory:
        """Write a memory at ``path`` (``POST /memory_stores/{id}/memories``).

        Args:
            memory_store_id: the ``memstore_...`` id.
            content: the text (``None`` sends ``null``).
            path: where in the store, e.g. ``/notes/a.md``.
            metadata: up to 16 string keys and values.
            view: ``"basic"`` or ``"full"``: how much of the memory the answer shows.
            options: per-call :class:`RequestOptions`.

        Example::

            memory = await client.memory_stores.memories.create(
                store.id, path="/notes/a.md", content="hello", view="full"
            )
        """
        body = build_body(_MEMORY, locals())
        query = build_query(_VIEW, locals())
        path_ = _memory_path(memory_store_id)
        return await self._request("POST", path_, _memory, options, body=body, query=query)

    def list(
        self,
        memory_store_id: str,
        *,
        depth: int | None = None,
        path_prefix: str | None = None,
        limit: int | None = None,
        page: str | None = None,
        view: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Memory]:
        """The memories of a store, page by page as you iterate (items carry no metadata).

        Args:
            memory_store_id: the ``memstore_...`` id.
            depth: how many directory levels below ``path_prefix`` to include.
            path_prefix: only memories under this path.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            view: ``"basic"`` or ``"full"``.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for memory in client.memory_stores.memories.list(store.id, path_prefix="/notes"):
                print(memory.path, memory.content_size_bytes)
        """
        query = build_query(_MEMORY_LIST, locals())
        return self._list(_memory_path(memory_store_id), _memory_page, query, options)

    async def retrieve(
        self,
        memory_id: str,
        *,
        memory_store_id: str,
        view: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Memory:
        """Fetch a memory (``GET /memory_stores/{memory_store_id}/memories/{id}``).

        Args:
            memory_id: the ``mem_...`` id.
            memory_store_id: the ``memstore_...`` id of its store.
            view: ``"basic"`` or ``"full"``.
            options: per-call :class:`RequestOptions`.

        Example::

            memory = await client.memory_stores.memories.retrieve(
                memory.id, memory_store_id=store.id, view="full"
            )
        """
        path = _memory_path(memory_store_id, memory_id)
        return await self._request(
            "GET", path, _memory, options, query=build_query(_VIEW, locals())
        )

    async def update(
        self,
        memory_id: str,
        *,
        memory_store_id: str,
        content: str | NotGiven | None = NOT_GIVEN,
        path: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        content_sha256: str | NotGiven | None = NOT_GIVEN,
        precondition: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        view: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Memory:
        """Change a memory (``POST /memory_stores/{memory_store_id}/memories/{id}``); only
        the fields you pass are sent.

        Args:
            memory_id: the ``mem_...`` id.
            memory_store_id: the ``memstore_...`` id of its store.
            content: the new text.
            path: a new path (moves the memory).
            metadata: keys to set; a key set to ``None`` is removed.
            content_sha256: only update if the current content has this SHA-256.
            precondition: ``{"type": "content_sha256", "content_sha256": ...}``, the official
                SDK's spelling of ``content_sha256`` (sent as ``content_sha256``).
            view: ``"basic"`` or ``"full"``.
            options: per-call :class:`RequestOptions`.

        Example::

            memory = await client.memory_stores.memories.update(
                memory.id, memory_store_id=store.id, content="v2",
                precondition={"type": "content_sha256", "content_sha256": memory.content_sha256},
            )
        """
        body = build_body(_MEMORY_UPDATE, _with_precondition(locals()))
        query = build_query(_VIEW, locals())
        path_ = _memory_path(memory_store_id, memory_id)
        return await self._request("POST", path_, _memory, options, body=body, query=query)

    async def delete(
        self,
        memory_id: str,
        *,
        memory_store_id: str,
        expected_content_sha256: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> DeletedObject:
        """Delete a memory (``DELETE /memory_stores/{memory_store_id}/memories/{id}``).

        Args:
            memory_id: the ``mem_...`` id.
            memory_store_id: the ``memstore_...`` id of its store.
            expected_content_sha256: only delete if the content still has this SHA-256.
            options: per-call :class:`RequestOptions`.

        Example::

            await client.memory_stores.memories.delete(memory.id, memory_store_id=store.id)
        """
        query = build_query({"expected_content_sha256": text}, locals())
        path = _memory_path(memory_store_id, memory_id)
        return await self._delete(path, _deleted, options, query)


class AsyncMemoryVersionsAPI(Resource):
    """The change history of a store's memories: ``list``, ``retrieve``, ``redact``.

    Reach it as ``client.memory_stores.memory_versions``.

    Example::

        async for version in client.memory_stores.memory_versions.list(store.id):
            print(version.operation, version.path)
    """

    __slots__ = ()

    def list(
        self,
        memory_store_id: str,
        *,
        memory_id: str | None = None,
        session_id: str | None = None,
        api_key_id: str | None = None,
        service_account_id: str | None = None,
        operation: str | None = None,
        created_at_gte: datetime | str | None = None,
        created_at_lte: datetime | str | None = None,
        limit: int | None = None,
        page: str | None = None,
        view: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[MemoryVersion]:
        """The versions of a store's memories, page by page as you iterate.

        Args:
            memory_store_id: the ``memstore_...`` id.
            memory_id: only versions of this ``mem_...`` memory.
            session_id: only versions written by this ``sess_...`` session.
            api_key_id: only versions written with this API key.
            service_account_id: only versions written by this service account.
            operation: ``"created"``, ``"modified"`` or ``"deleted"``.
            created_at_gte: created at or after this time.
            created_at_lte: created at or before this time.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            view: ``"basic"`` or ``"full"``.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            versions = client.memory_stores.memory_versions.list(store.id, memory_id=memory.id)
            print([v.operation async for v in versions])
        """
        query = build_query(_VERSION_LIST, locals())
        return self._list(_version_path(memory_store_id), _version_page, query, options)

    async def retrieve(
        self,
        memory_version_id: str,
        *,
        memory_store_id: str,
        view: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> MemoryVersion:
        """Fetch a memory version (``GET .../memory_versions/{id}``).

        Args:
            memory_version_id: the ``memver_...`` id.
            memory_store_id: the ``memstore_...`` id of its store.
            view: ``"basic"`` or ``"full"``.
            options: per-call :class:`RequestOptions`.

        Example::

            version = await client.memory_stores.memory_versions.retrieve(
                memory.memory_version_id, memory_store_id=store.id
            )
        """
        path = _version_path(memory_store_id, memory_version_id)
        query = build_query(_VIEW, locals())
        return await self._request("GET", path, _version, options, query=query)

    async def redact(
        self, memory_version_id: str, *, memory_store_id: str, **options: Unpack[RequestOptions]
    ) -> MemoryVersion:
        """Erase a version's content for good (``POST .../memory_versions/{id}/redact``).

        Args:
            memory_version_id: the ``memver_...`` id.
            memory_store_id: the ``memstore_...`` id of its store.
            options: per-call :class:`RequestOptions`.

        Example::

            version = await client.memory_stores.memory_versions.redact(
                version.id, memory_store_id=store.id
            )
            assert version.redacted_at is not None
        """
        path = _version_path(memory_store_id, memory_version_id, "/redact")
        return await self._action(path, _version, options)
