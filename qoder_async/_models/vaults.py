"""Vaults and their credentials: secrets (MCP OAuth tokens, bearer tokens, environment
variables) that sessions use without ever seeing them.

The API never returns a secret: a :class:`Credential`'s ``auth`` carries only what
identifies it. Should a server send one anyway, it lands in an ``extra`` mapping, which no
repr shows; a validation's probed HTTP ``body`` (which may hold a fresh token) is not shown
either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field
from .environments import Networking
from .platform import PlatformObject, request_id_field

__all__ = [
    "Credential",
    "CredentialAuth",
    "CredentialRefresh",
    "CredentialValidation",
    "InjectionLocation",
    "TokenEndpointAuth",
    "ValidationHttpResponse",
    "ValidationStep",
    "Vault",
]


@attrs.frozen
class Vault(PlatformObject):
    """A vault (``vaults.create``, ``retrieve``, ``list``, ``archive``): a named set of
    credentials that deployments and sessions are given by id.

    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        vault = await client.vaults.create(display_name="ci secrets")
        print(vault.id, vault.display_name, vault.archived_at)
    """

    display_name: str | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    archived_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen
class TokenEndpointAuth:
    """How an OAuth refresh authenticates to the token endpoint: ``type`` ``none``,
    ``client_secret_basic`` or ``client_secret_post`` (the secret itself is never sent back).

    Example::

        print(credential.auth.refresh.token_endpoint_auth.type)
    """

    type: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class CredentialRefresh:
    """An MCP OAuth credential's refresh settings (the refresh token is never sent back).

    Example::

        refresh = credential.auth.refresh
        print(refresh.client_id, refresh.token_endpoint, refresh.scope)
    """

    client_id: str | None = None
    token_endpoint: str | None = None
    token_endpoint_auth: TokenEndpointAuth | None = None
    resource: str | None = None
    scope: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class InjectionLocation:
    """Where an environment-variable credential may be injected: request ``body``, ``header``.

    Example::

        print(credential.auth.injection_location.header)
    """

    body: bool | None = None
    header: bool | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class CredentialAuth:
    """What identifies a credential, without its secret: an open ``type`` (``mcp_oauth``,
    ``static_bearer``, ``environment_variable``) and the fields of that type.

    Example::

        auth = credential.auth
        print(auth.type, auth.mcp_server_url or auth.secret_name)
    """

    type: str | None = None
    mcp_server_url: str | None = None
    expires_at: datetime | None = None
    refresh: CredentialRefresh | None = None
    secret_name: str | None = None
    networking: Networking | None = None
    injection_location: InjectionLocation | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Credential(PlatformObject):
    """A credential in a vault (``vaults.credentials.create``, ``retrieve``, ...).

    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        credential = await client.vaults.credentials.create(
            vault.id, auth={"type": "static_bearer", "token": token, "mcp_server_url": url}
        )
        print(credential.id, credential.auth.type)  # the token is not in the answer
    """

    vault_id: str | None = None
    display_name: str | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    auth: CredentialAuth | None = None
    archived_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen
class ValidationHttpResponse:
    """One HTTP exchange of a validation: status, content type and the (truncated) body,
    which may hold a token and is therefore left out of the repr.

    Example::

        response = validation.mcp_probe.http_response
        print(response.status_code, response.body_truncated)
    """

    status_code: int | None = None
    content_type: str | None = None
    body: str | None = attrs.field(default=None, repr=False)
    body_truncated: bool | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class ValidationStep:
    """A step of a validation: the MCP probe (its ``method``) or the token refresh (its
    ``status``), with the HTTP exchange it made.

    Example::

        print(validation.mcp_probe.method, validation.refresh.status)
    """

    method: str | None = None
    status: str | None = None
    http_response: ValidationHttpResponse | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class CredentialValidation:
    """What ``vaults.credentials.mcp_oauth_validate`` found: an open ``status``, whether a
    refresh token is stored, and the probe and refresh it tried.

    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        result = await client.vaults.credentials.mcp_oauth_validate(cred.id, vault_id=vault.id)
        print(result.status, result.has_refresh_token, result.mcp_probe.http_response)
    """

    type: str | None = None
    credential_id: str | None = None
    vault_id: str | None = None
    status: str | None = None
    has_refresh_token: bool | None = None
    validated_at: datetime | None = None
    mcp_probe: ValidationStep | None = None
    refresh: ValidationStep | None = None
    extra: Mapping[str, Any] = extra_field()
    request_id: str | None = request_id_field()


for _cls in (
    Vault,
    TokenEndpointAuth,
    CredentialRefresh,
    InjectionLocation,
    CredentialAuth,
    Credential,
    ValidationHttpResponse,
    ValidationStep,
    CredentialValidation,
):
    attrs.resolve_types(_cls)
