"""``client.vaults.credentials``: create, list, retrieve, update, archive, delete,
mcp_oauth_validate.

Vault ids are ``vault_...`` ids, credential ids ``vcred_...`` ids. A credential's ``auth``
carries its secret (``token``, ``access_token``, ``refresh_token``, ``client_secret``,
``secret_value``): it goes into the request body and nowhere else. The send path takes the
secrets a call sends out of every response body before an error, a hook or a raw response
is built from it (a server may echo a request in its error), no repr shows a body, and the
checks here never quote a value of ``auth``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._errors import InvalidParameterError, ParameterTypeError
from .._models._converter import response_parser, structurer
from .._models.platform import DeletedObject
from .._models.vaults import Credential, CredentialValidation
from .._pagination import AsyncPaginator, page_parser
from .._responses import Parser
from .._types import NOT_GIVEN, NotGiven
from ._base import Resource
from ._common import (
    CURSORS,
    Spec,
    boolean,
    build_body,
    build_query,
    item_path,
    metadata,
    metadata_patch,
    required,
    text,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions

__all__ = ["SECRET_KEYS", "AsyncCredentialsAPI", "vault_path"]

T = TypeVar("T")

#: The ``auth`` keys (at any depth) whose values are secrets.
SECRET_KEYS = frozenset({"token", "access_token", "refresh_token", "client_secret", "secret_value"})

_credential = response_parser(Credential)
_credential_page = page_parser(structurer(Credential))
_validation = response_parser(CredentialValidation)
_deleted = response_parser(DeletedObject)
#: ``vaults.list`` and ``credentials.list`` take the same query.
VAULT_LIST: Spec = {"name": text, "include_archived": boolean, **CURSORS}


def _auth(field: str, value: Any) -> dict[str, Any] | None:
    """A credential's ``auth``: a JSON object with a ``type``. No message quotes a value."""
    if value is None:
        return None  # sent as null (create refuses it first)
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise ParameterTypeError(field, f"expected a mapping, got {type(value).__name__}")
    kind = value.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidParameterError(
            f"{field}.type", "required: 'mcp_oauth', 'static_bearer' or 'environment_variable'"
        )
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidParameterError(
            field, f"not JSON-serialisable ({type(exc).__name__})"
        ) from None
    return dict(value)


_CREATE: Spec = {"auth": required(_auth), "display_name": text, "metadata": metadata}
_UPDATE: Spec = {"auth": _auth, "metadata": metadata_patch}


