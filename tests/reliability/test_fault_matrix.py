"""The fault matrix: what ``sessions.create`` does when the network or the server misbehaves.

Read ``MATRIX`` as a table: the fault the server injects into *every* attempt, the outcome
the caller sees, and how many attempts were made. For each row the test also checks that
every attempt carried the same idempotency key (a retry never creates a second session),
that the failing call took no longer than its policy allows (attempts x timeout + the
retry delays, plus slack; measured, never slept), and that the pool is healthy afterwards:
no connection is left acquired and the next normal call succeeds.

Faults the FakeQoderServer can express are ``Fault`` objects; the rest come from the
purpose-built ``ScriptedServer`` (raw sockets, byte-exact misbehaviour).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import attrs
import pytest
from conftest import AGENT, ENV

from qoder_async import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncQoder,
    Hooks,
    InternalServerError,
    QoderError,
    RateLimitError,
    RequestInfo,
    RetryInfo,
    RetryPolicy,
)
from qoder_async.testing import FakeQoderServer, Fault

from ._servers import (
    SESSION,
    TOKEN,
    Behaviour,
    ScriptedServer,
    endless_body,
    hang_up_on_reuse,
    ok_then_close_idle,
    raw,
    reset_mid_body,
)

pytestmark = pytest.mark.anyio

#: The policy under test: production's shape (2 retries, capped Retry-After), short delays.
POLICY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05, max_retry_after=1.0)
TIMEOUT = 0.5
#: Scheduling noise allowed on top of the policy's bound.
SLACK = 1.0
REFUSED = "nothing listens on the port"

PAGE_502 = b"<html><head><title>502 Bad Gateway</title></head><body><hr>nginx</body></html>"
PAGE_503 = (
    b"<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>"
    b"<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>"
)

Serve = Callable[[], "Fault | Behaviour | str"]


@attrs.frozen
class Row:
    fault: str
    serve: Serve
    outcome: type[QoderError] | None  # None: the call succeeds
    attempts: int
    says: str = ""
    warm_up: bool = False  # one normal call first, so the pool holds a used connection


MATRIX = [
    # fault                              served by                        outcome / attempts
    Row("connection refused", lambda: REFUSED, APIConnectionError, 3, "Cannot connect"),
    Row("reset before the status line", Fault.reset, APIConnectionError, 3, "reset"),
    Row(
        "reset after headers, half the body sent",
        reset_mid_body,
        APIConnectionError,
        3,
        "payload is not completed",
    ),
    Row(
        "Content-Length longer than the body",
        lambda: Fault.truncated(b'{"id": "sess_', declared_length=500),
        APIConnectionError,
        3,
        "payload is not completed",
    ),
    Row(
        "response lost after the session was created",
        Fault.drop_response,
        APIConnectionError,
        3,
        "POST /sessions failed",
    ),
    Row(
        "not HTTP at all (garbage status line)",
        lambda: raw(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
        APIConnectionError,
        3,
        "Bad status line",
    ),
    Row(
        "idle keep-alive closed by the server, noticed before reuse",
        lambda: ok_then_close_idle(0.01),
        None,
        1,
        warm_up=True,
    ),
    Row(
        "idle keep-alive closed by the server just as the pool reuses it",
        hang_up_on_reuse,
        None,
        2,
        warm_up=True,
    ),
    Row("slow headers beyond timeout", lambda: Fault.delay(30), APITimeoutError, 3, "timed out"),
    Row(
        "slow body (trickle) beyond timeout",
        lambda: Fault.trickle(SESSION, seconds_per_chunk=0.05),
        APITimeoutError,
        3,
        "timed out",
    ),
    Row(
        "502 HTML page from a proxy",
        lambda: Fault.respond(502, PAGE_502, content_type="text/html"),
        InternalServerError,
        3,
        "502 Bad Gateway",
    ),
    Row(
        "503 HTML page from a proxy",
        lambda: Fault.respond(503, PAGE_503, content_type="text/html"),
        InternalServerError,
        3,
        "503 Service Temporarily Unavailable",
    ),
    Row(
        "503 with Retry-After: 3600 (above max_retry_after)",
        lambda: Fault.status_error(503, message="overloaded", headers={"Retry-After": "3600"}),
        InternalServerError,
        3,
        "overloaded",
    ),
    Row(
        "429 on every attempt",
        lambda: Fault.status_error(
            429, error_type="rate_limit_error", message="slow down", headers={"Retry-After": "0.05"}
        ),
        RateLimitError,
        3,
        "slow down",
    ),
    Row(
        "2xx with invalid JSON",
        lambda: Fault.respond(201, b"<html>ok</html>", content_type="text/html"),
        APIResponseValidationError,
        1,
        "not valid JSON",
    ),
    Row(
        "2xx JSON of the wrong shape",
        lambda: Fault.respond(201, {"id": 42, "status": ["idle"]}),
        APIResponseValidationError,
        1,
        "does not match the documented shape",
    ),
    Row(
        "2xx body of 100 MB, Content-Length",
        lambda: endless_body(chunked=False),
        APIResponseValidationError,
        1,
        "exceeds max_response_bytes=16777216",
    ),
    Row(
        "2xx body of 100 MB, chunked",
        lambda: endless_body(chunked=True),
        APIResponseValidationError,
        1,
        "exceeds max_response_bytes=16777216",
    ),
]

#: Faults that a retry can cure: served once, the call must succeed on the next attempt.
TRANSIENT = [
    row
    for row in MATRIX
    if row.outcome is not None and row.attempts > 1 and row.fault != "connection refused"
]
REUSE_RACE = next(row for row in MATRIX if "just as the pool reuses" in row.fault)


@attrs.define
class Run:
    error: QoderError | None
    attempts: int  # as the client counted them
    server_saw: int
    connections: list[int]
    keys: set[str | None]
    elapsed: float
    delays: list[float]
    sessions: int | None  # sessions the fake server holds after the call (None: scripted)


async def create(client: AsyncQoder) -> object:
    return await client.sessions.create(agent=AGENT, environment_id=ENV)


async def exercise(row: Row, *, times: int) -> Run:
    """Serve ``row``'s fault ``times`` times, make one call, then prove the pool healthy."""
    starts: list[RequestInfo] = []
    retries: list[RetryInfo] = []
    hooks = Hooks(on_request=starts.append, on_retry=retries.append)
    serve = row.serve()
    server: FakeQoderServer | ScriptedServer
    async with contextlib.AsyncExitStack() as stack:
        if isinstance(serve, Fault) or serve == REFUSED:
            server = await stack.enter_async_context(FakeQoderServer(token=TOKEN))
        else:
            assert callable(serve)
            server = await stack.enter_async_context(
                ScriptedServer([serve] * (times + row.warm_up))
            )
        client = await stack.enter_async_context(
            server.client(retry=POLICY, timeout=TIMEOUT, hooks=hooks)
        )
        if row.warm_up:
            await create(client)
            await asyncio.sleep(0.1)
            starts.clear()
        before = len(server.requests)
        if isinstance(serve, Fault):
            assert isinstance(server, FakeQoderServer)
            server.inject(serve, times=times)
        if serve == REFUSED:
            await server.close()

        started = time.monotonic()
        error: QoderError | None = None
        try:
            await create(client)
        except QoderError as exc:
            error = exc
        elapsed = time.monotonic() - started
        attempts = len(starts)
        seen = server.requests[before:]
        sessions = len(server.sessions) if isinstance(server, FakeQoderServer) else None
        assert client.transport.in_flight() == 0, "a failed call left a connection acquired"
        # The pool is healthy: with the fault gone, the next call just works.
        if isinstance(server, FakeQoderServer):
            server.clear_faults()
        else:
            server.script.clear()
        if serve == REFUSED:
            await stack.enter_async_context(FakeQoderServer(token=TOKEN, port=server.port))
        await create(client)
        assert client.transport.in_flight() == 0
    return Run(
        error=error,
        attempts=attempts,
        server_saw=len(seen),
        connections=[r.connection for r in seen],
        keys={r.headers.get("idempotency-key") for r in seen},
        elapsed=elapsed,
        delays=[r.delay for r in retries],
        sessions=sessions,
    )


