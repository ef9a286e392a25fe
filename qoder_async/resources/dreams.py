"""``client.dreams``: create, list, retrieve, archive, cancel.

Dream ids have no documented prefix: any non-empty, URL-safe string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._models._converter import response_parser, structurer
from .._models.dreams import Dream
from .._pagination import AsyncPaginator, page_parser
from .._types import NOT_GIVEN, NotGiven
from ._base import Resource
from ._common import (
    PAGED,
    Spec,
    boolean,
    build_body,
    build_query,
    item_path,
    json_object,
    object_list,
    required,
    str_list,
    str_or_object,
    text,
    timestamp,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions

__all__ = ["AsyncDreamsAPI"]

_dream = response_parser(Dream)
_dream_page = page_parser(structurer(Dream))
_CREATE: Spec = {
    "inputs": required(object_list),
    "model": required(str_or_object),
    "instructions": text,
    "output_behavior": json_object,
}
_LIST: Spec = {
    "created_at_gt": timestamp,
    "created_at_lt": timestamp,
    "include_archived": boolean,
    "statuses": str_list,
    **PAGED,
}

JSON = Mapping[str, Any]


def _path(dream_id: object, rest: str = "") -> str:
    return item_path("dreams", "dream_id", dream_id, "", rest)


class AsyncDreamsAPI(Resource):
    """Dreams: ``create``, ``list``, ``retrieve``, ``archive``, ``cancel``.

    Reach it as ``client.dreams``. Every method also takes the per-call
    :class:`RequestOptions`.

    Example::

        dream = await client.dreams.create(
            inputs=[{"type": "memory_store", "memory_store_id": store.id}], model="ultimate"
        )
        dream = await client.dreams.retrieve(dream.id)
    """

    __slots__ = ()

    async def create(
        self,
        *,
        inputs: Sequence[JSON],
        model: str | JSON,
        instructions: str | NotGiven | None = NOT_GIVEN,
        output_behavior: JSON | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Dream:
        """Start a dream (``POST /dreams``).

        Args:
            inputs: ``{"type": "memory_store", "memory_store_id"}`` or
                ``{"type": "sessions", "session_ids": [...]}`` items.
            model: a model id, or ``{"id", "speed": "standard" | "fast"}``.
            instructions: what to focus on.
            output_behavior: ``{"type": "create_new"}`` or
                ``{"type": "update_existing", "memory_store_id"}``.
            options: per-call :class:`RequestOptions`.

        Example::

            dream = await client.dreams.create(
                inputs=[{"type": "sessions", "session_ids": [session.id]}],
                model={"id": "ultimate", "speed": "fast"},
                output_behavior={"type": "create_new"},
            )
        """
        body = build_body(_CREATE, locals())
        return await self._request("POST", "/dreams", _dream, options, body=body)

    async def retrieve(self, dream_id: str, **options: Unpack[RequestOptions]) -> Dream:
        """Fetch a dream (``GET /dreams/{id}``).

        Args:
            dream_id: the dream's id.
            options: per-call :class:`RequestOptions`.

        Example::

            dream = await client.dreams.retrieve(dream.id)
            print(dream.status, dream.outputs)
        """
        return await self._request("GET", _path(dream_id), _dream, options)

    def list(
        self,
        *,
        created_at_gt: datetime | str | None = None,
        created_at_lt: datetime | str | None = None,
        include_archived: bool | None = None,
        statuses: Sequence[str] | None = None,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Dream]:
        """Every dream, page by page as you iterate.

        Args:
            created_at_gt: created after this time.
            created_at_lt: created before this time.
            include_archived: also list archived dreams.
            statuses: only these statuses (``pending``, ``running``, ``completed``,
                ``failed``, ``canceled``).
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for dream in client.dreams.list(statuses=["running"]):
                print(dream.id)
        """
        return self._list("/dreams", _dream_page, build_query(_LIST, locals()), options)

    async def archive(self, dream_id: str, **options: Unpack[RequestOptions]) -> Dream:
        """Archive a dream (``POST /dreams/{id}/archive``).

        Args:
            dream_id: the dream's id.
            options: per-call :class:`RequestOptions`.

        Example::

            dream = await client.dreams.archive(dream.id)
        """
        return await self._action(_path(dream_id, "/archive"), _dream, options)

    async def cancel(self, dream_id: str, **options: Unpack[RequestOptions]) -> Dream:
        """Cancel a pending or running dream (``POST /dreams/{id}/cancel``).

        Args:
            dream_id: the dream's id.
            options: per-call :class:`RequestOptions`.

        Example::

            dream = await client.dreams.cancel(dream.id)
            print(dream.status)
        """
        return await self._action(_path(dream_id, "/cancel"), _dream, options)
