"""What the platform resources (agents, environments, memory stores, deployments, dreams,
models) share: id path segments, field checks, bodies and queries built from a table of
checks, the same way for every platform resource.

An endpoint declares its fields once, as a :data:`Spec` (name -> check), and builds its body
or query from its own arguments (``locals()``): the signature is the one list of fields, the
spec says how each is checked and sent. Body rules: an argument not given is left out, an
explicit ``None`` is sent as ``null``. Query rules: ``None`` is left out, booleans are
``true``/``false``, lists repeat the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from .._errors import InvalidParameterError, ParameterTypeError
from .._types import NotGiven
from .._validation import (
    check_agent,
    check_id_list,
    check_int_range,
    check_json_object,
    check_metadata,
)
from .._validation import path_segment as _quoted
from ._listing import _timestamp, check_cursor_value, check_str_list

__all__ = [
    "ARCHIVABLE_LIST",
    "CURSORS",
    "PAGED",
    "Check",
    "Spec",
    "agent_ref",
    "boolean",
    "build_body",
    "build_query",
    "id_of",
    "ids_of",
    "integer",
    "item_path",
    "json_object",
    "metadata",
    "metadata_patch",
    "object_list",
    "required",
    "segment",
    "str_list",
    "str_or_object",
    "text",
    "timestamp",
]

T = TypeVar("T")

#: A field check: ``check(field, value)`` returns what is sent, or raises naming ``field``.
Check = Callable[[str, Any], Any]
#: The fields of one body or query: argument name -> check.
Spec = Mapping[str, Check]


# -- ids --------------------------------------------------------------------------------


def segment(field: str, value: object, prefix: str = "") -> str:
    """An id as one quoted path segment: a ``str`` starting with ``prefix`` (when the API
    documents one), non-empty, and unable to change the URL (no ``/``, ``?``, ``#``, ``%``,
    whitespace, ``..``; not ``.``).

    Example::

        segment("agent_id", "agent_01", "agent_")  # 'agent_01'
    """
    if value in ("", "."):
        raise InvalidParameterError(field, f"{value!r} is not an id")
    return _quoted(field, value, prefix)


def item_path(collection: str, field: str, value: object, prefix: str = "", rest: str = "") -> str:
    """``/{collection}/{id}{rest}``, the id checked by :func:`segment`.

    Example::

        item_path("agents", "agent_id", "agent_01", "agent_", "/archive")
        # '/agents/agent_01/archive'
    """
    return f"/{collection}/{segment(field, value, prefix)}{rest}"


# -- checks (None passes through: it means null in a body, nothing in a query) -----------


def _nullable(check: Check) -> Check:
    def checked(field: str, value: Any) -> Any:
        return None if value is None else check(field, value)

    checked.__doc__ = check.__doc__
    return checked


def required(check: Check) -> Check:
    """``check``, refusing ``None`` and ``""`` for a field the API requires."""

    def checked(field: str, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value):
            raise InvalidParameterError(field, "is required")
        return check(field, value)

    return checked


def _instance_of(kind: type) -> Check:
    def check(field: str, value: Any) -> Any:
        if not isinstance(value, kind):
            got = type(value).__name__
            raise ParameterTypeError(field, f"expected {kind.__name__}, got {got}")
        return value

    check.__doc__ = f"A ``{kind.__name__}``."
    return _nullable(check)


text = _instance_of(str)
boolean = _instance_of(bool)


@_nullable
def integer(field: str, value: Any) -> int:
    """A non-negative ``int`` (not a ``bool``)."""
    return check_int_range(field, value, 0, 2**53)


@_nullable
def json_object(field: str, value: Any) -> dict[str, Any]:
    """A mapping with ``str`` keys that JSON can encode (checked here, so the error names it)."""
    return check_json_object(field, value)


@_nullable
def object_list(field: str, value: Any) -> list[dict[str, Any]]:
    """A list (or tuple) of JSON objects."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise ParameterTypeError(field, f"expected a list of mappings, got {type(value).__name__}")
    return [json_object(f"{field}[{index}]", item) for index, item in enumerate(value)]