@pytest.mark.parametrize("row", MATRIX, ids=[row.fault for row in MATRIX])
async def test_fault_on_every_attempt(row: Row) -> None:
    run = await exercise(row, times=10)
    if row.outcome is None:
        assert run.error is None
    else:
        assert type(run.error) is row.outcome, repr(run.error)
        text = str(run.error)
        assert row.says in text
        assert TOKEN not in text and len(text) < 1000
    assert run.attempts == row.attempts
    assert run.server_saw == (0 if row.serve() == REFUSED else row.attempts)
    assert len(run.keys) <= 1, "every attempt must replay the same idempotency key"
    assert run.elapsed < run.attempts * TIMEOUT + sum(run.delays) + SLACK
    if run.sessions is not None:
        assert run.sessions <= 1, "a retried create made a second session"


@pytest.mark.parametrize("row", TRANSIENT, ids=[row.fault for row in TRANSIENT])
async def test_fault_once_is_cured_by_the_retry(row: Row) -> None:
    run = await exercise(row, times=1)
    assert run.error is None
    assert run.attempts == run.server_saw == 2
    assert len(run.keys) == 1
    if run.sessions is not None:
        assert run.sessions == 1


async def test_reuse_race_is_retried_on_a_fresh_connection_with_the_same_key() -> None:
    run = await exercise(REUSE_RACE, times=1)
    assert run.error is None
    first, second = run.connections
    assert first == 0 and second != first  # the stale connection was not tried twice
    assert len(run.keys) == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_huge_body_is_not_buffered(chunked: bool) -> None:
    limit = 1024 * 1024
    async with (
        ScriptedServer([endless_body(chunked=chunked)]) as server,
        server.client(retry=POLICY, max_response_bytes=limit) as client,
    ):
        with pytest.raises(APIResponseValidationError, match=f"max_response_bytes={limit}"):
            await create(client)
        # The client stopped reading at the limit: the rest of the 100 MB was never sent
        # (what is in flight is kernel socket buffers, a few MB at most).
        assert server.bytes_sent < limit + 24 * 1024 * 1024
        assert client.transport.in_flight() == 0
        await create(client)


