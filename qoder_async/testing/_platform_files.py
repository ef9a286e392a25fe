"""The fake server's files: multipart uploads kept in memory, and downloads in two hops as
the API does them: ``GET /files/{id}/content`` answers ``{"url"}``, a signed URL back on
this server's own loopback address (outside the API root, served without a token) that
gives the bytes."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from ._collection import Collection, Payload, Route
from ._form import FormPart, parse_form
from ._wire import ApiError, bad_request

__all__ = ["STORAGE_PREFIX", "FileRoutes", "form_of"]

#: Where downloads are served: not under the API root, and without the API's token.
STORAGE_PREFIX = "/storage"


async def form_of(request: web.Request) -> tuple[dict[str, str], list[FormPart]]:
    """The request's plain form fields (as text) and its file parts.

    Args:
        request: a ``multipart/form-data`` request.

    Example::

        fields, files = await form_of(request)
    """
    parts = parse_form(await request.read(), request.headers.get("Content-Type", ""))
    fields = {part.name: part.text for part in parts if part.filename is None}
    return fields, [part for part in parts if part.filename is not None]


def json_field(fields: dict[str, str], name: str, kind: type) -> Any:
    """A form field holding JSON text of ``kind`` (``None`` when absent), or a 400.

    Args:
        fields: the form's plain fields.
        name: the field.
        kind: the JSON type it must hold (``dict``, ``int``).

    Example::

        metadata = json_field(fields, "metadata", dict) or {}
    """
    if name not in fields:
        return None
    try:
        value = json.loads(fields[name])
    except ValueError:
        raise bad_request(f"{name} must be JSON.", name) from None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise bad_request(f"{name} has the wrong type.", name)
    return value


class FileRoutes:
    """Files and their storage (mixed into ``FakePlatform``).

    Example::

        content = server.platform.file_contents[file.id]
        server.inject(Fault.truncated(content[:10], declared_length=len(content)),
                      path=f"/storage/files/{file.id}")
    """

    def __init__(self) -> None:
        self.files = Collection("file", "file", archivable=False)
        #: The content of each file, by file id.
        self.file_contents: dict[str, bytes] = {}
        self._signing_key = secrets.token_bytes(16)

    def file_routes(self) -> list[Route]:
        """The routes of ``/files``, relative to the API root.

        Example::

            routes = server.platform.file_routes()
        """
        return [
            ("POST", "/files", self._upload),
            ("GET", "/files", self._file_page),
            ("GET", "/files/{id}", lambda request: self.files.get(request.match_info["id"])),
            ("GET", "/files/{id}/content", self._download_url),
            ("DELETE", "/files/{id}", self._delete_file),
        ]

    def install_storage(self, app: web.Application) -> None:
        """Serve file contents under :data:`STORAGE_PREFIX`, outside the API root.

        Args:
            app: the server's application.

        Example::

            platform.install_storage(app)
        """
        app.router.add_get(STORAGE_PREFIX + "/files/{id}", self._serve)

    async def _upload(self, request: web.Request) -> Payload:
        fields, files = await form_of(request)
        uploads = [part for part in files if part.name == "file"]
        if len(uploads) != 1:
            raise bad_request("Missing required field: file", "file")
        upload = uploads[0]
        expires = json_field(fields, "expires_in_seconds", int)
        metadata = json_field(fields, "metadata", dict) or {}
        if not all(isinstance(value, str) for value in metadata.values()):
            raise bad_request("metadata values must be strings.", "metadata")
        when = None
        if expires is not None:
            when = datetime.now(timezone.utc) + timedelta(seconds=expires)
        file = self.files.add(
            {
                "filename": fields.get("name") or upload.filename,
                "mime_type": upload.content_type or "application/octet-stream",
                "size_bytes": len(upload.data),
                "status": "processed",
                "downloadable": True,
                "expires_at": when and when.isoformat().replace("+00:00", "Z"),
                "metadata": metadata,
                "scope": None,
            }
        )
        self.file_contents[file["id"]] = upload.data
        return file

    def _file_page(self, request: web.Request) -> Payload:
        filters = {
            "name": lambda file: file["filename"],
            "scope_id": lambda file: (file["scope"] or {}).get("id"),
            "ids[]": lambda file: file["id"],
        }
        return self.files.page(request, filters=filters)

    def _signature(self, file_id: str) -> str:
        return hmac.new(self._signing_key, file_id.encode(), hashlib.sha256).hexdigest()

    def _download_url(self, request: web.Request) -> Payload:
        file = self.files.get(request.match_info["id"])
        if not file["downloadable"]:
            raise bad_request(f"File '{file['id']}' is not downloadable.")
        origin = request.url.origin()
        query = f"signature={self._signature(file['id'])}"
        return {"url": f"{origin}{STORAGE_PREFIX}/files/{file['id']}?{query}"}

    def _delete_file(self, request: web.Request) -> Payload:
        gone = self.files.delete(request.match_info["id"])
        self.file_contents.pop(gone["id"], None)
        return gone

    async def _serve(self, request: web.Request) -> web.Response:
        file_id = request.match_info["id"]
        signature = request.query.get("signature", "")
        if not hmac.compare_digest(signature, self._signature(file_id)):
            raise ApiError(403, "permission_error", "The download URL's signature is invalid.")
        content = self.file_contents.get(file_id)
        if content is None:
            raise ApiError(404, "not_found_error", f"File '{file_id}' was not found.")
        mime_type = self.files.get(file_id)["mime_type"]
        return web.Response(body=content, content_type=mime_type.partition(";")[0])
