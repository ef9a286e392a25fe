"""The fake server's memory stores: stores, the path-addressed memories in them (content
hashed with SHA-256, a stale hash answered 409) and a version per change (redactable)."""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from ._collection import (
    Collection,
    Payload,
    Route,
    body_of,
    child,
    crud_routes,
    fields_of,
    need,
    query_int,
)
from ._wire import bad_request, conflict, now_rfc3339

__all__ = ["MemoryRoutes"]

_STORE_FIELDS: dict[str, Any] = {"name": None, "description": None, "metadata": {}}
_ACTOR = {"type": "api_key", "api_key_id": "apikey_fake"}
_VERSION_FILTERS = {
    "memory_id": lambda version: version["memory_id"],
    "operation": lambda version: version["operation"],
    "session_id": lambda version: version["created_by"].get("session_id"),
}


def _content(data: dict[str, Any], stored: Payload | None = None) -> dict[str, Any]:
    content = data["content"] if "content" in data else (stored or {}).get("content")
    if content is not None and not isinstance(content, str):
        raise bad_request("content must be a string or null.", "content")
    encoded = (content or "").encode()
    return {
        "content": content,
        "content_sha256": hashlib.sha256(encoded).hexdigest(),
        "content_size_bytes": len(encoded),
    }


def _view(memory: Payload, request: web.Request, *, listed: bool = False) -> Payload:
    shown = dict(memory)
    if request.query.get("view") == "basic":
        shown.pop("content", None)
    if listed:
        shown.pop("metadata", None)
    return shown


def _check_hash(memory: Payload, expected: object, field: str) -> None:
    if expected is not None and expected != memory["content_sha256"]:
        raise conflict(f"{field} does not match the memory's current content.")


class MemoryRoutes:
    """Memory stores, memories and memory versions (mixed into ``FakePlatform``)."""

    def __init__(self) -> None:
        self.memory_stores = Collection("memory_store", "memstore")
        self.memories = Collection("memory", "mem", archivable=False)
        self.memory_versions = Collection("memory_version", "memver", archivable=False)

    def memory_routes(self) -> list[Route]:
        """The routes of ``/memory_stores`` and everything under it."""
        memories = "/memory_stores/{id}/memories"
        versions = "/memory_stores/{id}/memory_versions"
        stores = crud_routes(
            "/memory_stores",
            self.memory_stores,
            self._create_store,
            fields=_STORE_FIELDS,
            delete=self._delete_store,
            filters={"name": lambda store: store["name"]},
        )
        return [
            *stores,
            ("POST", memories, self._create_memory),
            ("GET", memories, self._memory_page),
            ("GET", memories + "/{item}", self._retrieve_memory),
            ("POST", memories + "/{item}", self._update_memory),
            ("DELETE", memories + "/{item}", self._delete_memory),
            ("GET", versions, self._version_page),
            ("GET", versions + "/{item}", self._retrieve_version),
            ("POST", versions + "/{item}/redact", self._redact),
        ]

    # -- stores -----------------------------------------------------------------------------

    async def _create_store(self, request: web.Request) -> Payload:
        data = await body_of(request)
        need(data, "name")
        fields = fields_of(data, _STORE_FIELDS)
        return self.memory_stores.add(
            {**fields, "status": "active", "entry_count": 0, "total_size": 0}
        )

    def _delete_store(self, request: web.Request) -> Payload:
        store_id = request.match_info["id"]
        for collection in (self.memories, self.memory_versions):
            for item in [i for i in collection.items.values() if i["memory_store_id"] == store_id]:
                del collection.items[item["id"]]
        return self.memory_stores.delete(store_id)

    def _store_memories(self, request: web.Request) -> list[Payload]:
        store = self.memory_stores.get(request.match_info["id"])
        return [m for m in self.memories.items.values() if m["memory_store_id"] == store["id"]]

    def _changed(self, memory: Payload, operation: str) -> None:
        """Record a version of ``memory`` and refresh its store's counters."""
        version = self.memory_versions.add(
            {
                "memory_id": memory["id"],
                "memory_store_id": memory["memory_store_id"],
                "operation": operation,
                "path": memory["path"],
                **{key: memory[key] for key in ("content", "content_sha256")},
                "content_size_bytes": memory["content_size_bytes"],
                "created_by": dict(_ACTOR),
                "redacted_at": None,
                "redacted_by": None,
            }
        )
        memory["memory_version_id"] = version["id"]
        store = self.memory_stores.get(memory["memory_store_id"])
        kept = [m for m in self.memories.items.values() if m["memory_store_id"] == store["id"]]
        store["entry_count"] = len(kept)
        store["total_size"] = sum(m["content_size_bytes"] for m in kept)

    # -- memories ---------------------------------------------------------------------------

    async def _create_memory(self, request: web.Request) -> Payload:
        data = await body_of(request)
        path = need(data, "path")
        if "content" not in data:
            raise bad_request("Missing required field: content", "content")
        if any(m["path"] == path for m in self._store_memories(request)):
            raise conflict(f"A memory already exists at {path!r}.")
        memory = self.memories.add(
            {
                "memory_store_id": request.match_info["id"],
                "path": path,
                **_content(data),
                "metadata": data.get("metadata") or {},
            }
        )
        self._changed(memory, "created")
        return _view(memory, request)

    def _memory_page(self, request: web.Request) -> Payload:
        prefix = request.query.get("path_prefix", "")
        depth = query_int(request, "depth")
        kept = [
            _view(m, request, listed=True)
            for m in self._store_memories(request)
            if m["path"].startswith(prefix)
            and (depth is None or m["path"][len(prefix) :].strip("/").count("/") < depth)
        ]
        return self.memories.page(request, kept, order="asc")

    def _memory(self, request: web.Request) -> Payload:
        self.memory_stores.get(request.match_info["id"])
        return child(self.memories, request, "item", "memory_store_id")

    def _retrieve_memory(self, request: web.Request) -> Payload:
        return _view(self._memory(request), request)

    async def _update_memory(self, request: web.Request) -> Payload:
        memory = self._memory(request)
        data = await body_of(request)
        _check_hash(memory, data.get("content_sha256"), "content_sha256")
        self.memories.patch(memory, data, ("path", "metadata"))
        memory.update(_content(data, memory))
        self._changed(memory, "modified")
        return _view(memory, request)

    def _delete_memory(self, request: web.Request) -> Payload:
        memory = self._memory(request)
        expected = request.query.get("expected_content_sha256")
        _check_hash(memory, expected, "expected_content_sha256")
        gone = self.memories.delete(memory["id"])
        self._changed(memory, "deleted")
        return gone

    # -- versions ---------------------------------------------------------------------------

    def _version_page(self, request: web.Request) -> Payload:
        store = self.memory_stores.get(request.match_info["id"])
        versions = self.memory_versions.items.values()
        kept = [_view(v, request) for v in versions if v["memory_store_id"] == store["id"]]
        return self.memory_versions.page(request, kept, _VERSION_FILTERS)

    def _version(self, request: web.Request) -> Payload:
        self.memory_stores.get(request.match_info["id"])
        return child(self.memory_versions, request, "item", "memory_store_id")

    def _retrieve_version(self, request: web.Request) -> Payload:
        return _view(self._version(request), request)

    def _redact(self, request: web.Request) -> Payload:
        version = self._version(request)
        if version["redacted_at"] is not None:
            raise conflict(f"Memory version '{version['id']}' is already redacted.")
        version.update(content=None, redacted_at=now_rfc3339(), redacted_by=dict(_ACTOR))
        return version
