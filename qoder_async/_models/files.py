"""Files: what ``files.upload`` stores, for sessions to mount and agents to read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field
from .platform import PlatformObject

__all__ = ["FileMetadata", "FileScope"]


@attrs.frozen
class FileScope:
    """What a file belongs to, when it is not the account's: ``type`` ``session`` and its id.

    Example::

        if file.scope is not None:
            print(file.scope.type, file.scope.id)
    """

    id: str | None = None
    type: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class FileMetadata(PlatformObject):
    """A stored file (``files.upload``, ``retrieve_metadata``, ``list``), not its content.

    Only ``id`` is required; unknown fields are kept in ``extra``; ``status`` is open.
    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        file = await client.files.upload(file="report.pdf")
        print(file.id, file.filename, file.mime_type, file.size_bytes, file.downloadable)
    """

    filename: str | None = None
    mime_type: str | None = None
    size_bytes: int | None = None
    status: str | None = None
    downloadable: bool | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    scope: FileScope | None = None


attrs.resolve_types(FileScope)
attrs.resolve_types(FileMetadata)
