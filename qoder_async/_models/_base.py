"""Shared pieces of the response models.

Response models (everything the converter builds from a response) are declared
``@attrs.frozen(slots=False)``, unlike the slotted request-side classes: the converter
builds each instance in one step by attaching the checked, decoded JSON object as its
``__dict__`` (see ``_compile.py``) instead of passing every field through ``__init__``,
half the cost of structuring a ``Session``. The price is memory: a ``Session`` with its
nested objects takes about 2.3 KB instead of 1.1 KB (its decoded JSON body takes 5 KB).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

import attrs

__all__ = ["extra_field", "finish_model", "request_id_field", "request_id_of"]


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


def finish_model(cls: type[Any]) -> None:
    """Make a model class ready; every model module calls it at its bottom for each class.

    Resolves the string annotations now, while the module's namespace is the one they refer
    to (the package re-exports the classes under ``qoder_async``). A dict-based model also
    gets its shared default ``extra`` as a class attribute, so that an object built from a
    response without unknown keys need not store it (``_compile.py`` relies on it only
    where it finds it).
    """
    attrs.resolve_types(cls)
    extra = getattr(attrs.fields(cls), "extra", None)
    if extra is None or isinstance(extra.default, attrs.Factory):  # type: ignore[arg-type]
        return
    if getattr(cls, "extra", None) is None:  # a slotted class has its slot descriptor here
        cls.extra = extra.default


def request_id_field() -> Any:
    """The ``x-request-id`` of the response a top-level object came from (set by the pipeline)."""
    return attrs.field(default=None, init=False, eq=False, repr=False)


def request_id_of(obj: object) -> str | None:
    """The request id of the HTTP response that produced ``obj``, if known.

    Works for every object a client method returns (sessions, pages, event lists).

    Example::

        session = await client.sessions.create(agent="agent_1", environment_id="env_1")
        print(qoder_async.request_id_of(session))
    """
    return getattr(obj, "_request_id", None)
