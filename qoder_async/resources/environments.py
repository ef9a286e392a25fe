"""``client.environments``: create, list, retrieve, update, archive, delete; ``work``, the
queue self-hosted workers poll (see :mod:`.work`).

Environment ids are ``env_...`` ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._models._converter import response_parser, structurer
from .._models.environments import Environment
from .._models.platform import DeletedObject
from .._pagination import AsyncPaginator, page_parser
from .._types import NOT_GIVEN, NotGiven
from ._base import Resource
from ._common import (
    ARCHIVABLE_LIST,
    Spec,
    build_body,
    build_query,
    json_object,
    metadata,
    metadata_patch,
    required,
    text,
)
from .work import AsyncWorkAPI
from .work import environment_path as _path

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions
    from .._send import Requester

__all__ = ["AsyncEnvironmentsAPI", "AsyncWorkAPI"]

_environment = response_parser(Environment)
_environment_page = page_parser(structurer(Environment))
_deleted = response_parser(DeletedObject)
_FIELDS: Spec = {
    "name": text,
    "description": text,
    "config": json_object,
    "scope": text,
    "metadata": metadata_patch,
}
_CREATE: Spec = {**_FIELDS, "name": required(text), "metadata": metadata}


class AsyncEnvironmentsAPI(Resource):
    """Environments: ``create``, ``list``, ``retrieve``, ``update``, ``archive``,
    ``delete``; ``work`` below.

    Reach it as ``client.environments``. Every method also takes the per-call
    :class:`RequestOptions`.

    Example::

        env = await client.environments.create(name="ci", config={"type": "self_hosted"})
        async for env in client.environments.list():
            print(env.id, env.name)
    """

    __slots__ = ("work",)

    work: AsyncWorkAPI
    """The work queue of self-hosted environments (see :class:`AsyncWorkAPI`)."""

    def __init__(self, requester: Requester) -> None:
        super().__init__(requester)
        self.work = AsyncWorkAPI(requester)

    async def create(
        self,
        *,
        name: str,
        description: str | NotGiven | None = NOT_GIVEN,
        config: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        scope: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Environment:
        """Create an environment (``POST /environments``).

        Args:
            name: its name.
            description: what it is for.
            config: ``{"type": "cloud", "setup_script"?, "networking"?, "packages"?}`` or
                ``{"type": "self_hosted", "setup_script"?}``.
            scope: ``"organization"`` or ``"account"``.
            metadata: up to 16 string keys and values.
            options: per-call :class:`RequestOptions`.

        Example::

            env = await client.environments.create(
                name="ci", config={"type": "cloud", "networking": {"type": "unrestricted"}}
            )
        """
        body = build_body(_CREATE, locals())
        return await self._request("POST", "/environments", _environment, options, body=body)

    async def retrieve(self, environment_id: str, **options: Unpack[RequestOptions]) -> Environment:
        """Fetch an environment (``GET /environments/{id}``).

        Args:
            environment_id: the ``env_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            env = await client.environments.retrieve("env_019e2590d33f711fabf42f2857cecd8a")
        """
        return await self._request("GET", _path(environment_id), _environment, options)

    async def update(
        self,
        environment_id: str,
        *,
        name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        config: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        scope: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Environment:
        """Change an environment (``POST /environments/{id}``); only the fields you pass are
        sent (``None`` sends ``null``).

        Args:
            environment_id: the ``env_...`` id.
            name: the new name.
            description: the new description.
            config: the new configuration, as in :meth:`create`.
            scope: the new scope.
            metadata: keys to set; a key set to ``None`` is removed.
            options: per-call :class:`RequestOptions`.

        Example::

            env = await client.environments.update(env.id, description="nightly builds")
        """
        body = build_body(_FIELDS, locals())
        return await self._request("POST", _path(environment_id), _environment, options, body=body)

    def list(
        self,
        *,
        created_at_gte: datetime | str | None = None,
        created_at_lte: datetime | str | None = None,
        include_archived: bool | None = None,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Environment]:
        """Every environment, fetched page by page as you iterate.

        Args:
            created_at_gte: created at or after this time.
            created_at_lte: created at or before this time.
            include_archived: also list archived environments.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            names = [env.name async for env in client.environments.list(limit=100)]
        """
        query = build_query(ARCHIVABLE_LIST, locals())
        return self._list("/environments", _environment_page, query, options)

    async def archive(self, environment_id: str, **options: Unpack[RequestOptions]) -> Environment:
        """Archive an environment (``POST /environments/{id}/archive``).

        Args:
            environment_id: the ``env_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            env = await client.environments.archive(env.id)
        """
        return await self._action(_path(environment_id, "/archive"), _environment, options)

    async def delete(self, environment_id: str, **options: Unpack[RequestOptions]) -> DeletedObject:
        """Delete an environment for good (``DELETE /environments/{id}``).

        Args:
            environment_id: the ``env_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            gone = await client.environments.delete(env.id)
            print(gone.id)
        """
        return await self._delete(_path(environment_id), _deleted, options)
