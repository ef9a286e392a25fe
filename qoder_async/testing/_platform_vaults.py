"""The fake server's vaults and credentials. A credential's secrets are kept apart and
never served back; an update keeps the ``auth`` type and refuses to change what the API
does not let change; ``mcp_oauth_validate`` reports a probe and a refresh.

Ids: ``vault_`` and ``vcred_`` as the API documents them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from aiohttp import web

from ._collection import Collection, Payload, Route, body_of, child, crud_routes, fields_of, need
from ._wire import bad_request, now_rfc3339

__all__ = ["VaultRoutes"]

#: The ``auth`` keys whose values are secrets (the API never returns them).
SECRET_KEYS = frozenset({"token", "access_token", "refresh_token", "client_secret", "secret_value"})
_AUTH_TYPES = ("mcp_oauth", "static_bearer", "environment_variable")
#: What an update may not change, as paths into ``auth``.
_FIXED: tuple[tuple[str, ...], ...] = (
    ("mcp_server_url",),
    ("secret_name",),
    ("refresh", "client_id"),
    ("refresh", "token_endpoint"),
    ("refresh", "resource"),
)
_VAULT_FIELDS: dict[str, Any] = {"display_name": None, "metadata": {}}


def _split(auth: Any) -> tuple[Any, Any]:
    """``auth`` without its secrets, and the secrets alone (same nesting)."""
    if not isinstance(auth, dict):
        return auth, None
    public: dict[str, Any] = {}
    hidden: dict[str, Any] = {}
    for key, value in auth.items():
        if key in SECRET_KEYS:
            hidden[key] = value
            continue
        public[key], inner = _split(value)
        if inner:
            hidden[key] = inner
    return public, hidden


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _at(auth: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        auth = auth.get(key) if isinstance(auth, dict) else None  # type: ignore[assignment]
    return auth


def _http(status: int, body: Any) -> Payload:
    return {
        "status_code": status,
        "content_type": "application/json",
        "body": json.dumps(body),
        "body_truncated": False,
    }


class VaultRoutes:
    """Vaults and their credentials (mixed into ``FakePlatform``).

    Example::

        secrets = server.platform.credential_secrets[credential.id]  # what was sent
    """

    def __init__(self) -> None:
        self.vaults = Collection("vault", "vault")
        self.credentials = Collection("vault_credential", "vcred")
        #: The secrets each credential was given, by credential id (never served back).
        self.credential_secrets: dict[str, dict[str, Any]] = {}

    def vault_routes(self) -> list[Route]:
        """The routes of ``/vaults`` and everything under it, relative to the API root.

        Example::

            routes = server.platform.vault_routes()
        """
        base = "/vaults/{id}/credentials"
        name = {"name": lambda item: item["display_name"]}
        vaults = crud_routes(
            "/vaults", self.vaults, self._create_vault, delete=self._delete_vault, filters=name
        )
        return [
            *vaults,
            ("POST", base, self._create_credential),
            ("GET", base, self._credential_page),
            ("GET", base + "/{item}", self._credential),
            ("POST", base + "/{item}", self._update_credential),
            ("DELETE", base + "/{item}", self._delete_credential),
            ("POST", base + "/{item}/archive", self._archive_credential),
            ("POST", base + "/{item}/mcp_oauth_validate", self._validate),
        ]

    async def _create_vault(self, request: web.Request) -> Payload:
        data = await body_of(request)
        need(data, "display_name")
        return self.vaults.add(fields_of(data, _VAULT_FIELDS))

    def _delete_vault(self, request: web.Request) -> Payload:
        vault_id = request.match_info["id"]
        for credential in self._vault_credentials(request):
            del self.credentials.items[credential["id"]]
            self.credential_secrets.pop(credential["id"], None)
        return self.vaults.delete(vault_id)

    def _vault_credentials(self, request: web.Request) -> list[Payload]:
        vault = self.vaults.get(request.match_info["id"])
        return [c for c in self.credentials.items.values() if c["vault_id"] == vault["id"]]

    def _credential_page(self, request: web.Request) -> Payload:
        name = {"name": lambda item: item["display_name"]}
        return self.credentials.page(request, self._vault_credentials(request), name)

    def _credential(self, request: web.Request) -> Payload:
        self.vaults.get(request.match_info["id"])
        return child(self.credentials, request, "item", "vault_id")

    async def _create_credential(self, request: web.Request) -> Payload:
        vault = self.vaults.get(request.match_info["id"])
        data = await body_of(request)
        auth = need(data, "auth", dict)
        if auth.get("type") not in _AUTH_TYPES:
            raise bad_request(f"auth.type must be one of {', '.join(_AUTH_TYPES)}.", "auth.type")
        public, hidden = _split(auth)
        credential = self.credentials.add(
            {
                "vault_id": vault["id"],
                "display_name": data.get("display_name"),
                "metadata": data.get("metadata") or {},
                "auth": public,
            }
        )
        self.credential_secrets[credential["id"]] = hidden or {}
        return credential

    async def _update_credential(self, request: web.Request) -> Payload:
        credential = self._credential(request)
        data = await body_of(request)
        auth = data.get("auth")
        if auth is not None:
            if not isinstance(auth, dict) or auth.get("type") != credential["auth"]["type"]:
                raise bad_request("auth.type cannot be changed.", "auth.type")
            public, hidden = _split(auth)
            for path in _FIXED:
                given = _at(public, path)
                if given is not None and given != _at(credential["auth"], path):
                    raise bad_request(f"auth.{'.'.join(path)} cannot be changed.", "auth")
            credential["auth"] = _merge(credential["auth"], public)
            secrets = self.credential_secrets[credential["id"]]
            self.credential_secrets[credential["id"]] = _merge(secrets, hidden or {})
        if "metadata" in data and data["metadata"] is None:
            credential["metadata"] = {}  # null clears; a null value removes one key
        fields = ("metadata",) if isinstance(data.get("metadata"), dict) else ()
        return self.credentials.patch(credential, data, fields)

    def _archive_credential(self, request: web.Request) -> Payload:
        return self.credentials.archive(self._credential(request))

    def _delete_credential(self, request: web.Request) -> Payload:
        credential = self._credential(request)
        self.credential_secrets.pop(credential["id"], None)
        return self.credentials.delete(credential["id"])

    def _validate(self, request: web.Request) -> Payload:
        credential = self._credential(request)
        if credential["auth"]["type"] != "mcp_oauth":
            raise bad_request("Only mcp_oauth credentials can be validated.", "auth.type")
        secrets = self.credential_secrets[credential["id"]]
        refreshable = bool(_at(secrets, ("refresh", "refresh_token")))
        refreshed = {"access_token": "fake-refreshed-access-token", "token_type": "Bearer"}
        return {
            "type": "credential_validation",
            "credential_id": credential["id"],
            "vault_id": credential["vault_id"],
            "status": "valid",
            "has_refresh_token": refreshable,
            "validated_at": now_rfc3339(),
            "mcp_probe": {"method": "initialize", "http_response": _http(200, {"ok": True})},
            "refresh": {
                "status": "refreshed" if refreshable else "skipped",
                "http_response": _http(200, refreshed) if refreshable else None,
            },
        }
