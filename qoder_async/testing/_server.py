"""``FakeQoderServer``: an in-memory Qoder Cloud Agents API on 127.0.0.1, for tests and demos.

It follows ``REFERENCE.md``: bearer auth, the error envelope with ``request_id``,
validation of ``POST /sessions``, and idempotency (same key + same body replays the stored
response; same key + another body is 409). Every request is recorded, so tests can assert
on what actually reached the server, and :meth:`FakeQoderServer.inject` makes the next
matching requests fail in a chosen way.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import struct
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web
from multidict import CIMultiDict

from ._faults import FAULT_KEY, STREAM_FAULTS, Fault

if TYPE_CHECKING:
    from .._client import AsyncQoder

__all__ = ["FakeQoderServer", "RecordedRequest"]

API_PREFIX = "/api/v1/cloud"
DEFAULT_TOKEN = "pt-fake-test-token"


@attrs.frozen
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: CIMultiDict[str]
    body: bytes
    connection: int

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


@attrs.define
class _Rule:
    fault: Fault
    remaining: int
    method: str | None
    path: str | None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or self.path == path
        )


def now_rfc3339() -> str:
    """The current UTC time the way the API writes it (microseconds, ``Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def error_body(error_type: str, message: str, request_id: str, param: str | None = None) -> bytes:
    """The documented error envelope."""
    error: dict[str, Any] = {"type": error_type, "message": message}
    if param is not None:
        error["param"] = param
    return json.dumps({"type": "error", "request_id": request_id, "error": error}).encode()


class ApiError(Exception):
    """Raised by handlers; turned into the error envelope by the middleware."""

    def __init__(self, status: int, error_type: str, message: str, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.param = param


class FakeQoderServer:
    """A real HTTP server on ``127.0.0.1`` implementing the Qoder Cloud Agents API in memory.

    Args:
        token: the only PAT it accepts.
        port: 0 picks a free port.
        create_status: the status of a successful ``POST /sessions`` (the docs say 201,
            live servers were seen answering 200).

    Example::

        async with FakeQoderServer() as server:
            async with server.client() as client:
                session = await client.sessions.create(agent="agent_1", environment_id="env_1")
            assert server.requests[0].headers["Idempotency-Key"]
    """

    def __init__(
        self, *, token: str = DEFAULT_TOKEN, port: int = 0, create_status: int = 201
    ) -> None:
        self.token = token
        self.create_status = create_status
        self.requests: list[RecordedRequest] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.record_requests = True
        self._port = port
        self._rules: list[_Rule] = []
        self._idempotency: dict[tuple[str, str], tuple[str, int, bytes]] = {}
        self._connections: dict[int, int] = {}
        self._runner: web.AppRunner | None = None
        self._routes: list[tuple[str, str, Callable[..., Any]]] = []
        self.app = self._make_app()

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> FakeQoderServer:
        """Start listening; returns ``self``."""
        runner = web.AppRunner(
            self.app,
            access_log=None,
            handle_signals=False,
            # A client that gave up must not keep a slow handler (and teardown) waiting.
            handler_cancellation=True,
            shutdown_timeout=1.0,
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self._port, reuse_address=True)
        await site.start()
        self._runner = runner
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._port = sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeQoderServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        """The port it listens on (after :meth:`start`)."""
        return self._port

    @property
    def base_url(self) -> str:
        """The API root to give the client: ``http://127.0.0.1:<port>/api/v1/cloud``."""
        return f"http://127.0.0.1:{self._port}{API_PREFIX}"

    def client(self, **options: Any) -> AsyncQoder:
        """An :class:`AsyncQoder` pointed at this server with its token."""
        from .._client import AsyncQoder

        options.setdefault("api_key", self.token)
        options.setdefault("base_url", self.base_url)
        return AsyncQoder(**options)

    # -- test controls ------------------------------------------------------------------

    def inject(
        self, fault: Fault, *, times: int = 1, method: str | None = None, path: str | None = None
    ) -> None:
        """Apply ``fault`` to the next ``times`` requests matching ``method``/``path``.

        ``path`` is relative to the API root (``"/sessions"``). Rules apply in the order
        they were added.
        """
        self._rules.append(_Rule(fault, times, method, path))

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        self._rules.clear()

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """The recorded requests for one route (``path`` relative to the API root)."""
        return [r for r in self.requests if r.method == method and r.path == path]

    @property
    def connection_count(self) -> int:
        """How many distinct TCP connections have carried requests."""
        return len(self._connections)

    # -- app ----------------------------------------------------------------------------

    def add_route(self, method: str, path: str, handler: Callable[..., Any]) -> None:
        """Register another API route (``path`` relative to the API root) before start."""
        self.app.router.add_route(method, API_PREFIX + path, handler)

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_post(API_PREFIX + "/sessions", self._create_session)
        from ._events import FakeEvents  # it builds on this module

        # Lifecycle, events and streaming routes; ``server.events`` holds the agent's knobs.
        self.events = FakeEvents(self)
        self.events.install(app, API_PREFIX)
        return app

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        request_id = request.headers.get("x-request-id") or str(uuid.uuid4())
        path = request.path.removeprefix(API_PREFIX)
        body = await request.read()
        transport = request.transport
        connection = id(transport)
        self._connections.setdefault(connection, len(self._connections))
        if self.record_requests:
            self.requests.append(
                RecordedRequest(
                    request.method,
                    path,
                    dict(request.query),
                    CIMultiDict(request.headers),
                    body,
                    self._connections[connection],
                )
            )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            fault = self._take_fault(request.method, path)
            request[FAULT_KEY] = fault
            if fault is not None:
                response = await self._apply_fault(fault, request, request_id)
                if response is not None:
                    return response
            try:
                if not self._authorized(request):
                    raise ApiError(401, "authentication_error", "Invalid API key or token.")
                response = await handler(request)
            except ApiError as exc:
                response = web.Response(
                    status=exc.status,
                    body=error_body(exc.error_type, exc.message, request_id, exc.param),
                    content_type="application/json",
                )
            response.headers["x-request-id"] = request_id
            if fault is not None and fault.kind == "drop_response":
                _reset(request)
                raise asyncio.CancelledError
            if fault is not None and fault.kind == "close_after":
                response.force_close()
            return response
        finally:
            self.in_flight -= 1

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for rule in self._rules:
            if rule.matches(method, path):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
                return rule.fault
        return None

    async def _apply_fault(
        self, fault: Fault, request: web.Request, request_id: str
    ) -> web.StreamResponse | None:
        kind = fault.kind
        if kind == "delay":
            await asyncio.sleep(fault.seconds)
            return None
        if kind in ("close_after", "drop_response") or kind in STREAM_FAULTS:
            return None
        if kind == "reset":
            _reset(request)
            raise asyncio.CancelledError
        if kind == "truncated":
            await _write_raw(
                request,
                fault.status,
                {"Content-Length": str(fault.declared_length)},
                fault.body,
            )
            raise asyncio.CancelledError
        if kind == "trickle":
            return await _trickle(request, fault)
        headers = {"x-request-id": request_id, **fault.headers}
        body = fault.body
        if kind == "status" and body:
            envelope = json.loads(body)
            envelope["request_id"] = request_id
            body = json.dumps(envelope).encode()
        response = web.Response(status=fault.status, body=body, headers=headers)
        if fault.content_type is not None:
            response.content_type = fault.content_type
        return response

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    # -- POST /sessions -----------------------------------------------------------------

    async def _create_session(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key") or request.headers.get("X-Idempotency-Key")
        body = await request.read()
        digest = hashlib.sha256(body).hexdigest()
        if key is not None:
            stored = self._idempotency.get((self.token, key))
            if stored is not None:
                stored_digest, status, payload = stored
                if stored_digest != digest:
                    raise ApiError(
                        409,
                        "conflict_error",
                        "Idempotency key reused with a different request body.",
                    )
                return web.Response(
                    status=status,
                    body=payload,
                    content_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
        data = _json_object(body)
        session = self._new_session(data)
        payload = json.dumps(session).encode()
        self.sessions[session["id"]] = session
        if key is not None:
            self._idempotency[(self.token, key)] = (digest, self.create_status, payload)
        return web.Response(
            status=self.create_status, body=payload, content_type="application/json"
        )

    def _new_session(self, data: dict[str, Any]) -> dict[str, Any]:
        agent = data.get("agent")
        agent_id: object
        if isinstance(agent, str):
            agent_id, version = agent, 1
        elif isinstance(agent, dict):
            agent_id, version = agent.get("id"), agent.get("version") or 1
        else:
            raise ApiError(400, "invalid_request_error", "Missing required field: agent", "agent")
        if not isinstance(agent_id, str) or not agent_id.startswith("agent_"):
            raise ApiError(400, "invalid_request_error", "Invalid agent id.", "agent")
        environment_id = data.get("environment_id")
        if not isinstance(environment_id, str) or not environment_id.startswith("env_"):
            raise ApiError(
                400,
                "invalid_request_error",
                "Missing required field: environment_id",
                "environment_id",
            )
        title = data.get("title", "")
        if title is not None and not isinstance(title, str):
            raise ApiError(400, "invalid_request_error", "title must be a string.", "title")
        metadata = data.get("metadata", {})
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            raise ApiError(
                400, "invalid_request_error", "metadata values must be strings.", "metadata"
            )
        interval = data.get("delta_flush_interval_ms", 100)
        if not isinstance(interval, int) or not 50 <= interval <= 5000:
            raise ApiError(
                400,
                "invalid_request_error",
                "delta_flush_interval_ms must be between 50 and 5000.",
                "delta_flush_interval_ms",
            )
        for field in ("resources", "vault_ids", "memory_store_ids"):
            if not isinstance(data.get(field, []), list):
                raise ApiError(400, "invalid_request_error", f"{field} must be an array.", field)
        stamp = now_rfc3339()
        return {
            "id": f"sess_{uuid.uuid4().hex}",
            "type": "session",
            "agent": {
                "id": agent_id,
                "type": "agent",
                "name": "fake-echo-agent",
                "description": "Echoes what it is told",
                "model": {"id": "ultimate", "effective_context_window": 200000},
                "system": "You repeat the user's words.",
                "tools": [],
                "skills": [],
                "mcp_servers": [],
                "version": version,
            },
            "environment_id": environment_id,
            "title": title or "",
            "status": "idle",
            "turn_status": "idle",
            "metadata": metadata,
            "resources": data.get("resources", []),
            "vault_ids": data.get("vault_ids", []),
            "memory_store_ids": data.get("memory_store_ids", []),
            "environment_variables": {},
            "stats": {"active_seconds": 0, "duration_seconds": 0},
            "usage": {"total_credits": 0},
            "archived_at": None,
            "created_at": stamp,
            "updated_at": stamp,
        }


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise ApiError(400, "invalid_request_error", "Request body must be valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request_error", "Request body must be a JSON object.")
    return data


def _reset(request: web.Request) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _write_raw(
    request: web.Request, status: int, headers: Mapping[str, str], body: bytes
) -> None:
    transport = request.transport
    if transport is None:
        return
    head = f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    transport.write(head.encode() + body)
    await asyncio.sleep(0.01)
    transport.close()


async def _trickle(request: web.Request, fault: Fault) -> web.StreamResponse:
    response = web.StreamResponse(status=fault.status)
    response.content_type = "application/json"
    response.content_length = len(fault.body)
    await response.prepare(request)
    for index in range(len(fault.body)):
        await response.write(fault.body[index : index + 1])
        await asyncio.sleep(fault.seconds)
    await response.write_eof()
    return response
