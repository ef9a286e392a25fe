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
import time
import uuid
from collections.abc import Callable
from typing import Any

import attrs
from aiohttp import web
from multidict import CIMultiDict, MultiDict

from .._client import AsyncQoder
from ._events import FakeEvents
from ._faults import FAULT_KEY, Fault, FaultRules, apply_fault
from ._platform import FakePlatform
from ._platform_files import STORAGE_PREFIX
from ._sessions import new_session
from ._wire import (
    API_PREFIX,
    ApiError,
    conflict,
    error_body,
    idempotency_key,
    json_object,
    reset_connection,
)

__all__ = ["DEFAULT_TOKEN", "FakeQoderServer", "RecordedRequest"]

DEFAULT_TOKEN = "pt-fake-test-token"


@attrs.frozen
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    #: The query string; a repeated key keeps every value (``query.getall("types[]")``).
    query: MultiDict[str]
    headers: CIMultiDict[str]
    body: bytes
    connection: int
    #: ``time.time()`` when the request reached the server (its headers, before the body).
    received_at: float = 0.0

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


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
        self._faults = FaultRules()
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
        options.setdefault("api_key", self.token)
        options.setdefault("base_url", self.base_url)
        return AsyncQoder(**options)

    # -- test controls ------------------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        *,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
        probability: float = 1.0,
    ) -> None:
        """Apply ``fault`` to the next ``times`` requests matching ``method``/``path``.

        ``path`` is relative to the API root (``"/sessions"``). Rules apply in the order
        they were added. With ``probability`` below 1, each matching request draws whether
        the fault applies (chaos testing); ``times=None`` keeps the rule until
        :meth:`clear_faults`.

        Example::

            # 5% of creates answered 503, for the whole test.
            server.inject(Fault.status_error(503), times=None, method="POST",
                          path="/sessions", probability=0.05)
        """
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be within 0..1, got {probability!r}")
        self._faults.add(fault, times, method, path, probability)

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        self._faults.clear()

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
        # Lifecycle, events and streaming routes; ``server.events`` holds the agent's knobs.
        self.events = FakeEvents(self)
        self.events.install(app, API_PREFIX)
        # Agents, environments, memory stores, deployments, dreams, models: ``server.platform``.
        self.platform = FakePlatform(self.sessions, self.events._idempotent)
        self.platform.install(app, API_PREFIX)
        return app

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        received_at = time.time()
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
                    MultiDict(request.query),
                    CIMultiDict(request.headers),
                    body,
                    self._connections[connection],
                    received_at,
                )
            )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            fault = self._faults.take(request.method, path)
            request[FAULT_KEY] = fault
            if fault is not None:
                response = await apply_fault(fault, request, request_id)
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
                reset_connection(request)
                raise asyncio.CancelledError
            if fault is not None and fault.kind == "close_after":
                response.force_close()
            return response
        finally:
            self.in_flight -= 1

    def _authorized(self, request: web.Request) -> bool:
        if request.path.startswith(STORAGE_PREFIX + "/"):
            return True  # a download URL the API handed out: signed, no token
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    # -- POST /sessions -----------------------------------------------------------------

    async def _create_session(self, request: web.Request) -> web.Response:
        key = idempotency_key(request)
        body = await request.read()
        digest = hashlib.sha256(body).hexdigest()
        if key is not None:
            stored = self._idempotency.get((self.token, key))
            if stored is not None:
                stored_digest, status, payload = stored
                if stored_digest != digest:
                    raise conflict("Idempotency key reused with a different request body.")
                return web.Response(
                    status=status,
                    body=payload,
                    content_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
        session, initial_events = new_session(json_object(body))
        self.sessions[session["id"]] = session
        if initial_events:
            # Stored in the session's log at once; a user.message starts the first turn.
            self.events.accept_initial(session, initial_events)
        payload = json.dumps(session).encode()
        if key is not None:
            self._idempotency[(self.token, key)] = (digest, self.create_status, payload)
        return web.Response(
            status=self.create_status, body=payload, content_type="application/json"
        )
