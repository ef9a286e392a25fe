"""Shared pieces of the response models.

Response models are plain frozen, slotted attrs classes; the converter builds every
instance through its ``__init__`` (see ``_converter.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

import attrs

__all__ = ["NO_EXTRA", "Acknowledgement", "extra_field", "request_id_of"]


class _NoUnknownKeys(Mapping[str, Any]):
    """The type of :data:`NO_EXTRA`: empty, read-only, and pickled as the one instance."""

    __slots__ = ()

    def __getitem__(self, key: str) -> NoReturn:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"

    def __reduce__(self) -> str:
        return "NO_EXTRA"  # unpickled as this module's NO_EXTRA, not a copy


#: The ``extra`` of an object whose response had no unknown keys: one shared, read-only
#: mapping instead of a new dict per object (most objects have none).
NO_EXTRA: Mapping[str, Any] = _NoUnknownKeys()


def extra_field() -> Any:
    """Unknown keys of the response object, kept so that nothing the server sent is lost.

    Not part of equality or repr: a server adding a field must not change how objects compare.
    """
    return attrs.field(default=NO_EXTRA, eq=False, repr=False, kw_only=True)


def request_id_of(obj: object) -> str | None:
    """The request id of the HTTP response that produced ``obj``, if known.

    Works for every object a client method returns (sessions, pages, event lists).

    Example::

        session = await client.sessions.create(agent="agent_1", environment_id="env_1")
        print(qoder_async.request_id_of(session))
    """
    return getattr(obj, "request_id", None)


@attrs.frozen
class Acknowledgement:
    """What a write that returns no full object answers: an id, a type, and anything else."""

    id: str | None = None
    type: str | None = None
    extra: Mapping[str, Any] = extra_field()
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
