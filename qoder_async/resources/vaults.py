"""``client.vaults``: create, list, retrieve, archive, delete; ``credentials`` (see
:mod:`.credentials`).

Vault ids are ``vault_...`` ids. There is no ``update``: the API has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._models._converter import response_parser, structurer
from .._models.platform import DeletedObject
from .._models.vaults import Vault
from .._pagination import AsyncPaginator, page_parser
from .._types import NOT_GIVEN, NotGiven
from ._base import Resource
from ._common import Spec, build_body, build_query, metadata, required, text
from .credentials import VAULT_LIST, AsyncCredentialsAPI
from .credentials import vault_path as _path

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions
    from .._send import Requester

__all__ = ["AsyncCredentialsAPI", "AsyncVaultsAPI"]

_vault = response_parser(Vault)
_vault_page = page_parser(structurer(Vault))
_deleted = response_parser(DeletedObject)
_CREATE: Spec = {"display_name": required(text), "metadata": metadata}


class AsyncVaultsAPI(Resource):
    """Vaults: ``create``, ``list``, ``retrieve``, ``archive``, ``delete``; ``credentials``.

    Reach it as ``client.vaults``. Every method also takes the per-call
    :class:`RequestOptions`.

    Example::

        vault = await client.vaults.create(display_name="ci secrets")
        await client.vaults.credentials.create(vault.id, auth={...})
    """

    __slots__ = ("credentials",)

    credentials: AsyncCredentialsAPI
    """A vault's credentials (see :class:`AsyncCredentialsAPI`)."""

    def __init__(self, requester: Requester) -> None:
        super().__init__(requester)
        self.credentials = AsyncCredentialsAPI(requester)

    async def create(
        self,
        *,
        display_name: str,
        metadata: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Vault:
        """Create a vault (``POST /vaults``).

        Args:
            display_name: its name.
            metadata: up to 16 string keys and values.
            options: per-call :class:`RequestOptions`.

        Example::

            vault = await client.vaults.create(display_name="ci", metadata={"team": "infra"})
        """
        body = build_body(_CREATE, locals())
        return await self._request("POST", "/vaults", _vault, options, body=body)

    def list(
        self,
        *,
        name: str | None = None,
        before_id: str | None = None,
        after_id: str | None = None,
        include_archived: bool | None = None,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Vault]:
        """Every vault, page by page as you iterate (archived ones on request).

        Args:
            name: only vaults with this name.
            before_id: start before this id (first request only).
            after_id: start after this id (first request only).
            include_archived: also list archived vaults.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for vault in client.vaults.list(include_archived=True):
                print(vault.id, vault.display_name, vault.archived_at)
        """
        return self._list("/vaults", _vault_page, build_query(VAULT_LIST, locals()), options)

    async def retrieve(self, vault_id: str, **options: Unpack[RequestOptions]) -> Vault:
        """Fetch a vault (``GET /vaults/{id}``).

        Args:
            vault_id: the ``vault_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            vault = await client.vaults.retrieve(vault.id)
        """
        return await self._request("GET", _path(vault_id), _vault, options)

    async def archive(self, vault_id: str, **options: Unpack[RequestOptions]) -> Vault:
        """Archive a vault (``POST /vaults/{id}/archive``): kept, out of default lists.

        Args:
            vault_id: the ``vault_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            vault = await client.vaults.archive(vault.id)
            assert vault.archived_at is not None
        """
        return await self._action(_path(vault_id, "/archive"), _vault, options)

    async def delete(self, vault_id: str, **options: Unpack[RequestOptions]) -> DeletedObject:
        """Delete a vault and its credentials (``DELETE /vaults/{id}``).

        Args:
            vault_id: the ``vault_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            gone = await client.vaults.delete(vault.id)
        """
        return await self._delete(_path(vault_id), _deleted, options)
