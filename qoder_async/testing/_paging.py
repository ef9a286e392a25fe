"""The list envelope of the fake server: ``limit``, ``order`` and both cursor styles, with
the documented 400s (``limit`` outside 1..100, two cursors at once, an unknown cursor)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._wire import bad_request

__all__ = ["paginate"]


def paginate(
    items: list[dict[str, Any]],
    request: web.Request,
    *,
    default_order: str,
    cursor_style: str = "page",
) -> dict[str, Any]:
    """One page of ``items`` for the request's ``limit``/``order``/cursor, as the envelope."""
    query = request.query
    raw_limit = query.get("limit", "20")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise bad_request("limit must be an integer.", "limit") from None
    if not 1 <= limit <= 100:
        raise bad_request("limit must be between 1 and 100.", "limit")
    order = query.get("order", default_order)
    if order not in ("asc", "desc"):
        raise bad_request("order must be 'asc' or 'desc'.", "order")
    if order == "desc":
        items = items[::-1]
    cursors = [key for key in ("page", "after_id", "before_id") if key in query]
    if len(cursors) > 1:
        raise bad_request(f"{cursors[0]} and {cursors[1]} are mutually exclusive.", cursors[1])
    ids = [item["id"] for item in items]
    start, end = 0, min(limit, len(items))
    if "page" in query:
        token = query["page"]
        if not token.startswith("page_") or not token[5:].isdigit():
            raise bad_request("page is not a valid cursor.", "page")
        start = int(token[5:])
        end = min(start + limit, len(items))
    elif "after_id" in query:
        if query["after_id"] not in ids:
            raise bad_request("after_id is not a known id.", "after_id")
        start = ids.index(query["after_id"]) + 1
        end = min(start + limit, len(items))
    elif "before_id" in query:
        if query["before_id"] not in ids:
            raise bad_request("before_id is not a known id.", "before_id")
        end = ids.index(query["before_id"])
        start = max(0, end - limit)
    data = items[start:end]
    has_more = start > 0 if "before_id" in query else end < len(items)
    envelope: dict[str, Any] = {
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }
    if cursor_style == "page":
        envelope["next_page"] = f"page_{end}" if has_more and "before_id" not in query else None
    return envelope