def _secrets(value: Any) -> Iterator[str]:
    """The string values under :data:`SECRET_KEYS` anywhere in ``value``."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in SECRET_KEYS and isinstance(item, str):
                yield item
            else:
                yield from _secrets(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _secrets(item)


def vault_path(vault_id: object, rest: str = "") -> str:
    """``/vaults/{vault_id}{rest}``, the id checked and quoted.

    Args:
        vault_id: the ``vault_...`` id.
        rest: what follows it in the path.

    Example::

        vault_path("vault_1", "/archive")  # '/vaults/vault_1/archive'
    """
    return item_path("vaults", "vault_id", vault_id, "vault_", rest)


def _path(vault_id: object, credential_id: object = None, rest: str = "") -> str:
    if credential_id is None:
        return vault_path(vault_id, "/credentials")
    return vault_path(vault_id, "") + item_path(
        "credentials", "credential_id", credential_id, "vcred_", rest
    )


class AsyncCredentialsAPI(Resource):
    """A vault's credentials: ``create``, ``list``, ``retrieve``, ``update``, ``archive``,
    ``delete``, ``mcp_oauth_validate``.

    Reach it as ``client.vaults.credentials``. Secrets go into request bodies only: see the
    module's notes. Every method also takes the per-call :class:`RequestOptions`.

    Example::

        cred = await client.vaults.credentials.create(
            vault.id,
            auth={"type": "static_bearer", "token": token, "mcp_server_url": url},
            display_name="linear",
        )
    """

    __slots__ = ()

    async def create(
        self,
        vault_id: str,
        *,
        auth: Mapping[str, Any],
        display_name: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Credential:
        """Store a credential in a vault (``POST /vaults/{id}/credentials``).

        Args:
            vault_id: the ``vault_...`` id.
            auth: ``{"type": "mcp_oauth" | "static_bearer" | "environment_variable", ...}``
                with its secret (``access_token``, ``token``, ``secret_value``...).
            display_name: a name to show.
            metadata: up to 16 string keys and values.
            options: per-call :class:`RequestOptions`.

        Example::

            cred = await client.vaults.credentials.create(
                vault.id, auth={"type": "environment_variable", "secret_name": "API_KEY",
                                "secret_value": key}
            )
        """
        body = build_body(_CREATE, locals())
        return await self._send("POST", _path(vault_id), _credential, options, body)

    def list(
        self,
        vault_id: str,
        *,
        name: str | None = None,
        before_id: str | None = None,
        after_id: str | None = None,
        include_archived: bool | None = None,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Credential]:
        """A vault's credentials, page by page as you iterate (archived ones on request).

        Args:
            vault_id: the ``vault_...`` id.
            name: only credentials with this name.
            before_id: start before this id (first request only).
            after_id: start after this id (first request only).
            include_archived: also list archived credentials.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for cred in client.vaults.credentials.list(vault.id):
                print(cred.id, cred.auth.type)
        """
        query = build_query(VAULT_LIST, locals())
        return self._list(_path(vault_id), _credential_page, query, options)

    async def retrieve(
        self, credential_id: str, *, vault_id: str, **options: Unpack[RequestOptions]
    ) -> Credential:
        """Fetch a credential, without its secret (``GET /vaults/{vault_id}/credentials/{id}``).

        Args:
            credential_id: the ``vcred_...`` id.
            vault_id: its vault's ``vault_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            cred = await client.vaults.credentials.retrieve(cred.id, vault_id=vault.id)
        """
        return await self._send("GET", _path(vault_id, credential_id), _credential, options)

    async def update(
        self,
        credential_id: str,
        *,
        vault_id: str,
        auth: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Credential:
        """Change a credential (``POST /vaults/{vault_id}/credentials/{id}``): rotate its
        secret, or its metadata; only what you pass is sent.

        Args:
            credential_id: the ``vcred_...`` id.
            vault_id: its vault's ``vault_...`` id.
            auth: ``{"type": <its type>, ...}`` with the fields to change.
            metadata: keys to set; a key set to ``None`` is removed, ``None`` clears it.
            options: per-call :class:`RequestOptions`.

        Example::

            await client.vaults.credentials.update(
                cred.id, vault_id=vault.id, auth={"type": "static_bearer", "token": new_token}
            )
        """
        body = build_body(_UPDATE, locals())
        return await self._send("POST", _path(vault_id, credential_id), _credential, options, body)

    async def archive(
        self, credential_id: str, *, vault_id: str, **options: Unpack[RequestOptions]
    ) -> Credential:
        """Archive a credential (``POST .../credentials/{id}/archive``): sessions stop using it.

        Args:
            credential_id: the ``vcred_...`` id.
            vault_id: its vault's ``vault_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            cred = await client.vaults.credentials.archive(cred.id, vault_id=vault.id)
        """
        path = _path(vault_id, credential_id, "/archive")
        return await self._send("POST", path, _credential, options, {})

    async def delete(
        self, credential_id: str, *, vault_id: str, **options: Unpack[RequestOptions]
    ) -> DeletedObject:
        """Delete a credential (``DELETE /vaults/{vault_id}/credentials/{id}``).

        Args:
            credential_id: the ``vcred_...`` id.
            vault_id: its vault's ``vault_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            await client.vaults.credentials.delete(cred.id, vault_id=vault.id)
        """
        path = _path(vault_id, credential_id)
        return await self._send("DELETE", path, _deleted, options, {})

    async def mcp_oauth_validate(
        self, credential_id: str, *, vault_id: str, **options: Unpack[RequestOptions]
    ) -> CredentialValidation:
        """Check an ``mcp_oauth`` credential against its MCP server (and refresh it if it
        can): ``POST .../credentials/{id}/mcp_oauth_validate``.

        Args:
            credential_id: the ``vcred_...`` id.
            vault_id: its vault's ``vault_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            check = await client.vaults.credentials.mcp_oauth_validate(cred.id, vault_id=vault.id)
            print(check.status, check.has_refresh_token)
        """
        path = _path(vault_id, credential_id, "/mcp_oauth_validate")
        return await self._send("POST", path, _validation, options, {})

    async def _send(
        self,
        method: str,
        path: str,
        parse: Parser[T],
        options: Mapping[str, Any],
        body: dict[str, Any] | None = None,
    ) -> T:
        # Every credential call cleans its responses of the secrets it sends, extra_body's
        # included: the caller's own fields may carry one too.
        secrets = tuple(_secrets([body, options.get("extra_body")]))
        return await self._request(method, path, parse, options, body=body, secrets=secrets)
