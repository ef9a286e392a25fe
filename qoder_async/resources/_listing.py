"""Checks and query building shared by the list endpoints (sessions, events)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from .._errors import InvalidParameterError, ParameterTypeError
from .._validation import check_int_range

__all__ = [
    "check_cursor_value",
    "check_str_list",
    "list_query",
]

_ORDERS = ("asc", "desc")
_CREATED_AT_OPS = ("gt", "gte", "lt", "lte")
_PRINTABLE_ID = re.compile(r"[\x21-\x7e]{1,1000}")


def check_str_list(field: str, value: object) -> list[str]:
    """A list of non-empty strings. A bare string is refused: ``statuses="idle"`` would
    otherwise be read as the letters ``i``, ``d``, ``l``, ``e`` by code that iterates it."""
    if isinstance(value, str):
        raise ParameterTypeError(
            field, f"expected a list of str, got the str {value!r:.40}; pass [{value!r:.40}]"
        )
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Sequence):
        raise ParameterTypeError(field, f"expected a list of str, got {type(value).__name__}")
    out: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise ParameterTypeError(f"{field}[{index}]", "expected a non-empty str")
        out.append(item)
    return out


def check_cursor_value(field: str, value: object) -> str:
    """A cursor (an id or a page token; also ``Last-Event-ID``): printable ASCII, no spaces."""
    if not isinstance(value, str):
        raise ParameterTypeError(field, f"expected str, got {type(value).__name__}")
    if _PRINTABLE_ID.fullmatch(value) is None:
        raise InvalidParameterError(field, "must be 1-1000 printable ASCII characters")
    return value


def _timestamp(field: str, value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, str) and value:
        return value
    raise ParameterTypeError(field, f"expected a datetime or an RFC 3339 str, got {value!r:.40}")


def list_query(
    limit: object = None,
    order: object = None,
    page: object = None,
    after_id: object = None,
    before_id: object = None,
    created_at: object = None,
) -> dict[str, Any]:
    """Validate the parameters every list endpoint shares and build their query."""
    query: dict[str, Any] = {}
    if limit is not None:
        # The newest servers answer 400 above 100, older ones silently cap: refuse it here.
        query["limit"] = check_int_range("limit", limit, 1, 100)
    if order is not None:
        if order not in _ORDERS:
            raise InvalidParameterError("order", f"must be 'asc' or 'desc', got {order!r:.40}")
        query["order"] = order
    cursors = {"page": page, "after_id": after_id, "before_id": before_id}
    given = [name for name, value in cursors.items() if value is not None]
    if len(given) > 1:
        raise InvalidParameterError(given[1], f"cannot be combined with {given[0]}")
    for name in given:
        query[name] = check_cursor_value(name, cursors[name])
    if created_at is not None:
        if not isinstance(created_at, Mapping):
            raise ParameterTypeError(
                "created_at", "expected a mapping like {'gte': datetime, 'lt': datetime}"
            )
        for op, when in created_at.items():
            if op not in _CREATED_AT_OPS:
                raise InvalidParameterError(
                    "created_at", f"keys must be gt, gte, lt or lte, got {op!r:.40}"
                )
            query[f"created_at[{op}]"] = _timestamp(f"created_at[{op}]", when)
    return query
