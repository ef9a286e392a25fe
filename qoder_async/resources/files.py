"""``client.files``: upload, list, retrieve_metadata, download, delete.

File ids are ``file_...`` ids. An upload streams its file from disk as a multipart form
(:mod:`.._multipart`), read again from its first byte by each retry. A download answers a
:class:`BinaryResponse`: the API gives a URL, from which the content is fetched in a second
request carrying none of the API's headers (no ``Authorization``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._binary import BinaryResponse, url_download
from .._models._converter import response_parser, structurer
from .._models.files import FileMetadata
from .._models.platform import DeletedObject
from .._multipart import FileInput, field_parts, file_part, form_body
from .._pagination import AsyncPaginator, page_parser
from .._validation import check_int_range
from ._base import Resource
from ._common import CURSORS, Spec, build_query, ids_of, item_path, metadata, text

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions

__all__ = ["AsyncFilesAPI"]

_file = response_parser(FileMetadata)
_file_page = page_parser(structurer(FileMetadata))
_deleted = response_parser(DeletedObject)
_LIST: Spec = {"name": text, "scope_id": text, "i_ds": ids_of("file_"), **CURSORS}
# The form fields around the file part, in the official SDK's order.
_BEFORE_FILE: Spec = {"name": text, "metadata": metadata}
_AFTER_FILE: Spec = {"expires_in_seconds": lambda f, v: check_int_range(f, v, 1, 2**31 - 1)}


def _path(file_id: object, rest: str = "") -> str:
    return item_path("files", "file_id", file_id, "file_", rest)


def _download_url(data: Any, request_id: str | None) -> str:
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str):
        raise TypeError("expected a JSON object with a url string")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        # Nothing but an absolute http(s) URL without credentials is ever requested.
        raise ValueError("the download url is not an absolute http(s) URL without credentials")
    return url


class AsyncFilesAPI(Resource):
    """Files: ``upload``, ``list``, ``retrieve_metadata``, ``download``, ``delete``.

    Reach it as ``client.files``. Every method also takes the per-call
    :class:`RequestOptions`.

    Example::

        file = await client.files.upload(file="report.pdf", metadata={"team": "a"})
        await (await client.files.download(file.id)).write_to("copy.pdf")
    """

    __slots__ = ()

    async def upload(
        self,
        *,
        file: FileInput,
        name: str | None = None,
        metadata: Mapping[str, str] | None = None,
        expires_in_seconds: int | None = None,
        content_type: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> FileMetadata:
        """Upload a file (``POST /files``, ``multipart/form-data``), streamed from disk.

        The file is read in chunks in a worker thread, never held in memory (bytes you pass
        are sent as they are; a file object from its current position); a retry sends it
        again from its first byte with the same ``Idempotency-Key``. A file that changes
        size meanwhile raises :class:`FileChangedError`. The per-call ``timeout`` (the
        client's, 60 s by default) bounds each attempt, upload included: give a longer one
        for big files.

        Args:
            file: a path, bytes, a seekable binary file object, or ``(filename, content)`` /
                ``(filename, content, content_type)``.
            name: the ``name`` form field; also the filename when ``file`` names none.
            metadata: up to 16 string keys and values.
            expires_in_seconds: delete the file after this many seconds.
            content_type: the file's ``Content-Type``; guessed from the filename otherwise.
            options: per-call :class:`RequestOptions` (``extra_body`` adds form fields).

        Example::

            file = await client.files.upload(file=("notes.txt", b"hi"), expires_in_seconds=3600)
        """
        head = field_parts(_BEFORE_FILE, locals())
        tail = field_parts(_AFTER_FILE, locals())
        default = name if isinstance(name, str) and name else "upload"
        part = await file_part(
            "file", file, "file", content_type=content_type, default_name=default
        )
        body, rest = form_body([*head, part, *tail], options)
        return await self._request("POST", "/files", _file, rest, body=body)

    def list(
        self,
        *,
        name: str | None = None,
        scope_id: str | None = None,
        i_ds: list[str] | None = None,
        before_id: str | None = None,
        after_id: str | None = None,
        page: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[FileMetadata]:
        """Every file, page by page as you iterate (``GET /files``).

        Args:
            name: only files with this name.
            scope_id: only files of this scope (a session id).
            i_ds: only these ``file_...`` ids (sent as ``ids[]``; the official SDK's name).
            before_id: start before this id (first request only).
            after_id: start after this id (first request only).
            page: an opaque page cursor to start from.
            limit: page size (1-100).
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for file in client.files.list(i_ds=[a.id, b.id]):
                print(file.filename, file.size_bytes)
        """
        query = build_query(_LIST, locals())
        if "i_ds" in query:
            query["ids[]"] = query.pop("i_ds")
        return self._list("/files", _file_page, query, options)

    async def retrieve_metadata(
        self, file_id: str, **options: Unpack[RequestOptions]
    ) -> FileMetadata:
        """A file's metadata (``GET /files/{id}``); its content is :meth:`download`'s.

        Args:
            file_id: the ``file_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            file = await client.files.retrieve_metadata(file.id)
            print(file.status, file.downloadable)
        """
        return await self._request("GET", _path(file_id), _file, options)

    async def download(self, file_id: str, **options: Unpack[RequestOptions]) -> BinaryResponse:
        """A file's content (``GET /files/{id}/content``, then the URL it answers).

        This call fetches the URL; the content is requested when you read the returned
        :class:`BinaryResponse` (``await content.write_to(path)``, ``await content.read()``),
        with none of the API's headers and only the ``timeout`` and ``max_retries`` of
        ``options``. A body cut short is fetched again; it is never returned as complete.

        Args:
            file_id: the ``file_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            content = await client.files.download(file.id)
            size = await content.write_to("report.pdf")
        """
        url = await self._request("GET", _path(file_id, "/content"), _download_url, options)
        return url_download(self._requester.without_api_headers(), url, options)

    async def delete(self, file_id: str, **options: Unpack[RequestOptions]) -> DeletedObject:
        """Delete a file (``DELETE /files/{id}``).

        Args:
            file_id: the ``file_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            gone = await client.files.delete(file.id)
            print(gone.id, gone.type)
        """
        return await self._delete(_path(file_id), _deleted, options)