@_nullable
def str_or_object(field: str, value: Any) -> str | dict[str, Any]:
    """A non-empty ``str`` (an id) or a JSON object."""
    if isinstance(value, str):
        return required(text)(field, value)  # type: ignore[no-any-return]
    return json_object(field, value)  # type: ignore[no-any-return]


@_nullable
def metadata(field: str, value: Any) -> dict[str, Any]:
    """Metadata: at most 16 ``str`` keys with ``str`` values."""
    return check_metadata(value)


@_nullable
def metadata_patch(field: str, value: Any) -> dict[str, Any]:
    """Metadata changes: as :func:`metadata`, and a ``None`` value removes its key."""
    return check_metadata(value, allow_null_values=True)


@_nullable
def agent_ref(field: str, value: Any) -> str | dict[str, Any]:
    """An ``agent_...`` id or ``{"id", "type"?, "version"?}``."""
    return check_agent(value)


@_nullable
def str_list(field: str, value: Any) -> list[str]:
    """A list of non-empty ``str`` (a bare ``str`` is refused)."""
    return check_str_list(field, value)


@_nullable
def timestamp(field: str, value: Any) -> str:
    """A ``datetime`` (naive means UTC) or an RFC 3339 ``str``."""
    return _timestamp(field, value)


def id_of(prefix: str = "") -> Check:
    """The check of an id field: ``prefix`` (only where the API documents one), URL-safe."""

    def check(field: str, value: Any) -> str:
        segment(field, value, prefix)
        return value  # type: ignore[no-any-return]

    return _nullable(check)


def ids_of(prefix: str) -> Check:
    """The check of a list of ``prefix`` ids (a bare ``str`` is refused, not split)."""
    return _nullable(lambda field, value: check_id_list(field, value, prefix))


_limit = _nullable(lambda field, value: check_int_range(field, value, 1, 100))
_cursor = _nullable(check_cursor_value)

#: ``limit`` (1-100) and ``page``: every paged list.
PAGED: Spec = {"limit": _limit, "page": _cursor}
#: :data:`PAGED` plus the id cursors of lists that also take them.
CURSORS: Spec = {**PAGED, "after_id": _cursor, "before_id": _cursor}
#: The list query agents, environments and memory stores share.
ARCHIVABLE_LIST: Spec = {
    "created_at_gte": timestamp,
    "created_at_lte": timestamp,
    "include_archived": boolean,
    **PAGED,
}

# Python names of query parameters whose wire name has brackets.
_WIRE_NAMES = {f"created_at_{op}": f"created_at[{op}]" for op in ("gt", "gte", "lt", "lte")}
_WIRE_NAMES["statuses"] = "statuses[]"
_CURSOR_NAMES = ("page", "after_id", "before_id")


def build_body(spec: Spec, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of ``spec``'s fields among ``arguments``: not given -> left out.

    Example::

        build_body({"name": required(text)}, {"name": "ci", "self": ...})  # {'name': 'ci'}
    """
    return {
        name: check(name, arguments[name])
        for name, check in spec.items()
        if not isinstance(arguments[name], NotGiven)
    }


def build_query(spec: Spec, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The query of ``spec``'s parameters among ``arguments``: ``None`` -> left out.

    Example::

        build_query(PAGED, {"limit": 10, "page": None})  # {'limit': 10}
    """
    query: dict[str, Any] = {}
    for name, check in spec.items():
        value = arguments[name]
        if value is None:
            continue
        value = check(name, value)
        query[_WIRE_NAMES.get(name, name)] = (
            ("true" if value else "false") if isinstance(value, bool) else value
        )
    cursors = [name for name in _CURSOR_NAMES if name in query]
    if len(cursors) > 1:
        raise InvalidParameterError(cursors[1], f"cannot be combined with {cursors[0]}")
    return query


# -- the send path, with the per-call headers ---------------------------------------------
