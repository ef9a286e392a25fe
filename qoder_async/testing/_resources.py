"""The fake server's session resources: add a file, list, retrieve, rotate a repository
secret, delete (a deleted resource is a 404 afterwards), with the documented 400s.

The resources live in the session's ``resources`` array, so a session's resources and its
resource routes agree: those given to ``POST /sessions`` get an id (``sesrsc_...``) and
timestamps the first time a resource route sees them. Secrets are write-only: they are
never stored, so no answer can carry one.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._state import EventsState
from ._wire import ApiError, bad_request, json_object, json_response, new_id, now_rfc3339

__all__ = ["ResourceRoutes"]

#: Resource type -> the one secret an update may rotate.
_SECRET_OF = {"git_repository": "password", "github_repository": "authorization_token"}
_SECRETS = frozenset(_SECRET_OF.values())


class ResourceRoutes(EventsState):
    """``/sessions/{id}/resources`` and ``/sessions/{id}/resources/{resource_id}``."""

    def _resources(self, session_id: str) -> list[dict[str, Any]]:
        session = self._session(session_id)
        resources = session.get("resources")
        if not isinstance(resources, list):
            resources = session["resources"] = []
        for resource in resources:
            if isinstance(resource, dict) and "id" not in resource:
                resource["id"] = new_id("sesrsc")
                resource.setdefault("mount_path", None)
                resource.setdefault("created_at", session["created_at"])
                resource.setdefault("updated_at", session["created_at"])
                for secret in _SECRETS & resource.keys():
                    del resource[secret]
        return resources

    def _requested_resource(self, request: web.Request) -> dict[str, Any]:
        resource_id = request.match_info["resource_id"]
        for resource in self._resources(request.match_info["session_id"]):
            if isinstance(resource, dict) and resource["id"] == resource_id:
                return resource
        raise ApiError(404, "not_found_error", f"Resource '{resource_id}' was not found.")

    async def _add_resource(self, request: web.Request) -> web.Response:
        resources = self._resources(request.match_info["session_id"])

        async def run() -> tuple[int, Any]:
            data = json_object(await request.read())
            if data.get("type") != "file":
                raise bad_request("Only file resources can be added to a session.", "type")
            file_id = data.get("file_id")
            if not isinstance(file_id, str) or not file_id.startswith("file_"):
                raise bad_request("file_id must be a file id.", "file_id")
            mount_path = data.get("mount_path")
            if mount_path is not None and not isinstance(mount_path, str):
                raise bad_request("mount_path must be a string.", "mount_path")
            stamp = now_rfc3339()
            resource = {
                "id": new_id("sesrsc"),
                "type": "file",
                "file_id": file_id,
                "mount_path": mount_path,
                "created_at": stamp,
                "updated_at": stamp,
            }
            resources.append(resource)
            return 200, resource

        return await self._idempotent(request, run)

    async def _list_resources(self, request: web.Request) -> web.Response:
        resources = self._resources(request.match_info["session_id"])
        return self._page([item for item in resources if isinstance(item, dict)], request)

    async def _retrieve_resource(self, request: web.Request) -> web.Response:
        return json_response(self._requested_resource(request))

    async def _update_resource(self, request: web.Request) -> web.Response:
        resource = self._requested_resource(request)

        async def run() -> tuple[int, Any]:
            data = json_object(await request.read())
            allowed = _SECRET_OF.get(resource.get("type", ""))
            for key, value in data.items():
                if key not in _SECRETS:
                    raise bad_request(f"{key} cannot be updated.", key)
                if key != allowed:
                    raise bad_request(f"{key} does not apply to this resource.", key)
                if not isinstance(value, str) or not value:
                    raise bad_request(f"{key} must be a non-empty string.", key)
            resource["updated_at"] = now_rfc3339()
            return 200, resource

        return await self._idempotent(request, run)

    async def _delete_resource(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]

        async def run() -> tuple[int, Any]:
            resource = self._requested_resource(request)
            self._resources(session_id).remove(resource)
            return 200, {"id": resource["id"], "type": "session_resource_deleted"}

        return await self._idempotent(request, run)
