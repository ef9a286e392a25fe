"""``client.sessions.resources``: what is mounted in a session (files, repositories,
memory stores): add a file, list, retrieve, rotate a repository secret, delete.

Resource ids have no documented prefix: any non-empty, URL-safe string is accepted (see
:func:`session_child_path`). File ids are ``file_...`` ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._errors import InvalidParameterError, ParameterTypeError
from .._models._converter import response_parser
from .._models.session_resources import (
    DeletedSessionResource,
    FileResource,
    SessionResource,
    parse_resource,
    structure_resource,
)
from .._pagination import AsyncPaginator, page_parser
from .._types import NOT_GIVEN, NotGiven
from .._validation import check_id, check_optional_str
from ._base import Resource, session_path
from ._listing import list_query
from .threads import session_child_path

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions

__all__ = ["AsyncSessionResourcesAPI"]

_file = response_parser(FileResource)
_deleted = response_parser(DeletedSessionResource)
_resource_page = page_parser(structure_resource)


def _resource_path(session_id: object, resource_id: object) -> str:
    return session_child_path(session_id, "resources", "resource_id", resource_id)


def _text(field: str, value: object, max_chars: int) -> str:
    # The messages name the field and the type or length, never the value: secrets pass here.
    text = check_optional_str(field, value, max_chars)
    if not text:
        raise InvalidParameterError(field, "must not be empty")
    return text


class AsyncSessionResourcesAPI(Resource):
    """Resources mounted in a session: ``add`` (files), ``list``, ``retrieve``, ``update``,
    ``delete``.

    Reach it as ``client.sessions.resources``. Repositories and memory stores are attached
    when the session is created; ``add`` mounts files. Resources come back as
    :class:`FileResource`, :class:`GitHubRepositoryResource`, :class:`GitRepositoryResource`,
    :class:`MemoryStoreResource`, or a plain :class:`SessionResource` for a kind this version
    does not know. Every method also takes the per-call :class:`RequestOptions`.

    Example::

        resource = await client.sessions.resources.add(session.id, file_id="file_01")
        async for r in client.sessions.resources.list(session.id):
            print(r.id, r.type)
    """

    __slots__ = ()

    async def add(
        self,
        session_id: str,
        *,
        file_id: str,
        type: str = "file",
        mount_path: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> FileResource:
        """Mount an uploaded file in the session (``POST /sessions/{id}/resources``).

        Args:
            session_id: the ``sess_...`` id.
            file_id: the ``file_...`` id of the uploaded file.
            type: ``"file"``, the only kind ``add`` takes (repositories and memory stores
                are attached by ``sessions.create``).
            mount_path: where the file appears in the sandbox (the server picks otherwise).
            options: per-call :class:`RequestOptions`.

        Example::

            resource = await client.sessions.resources.add(
                session.id, file_id="file_011CNha8iCJcU1wXNR6q4V8w", mount_path="/data/in.csv"
            )
        """
        path = session_path(session_id, "/resources")
        if not isinstance(type, str):
            raise ParameterTypeError("type", "expected str")
        if type != "file":
            raise InvalidParameterError(
                "type",
                f"add takes only 'file' resources, got {type[:40]!r}; repositories and memory "
                "stores are attached when the session is created",
            )
        body: dict[str, Any] = {"type": "file", "file_id": check_id("file_id", file_id, "file_")}
        if mount_path is not None:
            body["mount_path"] = _text("mount_path", mount_path, 4096)
        return await self._request("POST", path, _file, options, body=body)

    def list(
        self,
        session_id: str,
        *,
        limit: int | None = None,
        page: str | None = None,
        after_id: str | None = None,
        before_id: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[SessionResource]:
        """Every resource of a session, fetched page by page as you iterate.

        Arguments are checked here; nothing is sent until you iterate.

        Args:
            session_id: the ``sess_...`` id.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            after_id: start after this resource id.
            before_id: walk backward from this resource id.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for resource in client.sessions.resources.list(session.id):
                if isinstance(resource, FileResource):
                    print(resource.file_id)
        """
        path = session_path(session_id, "/resources")
        query = list_query(limit, None, page, after_id, before_id)
        return self._list(path, _resource_page, query, options)

    async def retrieve(
        self, resource_id: str, *, session_id: str, **options: Unpack[RequestOptions]
    ) -> SessionResource:
        """Fetch one resource (``GET /sessions/{session_id}/resources/{id}``).

        Args:
            resource_id: the resource's id.
            session_id: the ``sess_...`` id of its session.
            options: per-call :class:`RequestOptions`.

        Example::

            resource = await client.sessions.resources.retrieve(rid, session_id=session.id)
        """
        path = _resource_path(session_id, resource_id)
        return await self._request("GET", path, parse_resource, options)

    async def update(
        self,
        resource_id: str,
        *,
        session_id: str,
        password: str | NotGiven = NOT_GIVEN,
        authorization_token: str | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> SessionResource:
        """Rotate a repository's secret (``POST /sessions/{session_id}/resources/{id}``).

        That is all an update does: ``password`` for a ``git_repository``,
        ``authorization_token`` for a ``github_repository``. Secrets are write-only: they are
        sent, never shown in an error message or kept in the returned object.

        Args:
            resource_id: the resource's id.
            session_id: the ``sess_...`` id of its session.
            password: the new password of a git repository.
            authorization_token: the new token of a GitHub repository.
            options: per-call :class:`RequestOptions`.

        Example::

            await client.sessions.resources.update(
                rid, session_id=session.id, authorization_token=os.environ["GITHUB_TOKEN"]
            )
        """
        path = _resource_path(session_id, resource_id)
        secrets = {"password": password, "authorization_token": authorization_token}
        body = {
            name: _text(name, value, 10_000)
            for name, value in secrets.items()
            if not isinstance(value, NotGiven)
        }
        if not body:
            raise InvalidParameterError(
                "password",
                "pass password (git_repository) or authorization_token "
                "(github_repository): an update only rotates a repository secret",
            )
        return await self._request("POST", path, parse_resource, options, body=body)

    async def delete(
        self, resource_id: str, *, session_id: str, **options: Unpack[RequestOptions]
    ) -> DeletedSessionResource:
        """Unmount a resource (``DELETE /sessions/{session_id}/resources/{id}``).

        Args:
            resource_id: the resource's id.
            session_id: the ``sess_...`` id of its session.
            options: per-call :class:`RequestOptions`.

        Example::

            gone = await client.sessions.resources.delete(rid, session_id=session.id)
            print(gone.id, gone.type)
        """
        return await self._delete(_resource_path(session_id, resource_id), _deleted, options)