async def test_max_response_bytes_is_configurable() -> None:
    async with (
        FakeQoderServer(token=TOKEN) as server,
        server.client(max_response_bytes=len(SESSION)) as client,
    ):
        server.inject(Fault.respond(201, SESSION))
        await create(client)
        server.inject(Fault.respond(201, SESSION + b" "))
        with pytest.raises(APIResponseValidationError, match="exceeds max_response_bytes"):
            await create(client)


@pytest.mark.parametrize(
    "fault",
    [Fault.delay(30), Fault.status_error(503, headers={"Retry-After": "0.2"})],
    ids=["slow headers", "503 storm"],
)
async def test_the_deadline_bounds_a_failing_call(fault: Fault) -> None:
    deadline = 0.8
    policy = RetryPolicy(max_retries=50, initial_delay=0.05, deadline=deadline)
    async with FakeQoderServer(token=TOKEN) as server:
        server.inject(fault, times=100)
        async with server.client(retry=policy, timeout=30) as client:
            started = time.monotonic()
            with pytest.raises((APITimeoutError, InternalServerError)):
                await create(client)
            assert time.monotonic() - started < deadline + SLACK
            assert client.transport.in_flight() == 0


async def test_a_429_storm_over_concurrent_calls_honours_retry_after() -> None:
    calls = 50
    retries: list[RetryInfo] = []
    async with FakeQoderServer(token=TOKEN) as server:
        # Every call's first two attempts are throttled, the third gets through.
        server.inject(Fault.status_error(429, headers={"Retry-After": "0.05"}), times=2 * calls)
        async with server.client(retry=POLICY, hooks=Hooks(on_retry=retries.append)) as client:
            started = time.monotonic()
            await asyncio.gather(*(create(client) for _ in range(calls)))
            elapsed = time.monotonic() - started
            assert client.transport.in_flight() == 0
        assert len(server.requests) == 3 * calls
        assert len(server.sessions) == calls
        assert [r.delay for r in retries] == [pytest.approx(0.05)] * (2 * calls)
        assert 0.1 <= elapsed < 0.1 + SLACK
        per_key: dict[str, list[str]] = {}
        for request in server.requests:
            per_key.setdefault(request.headers["Idempotency-Key"], []).append(
                request.headers["X-Qoder-Retry-Count"]
            )
        assert all(counts == ["0", "1", "2"] for counts in per_key.values())
