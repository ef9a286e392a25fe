"""``client.skills``: create, list, retrieve, delete; ``versions``: create, list, retrieve,
delete, download.

Skill ids are ``skill_...`` ids; a version is named by its ``version`` string (any
non-empty, URL-safe string: the API documents no prefix). A skill's files are uploaded as
a multipart form, one part named ``files`` per file, streamed from disk like
``files.upload``. The directory layout travels in each part's filename: pass
``("example/SKILL.md", content)`` pairs (a bare path keeps only its basename).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._binary import BinaryResponse, api_download
from .._errors import InvalidParameterError, ParameterTypeError
from .._models._converter import response_parser, structurer
from .._models.platform import DeletedObject
from .._models.skills import Skill, SkillVersion
from .._multipart import FileInput, Part, field_parts, file_part, form_body
from .._pagination import AsyncPaginator, page_parser
from ._base import Resource
from ._common import CURSORS, PAGED, Spec, build_query, item_path, metadata, segment, text

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions
    from .._send import Requester

__all__ = ["AsyncSkillVersionsAPI", "AsyncSkillsAPI"]

_skill = response_parser(Skill)
_skill_page = page_parser(structurer(Skill))
_version = response_parser(SkillVersion)
_version_page = page_parser(structurer(SkillVersion))
_deleted = response_parser(DeletedObject)
_FIELDS: Spec = {"display_title": text, "metadata": metadata}
_LIST: Spec = {"display_title": text, "name": text, "source": text, **CURSORS}


def _path(skill_id: object, rest: str = "") -> str:
    return item_path("skills", "skill_id", skill_id, "skill_", rest)


def _version_path(skill_id: object, version: object, rest: str = "") -> str:
    return _path(skill_id, f"/versions/{segment('version', version)}{rest}")


def _title(display_title: str | None, display_name: str | None) -> str | None:
    """``display_title``, which the official SDK names ``display_name``: either, not both."""
    if display_name is None:
        return display_title
    if display_title is not None:
        raise InvalidParameterError("display_name", "give display_title or display_name, not both")
    return display_name


async def _file_parts(files: object) -> list[Part]:
    if isinstance(files, (str, bytes, tuple, os.PathLike)) or not isinstance(files, Sequence):
        raise ParameterTypeError(
            "files", "expected a list of files (paths, bytes, file objects, (name, content))"
        )
    if not files:
        raise InvalidParameterError("files", "at least one file is required")
    return [await file_part(f"files[{i}]", file, "files") for i, file in enumerate(files)]


class AsyncSkillVersionsAPI(Resource):
    """A skill's versions: ``create``, ``list``, ``retrieve``, ``delete``, ``download``.

    Reach it as ``client.skills.versions``.

    Example::

        version = await client.skills.versions.create(skill.id, files=[("s/SKILL.md", text)])
        data = await (await client.skills.versions.download(version.version,
                                                            skill_id=skill.id)).read()
    """

    __slots__ = ()

    async def create(
        self,
        skill_id: str,
        *,
        files: Sequence[FileInput],
        **options: Unpack[RequestOptions],
    ) -> SkillVersion:
        """Upload a new version of a skill (``POST /skills/{id}/versions``, multipart).

        Args:
            skill_id: the ``skill_...`` id.
            files: the version's files: paths, bytes, file objects or ``(name, content)``
                pairs, each sent as a part named ``files``.
            options: per-call :class:`RequestOptions` (``extra_body`` adds form fields).

        Example::

            version = await client.skills.versions.create(
                skill.id, files=[("review/SKILL.md", skill_md), ("review/checks.py", code)]
            )
        """
        path = _path(skill_id, "/versions")
        body, rest = form_body(await _file_parts(files), options)
        return await self._request("POST", path, _version, rest, body=body)

    def list(
        self,
        skill_id: str,
        *,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[SkillVersion]:
        """A skill's versions, page by page as you iterate (``GET /skills/{id}/versions``).

        Args:
            skill_id: the ``skill_...`` id.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            versions = [v.version async for v in client.skills.versions.list(skill.id)]
        """
        query = build_query(PAGED, locals())
        return self._list(_path(skill_id, "/versions"), _version_page, query, options)

    async def retrieve(
        self, version: str, *, skill_id: str, **options: Unpack[RequestOptions]
    ) -> SkillVersion:
        """Fetch one version (``GET /skills/{skill_id}/versions/{version}``).

        Args:
            version: the version string (``skill.latest_version``).
            skill_id: the ``skill_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            latest = await client.skills.versions.retrieve(skill.latest_version, skill_id=skill.id)
        """
        return await self._request("GET", _version_path(skill_id, version), _version, options)

    async def delete(
        self, version: str, *, skill_id: str, **options: Unpack[RequestOptions]
    ) -> DeletedObject:
        """Delete one version (``DELETE /skills/{skill_id}/versions/{version}``).

        Args:
            version: the version string.
            skill_id: the ``skill_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            await client.skills.versions.delete(old.version, skill_id=skill.id)
        """
        return await self._delete(_version_path(skill_id, version), _deleted, options)

    async def download(
        self, version: str, *, skill_id: str, **options: Unpack[RequestOptions]
    ) -> BinaryResponse:
        """A version's content (``GET /skills/{skill_id}/versions/{version}/content``),
        streamed from the API when you read the returned :class:`BinaryResponse`.

        A body cut short is fetched again; it is never returned as complete.

        Args:
            version: the version string.
            skill_id: the ``skill_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            content = await client.skills.versions.download(version.version, skill_id=skill.id)
            await content.write_to("skill.zip")
        """
        path = _version_path(skill_id, version, "/content")
        return api_download(self._requester, path, options)


class AsyncSkillsAPI(Resource):
    """Skills: ``create``, ``list``, ``retrieve``, ``delete``; ``versions`` below.

    Reach it as ``client.skills``. Every method also takes the per-call
    :class:`RequestOptions`.

    Example::

        skill = await client.skills.create(
            files=[("review/SKILL.md", b"---\\nname: review\\n---\\nReview diffs.")],
            display_title="Review",
        )
    """

    __slots__ = ("versions",)

    versions: AsyncSkillVersionsAPI
    """A skill's versions (see :class:`AsyncSkillVersionsAPI`)."""

    def __init__(self, requester: Requester) -> None:
        super().__init__(requester)
        self.versions = AsyncSkillVersionsAPI(requester)

    async def create(
        self,
        *,
        files: Sequence[FileInput],
        display_title: str | None = None,
        metadata: Mapping[str, str] | None = None,
        display_name: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Skill:
        """Create a skill and its first version (``POST /skills``, multipart).

        Args:
            files: the skill's files: paths, bytes, file objects or ``(name, content)``
                pairs, each sent as a part named ``files`` (``("review/SKILL.md", text)``
                keeps its directory).
            display_title: the name to show.
            metadata: up to 16 string keys and values (sent as JSON text).
            display_name: the official SDK's name for ``display_title`` (give one).
            options: per-call :class:`RequestOptions` (``extra_body`` adds form fields).

        Example::

            skill = await client.skills.create(
                files=["skills/review/SKILL.md"], display_title="Review", metadata={"team": "a"}
            )
        """
        fields: dict[str, Any] = {
            "display_title": _title(display_title, display_name),
            "metadata": metadata,
        }
        parts = [*field_parts(_FIELDS, fields), *await _file_parts(files)]
        body, rest = form_body(parts, options)
        return await self._request("POST", "/skills", _skill, rest, body=body)

    def list(
        self,
        *,
        display_title: str | None = None,
        name: str | None = None,
        source: str | None = None,
        before_id: str | None = None,
        after_id: str | None = None,
        page: str | None = None,
        limit: int | None = None,
        display_name: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Skill]:
        """Every skill, page by page as you iterate (``GET /skills``).

        Args:
            display_title: only skills with this title.
            name: only skills with this name.
            source: only skills from this source (``custom``, ``qoder``).
            before_id: start before this id (first request only).
            after_id: start after this id (first request only).
            page: an opaque page cursor to start from.
            limit: page size (1-100).
            display_name: the official SDK's name for ``display_title`` (give one).
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for skill in client.skills.list(source="custom"):
                print(skill.id, skill.display_title, skill.latest_version)
        """
        display_title = _title(display_title, display_name)
        return self._list("/skills", _skill_page, build_query(_LIST, locals()), options)

    async def retrieve(self, skill_id: str, **options: Unpack[RequestOptions]) -> Skill:
        """Fetch a skill (``GET /skills/{id}``).

        Args:
            skill_id: the ``skill_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            skill = await client.skills.retrieve(skill.id)
        """
        return await self._request("GET", _path(skill_id), _skill, options)

    async def delete(self, skill_id: str, **options: Unpack[RequestOptions]) -> DeletedObject:
        """Delete a skill and its versions (``DELETE /skills/{id}``).

        Args:
            skill_id: the ``skill_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            gone = await client.skills.delete(skill.id)
            print(gone.type)  # skill_deleted
        """
        return await self._delete(_path(skill_id), _deleted, options)
