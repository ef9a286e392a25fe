"""What is mounted in a session's sandbox: files, repositories, memory stores.

A resource is one of several kinds, told apart by ``type``; :func:`parse_resource` picks
the class from :data:`RESOURCE_TYPES`, and a kind this version does not know becomes a
plain :class:`SessionResource` with its fields in ``extra``, so a new kind never breaks a
client. Repository secrets (``password``, ``authorization_token``) are write-only: a
response that carries one anyway has it dropped before the object is built, so no object,
repr or :func:`to_dict` ever holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import Acknowledgement, extra_field
from ._converter import dispatch_on_wire, model_parser

__all__ = [
    "RESOURCE_TYPES",
    "SECRET_FIELDS",
    "DeletedSessionResource",
    "FileResource",
    "GitHubRepositoryResource",
    "GitRepositoryResource",
    "MemoryStoreResource",
    "RepositoryCheckout",
    "SessionResource",
    "parse_resource",
    "structure_resource",
]

#: Write-only fields: sent by ``sessions.resources.update``, never kept from a response.
SECRET_FIELDS = frozenset({"password", "authorization_token"})


@attrs.frozen
class SessionResource:
    """A resource mounted in a session; the base of every kind, and the class of the kinds
    this version does not know (their fields are in ``extra``).

    Every field may be missing (``None``). ``request_id`` is the ``x-request-id`` of the
    response it came from (not part of equality or repr).

    Example::

        async for resource in client.sessions.resources.list(session.id):
            print(resource.id, resource.type, resource.mount_path)
    """

    id: str | None = None
    type: str | None = None
    mount_path: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, Any] = extra_field()
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class FileResource(SessionResource):
    """An uploaded file (``type == "file"``), what ``sessions.resources.add`` mounts.

    Example::

        resource = await client.sessions.resources.add(session.id, file_id="file_01")
        print(resource.file_id, resource.mount_path)
    """

    type: str | None = "file"
    file_id: str | None = None


@attrs.frozen
class RepositoryCheckout:
    """What a repository resource checks out: ``{type: "branch", name}`` or
    ``{type: "commit", sha}``.

    Example::

        if resource.checkout and resource.checkout.type == "branch": print(resource.checkout.name)
    """

    type: str | None = None
    name: str | None = None
    sha: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class _Repository(SessionResource):
    """A cloned repository: its ``url`` and what is checked out (its secret is write-only)."""

    url: str | None = None
    checkout: RepositoryCheckout | None = None


@attrs.frozen
class GitHubRepositoryResource(_Repository):
    """A GitHub repository (``type == "github_repository"``); rotate its
    ``authorization_token`` with ``sessions.resources.update``.

    Example::

        if isinstance(resource, GitHubRepositoryResource): print(resource.url)
    """

    type: str | None = "github_repository"


@attrs.frozen
class GitRepositoryResource(_Repository):
    """Any git repository (``type == "git_repository"``); rotate its ``password`` with
    ``sessions.resources.update``.

    Example::

        if isinstance(resource, GitRepositoryResource): print(resource.url, resource.checkout)
    """

    type: str | None = "git_repository"


@attrs.frozen
class MemoryStoreResource(SessionResource):
    """A memory store the agent reads (and, with ``access == "read_write"``, writes).

    Example::

        if isinstance(resource, MemoryStoreResource):
            print(resource.memory_store_id, resource.access)
    """

    type: str | None = "memory_store"
    memory_store_id: str | None = None
    access: str | None = None
    instructions: str | None = None
    name: str | None = None
    description: str | None = None


@attrs.frozen
class DeletedSessionResource(Acknowledgement):
    """What ``sessions.resources.delete`` answers: the resource's ``id`` and a ``type``.

    Example::

        gone = await client.sessions.resources.delete(resource.id, session_id=session.id)
        print(gone.id)
    """


for _cls in (
    SessionResource,
    FileResource,
    RepositoryCheckout,
    _Repository,
    GitHubRepositoryResource,
    GitRepositoryResource,
    MemoryStoreResource,
    DeletedSessionResource,
):
    attrs.resolve_types(_cls)

#: Wire ``type`` -> class; any other type is a plain :class:`SessionResource`.
RESOURCE_TYPES: dict[str, type[SessionResource]] = {
    "file": FileResource,
    "github_repository": GitHubRepositoryResource,
    "git_repository": GitRepositoryResource,
    "memory_store": MemoryStoreResource,
}
_PARSERS = {kind: model_parser(cls) for kind, cls in RESOURCE_TYPES.items()}
_UNKNOWN_KIND = model_parser(SessionResource)


def parse_resource(data: Any, request_id: str | None) -> SessionResource:
    """The resource a response body describes, as the class its ``type`` names.

    Args:
        data: the decoded JSON object.
        request_id: the response's ``x-request-id`` (``None`` when not from a response).

    Example::

        resource = parse_resource({"id": "sesrsc_1", "type": "file", "file_id": "file_1"}, None)
        assert isinstance(resource, FileResource)
    """
    if type(data) is not dict:
        raise TypeError(f"expected a JSON object for a resource, got {type(data).__name__}")
    if not SECRET_FIELDS.isdisjoint(data):
        data = {key: value for key, value in data.items() if key not in SECRET_FIELDS}
    kind = data.get("type")
    parse = _PARSERS.get(kind, _UNKNOWN_KIND) if type(kind) is str else _UNKNOWN_KIND
    return parse(data, request_id)


def structure_resource(data: Any) -> SessionResource:
    """:func:`parse_resource` without a request id: the item parser of resource pages.

    Args:
        data: the decoded JSON object.

    Example::

        page = page_parser(structure_resource)(body, request_id)
    """
    return parse_resource(data, None)


# ``Session.resources`` and ``Deployment.resources`` hold the kind each entry names.
dispatch_on_wire(SessionResource, structure_resource)
