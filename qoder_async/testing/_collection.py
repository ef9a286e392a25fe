"""The fake server's generic in-memory collection: create, list (filters, ``created_at``
ranges, archived objects hidden unless ``include_archived``, paging through
:func:`paginate`), retrieve, update (metadata merged, a ``null`` value removes its key),
archive and delete, with the documented 400/404/409 answers. Every platform group
(``_platform.py``) is a few of these plus its own rules.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from .._models._timestamps import parse_timestamp
from ._paging import paginate
from ._wire import ApiError, bad_request, conflict, json_object, new_id, now_rfc3339

__all__ = [
    "Collection",
    "Handler",
    "Payload",
    "Route",
    "body_of",
    "child",
    "crud_routes",
    "fields_of",
    "need",
    "query_int",
]

#: A decoded JSON object as the fake server stores and serves it.
Payload = dict[str, Any]
#: A route's logic: the request in, the JSON payload out (``None`` for a 204).
Handler = Callable[[web.Request], Any]
_RANGE = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


async def body_of(request: web.Request) -> Payload:
    """The request's JSON object body (``{}`` when it has none)."""
    raw = await request.read()
    return json_object(raw) if raw.strip() else {}


def need(data: Mapping[str, Any], field: str, kind: type | tuple[type, ...] = str) -> Any:
    """``data[field]``, present, non-empty and of ``kind``, or the 400 the API answers."""
    value = data.get(field)
    if value is None or value == "":
        raise bad_request(f"Missing required field: {field}", field)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise bad_request(f"{field} has the wrong type.", field)
    return value


def fields_of(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> Payload:
    """The fields of a new object: each of ``defaults`` as the body sends it, else (absent or
    ``null``) its default, copied."""
    return {
        name: data[name] if data.get(name) is not None else copy.copy(default)
        for name, default in defaults.items()
    }


def query_int(request: web.Request, name: str) -> int | None:
    """An integer query parameter, or the 400 for one that is not."""
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer.", name) from None


def _created_in_range(item: Payload, query: Mapping[str, str]) -> bool:
    created: datetime | None = None
    for op, compare in _RANGE.items():
        name = f"created_at[{op}]"
        bound = query.get(name)
        if bound is None:
            continue
        try:
            limit = parse_timestamp(bound)
        except ValueError:
            raise bad_request(f"{name} is not a timestamp.", name) from None
        created = created or parse_timestamp(item["created_at"])
        if not getattr(created, compare)(limit):
            return False
    return True


class Collection:
    """One kind of object (``kind`` is its ``type``), stored by id in insertion order."""

    def __init__(self, kind: str, prefix: str, *, archivable: bool = True) -> None:
        self.kind = kind
        self.prefix = prefix
        self.archivable = archivable
        self.items: dict[str, Payload] = {}

    def add(self, fields: Mapping[str, Any]) -> Payload:
        """Store a new object with an id, its ``type`` and timestamps; returns it."""
        stamp = now_rfc3339()
        item: Payload = {"id": new_id(self.prefix), "type": self.kind, **fields}
        if self.archivable:
            item["archived_at"] = None
        item.update(created_at=stamp, updated_at=stamp)
        self.items[item["id"]] = item
        return item

    def get(self, item_id: str) -> Payload:
        """The object, or a 404 ``not_found_error``."""
        item = self.items.get(item_id)
        if item is None:
            label = self.kind.replace("_", " ").capitalize()
            raise ApiError(404, "not_found_error", f"{label} '{item_id}' was not found.")
        return item

    def page(
        self,
        request: web.Request,
        items: Iterable[Payload] | None = None,
        filters: Mapping[str, Callable[[Payload], Any]] | None = None,
        *,
        order: str = "desc",
        cursor_style: str = "page",
    ) -> Payload:
        """One page of ``items`` (default: all) kept by the request's query.

        ``filters`` maps a query parameter to what it is compared with (as text); every
        given one must match (one of its values, when it is repeated like ``statuses[]``).
        Archived objects need ``include_archived=true``.
        """
        query = request.query
        archived = query.get("include_archived") == "true"
        chosen = {name: pick for name, pick in (filters or {}).items() if name in query}
        kept = [
            item
            for item in (self.items.values() if items is None else items)
            if (archived or not item.get("archived_at"))
            and all(_text(pick(item)) in query.getall(name) for name, pick in chosen.items())
            and _created_in_range(item, query)
        ]
        return paginate(kept, request, default_order=order, cursor_style=cursor_style)

    def patch(self, item: Payload, data: Mapping[str, Any], fields: Iterable[str]) -> Payload:
        """Apply the ``fields`` present in ``data``; ``metadata`` is merged, not replaced."""
        for field in fields:
            if field not in data:
                continue
            value = data[field]
            if field == "metadata" and isinstance(value, dict):
                merged = {**item.get("metadata", {}), **value}
                value = {key: item for key, item in merged.items() if item is not None}
            item[field] = value
        item["updated_at"] = now_rfc3339()
        return item

    def archive(self, item: Payload) -> Payload:
        """Set ``archived_at``; an object archived already is a 409."""
        if item.get("archived_at"):
            raise conflict(f"{self.kind} '{item['id']}' is already archived.")
        item["archived_at"] = item["updated_at"] = now_rfc3339()
        return item

    def delete(self, item_id: str) -> Payload:
        """Forget the object (later requests get a 404); the ``{id, type}`` answer."""
        self.get(item_id)
        del self.items[item_id]
        return {"id": item_id, "type": f"{self.kind}_deleted"}


def _text(value: Any) -> str:
    # Query values are text: compare booleans and numbers the way they are written there.
    return value if isinstance(value, str) else json.dumps(value)


#: A route: method, path relative to the API root, and its handler.
Route = tuple[str, str, Handler]


def child(collection: Collection, request: web.Request, key: str, parent_field: str) -> Payload:
    """The object ``match_info[key]`` of ``collection`` that belongs to the parent in the
    path (``match_info["id"]``); one under another parent is a 404 like a missing one."""
    item = collection.get(request.match_info[key])
    if item.get(parent_field) != request.match_info["id"]:
        collection.get("")  # raises the collection's 404
    return item


def crud_routes(
    base: str,
    collection: Collection,
    create: Handler,
    *,
    fields: Iterable[str] = (),
    retrieve: Handler | None = None,
    update: Handler | None = None,
    delete: bool | Handler = False,
    filters: Mapping[str, Callable[[Payload], Any]] | None = None,
) -> list[Route]:
    """The usual routes of a top-level collection at ``base``: create, list, retrieve,
    update (``fields`` patched, or the ``update`` handler), archive and, with ``delete``,
    delete. Without ``fields`` or ``update`` there is no update route; a handler given for
    ``retrieve``, ``update`` or ``delete`` replaces the generic one."""
    item = base + "/{id}"
    fields = tuple(fields)

    def get(request: web.Request) -> Payload:
        return collection.get(request.match_info["id"])

    async def patch(request: web.Request) -> Payload:
        return collection.patch(get(request), await body_of(request), fields)

    def remove(request: web.Request) -> Payload:
        return collection.delete(request.match_info["id"])

    routes: list[Route] = [
        ("POST", base, create),
        ("GET", base, lambda request: collection.page(request, filters=filters)),
        ("GET", item, retrieve or get),
    ]
    if update is not None or fields:
        routes.append(("POST", item, update or patch))
    if collection.archivable:
        routes.append(("POST", item + "/archive", lambda r: collection.archive(get(r))))
    if delete:
        routes.append(("DELETE", item, remove if delete is True else delete))
    return routes
