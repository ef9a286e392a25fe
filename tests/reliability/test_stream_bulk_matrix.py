"""The fault matrix, continued: the event stream and bulk creation.

``STREAM_MATRIX`` reads like ``MATRIX`` in test_fault_matrix.py: the fault, the outcome,
and the number of stream connections the server saw. For every row the events the
consumer got are exactly the server's log (none lost, none twice), each reconnect resumes
with the ``Last-Event-ID`` of the last complete event, and the pool is healthy afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import anyio
import attrs
import pytest
from conftest import AGENT, ENV

from qoder_async import (
    AsyncQoder,
    ClientClosedError,
    Event,
    EventDeltaEvent,
    EventStartEvent,
    InternalServerError,
    QoderError,
    RetryPolicy,
    SessionStatusIdleEvent,
    user_message,
)
from qoder_async.testing import FakeQoderServer, Fault

from ._servers import TOKEN, ScriptedServer, ThreadedFakeServer, slow_event_stream

pytestmark = pytest.mark.anyio

POLICY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)
SLACK = 1.0

Inject = Callable[[FakeQoderServer, str], None]


def nothing(server: FakeQoderServer, path: str) -> None:
    pass


@attrs.frozen
class StreamRow:
    fault: str
    inject: Inject
    outcome: type[QoderError] | None  # None: the turn is read to its end
    connections: int
    idle_timeout: float = 5.0
    agent_delay: float = 0.002


STREAM_MATRIX = [
    StreamRow(
        "disconnect mid-stream (reset after 3 frames)",
        lambda s, p: s.inject(Fault.cut_stream(after_events=3), path=p),
        None,
        2,
    ),
    StreamRow(
        "truncated frame, then reset",
        lambda s, p: s.inject(Fault.cut_stream(after_events=3, partial_frame=True), path=p),
        None,
        2,
    ),
    StreamRow(
        "two disconnects in one turn",
        lambda s, p: [s.inject(Fault.cut_stream(after_events=n), path=p) for n in (2, 2)],
        None,
        3,
    ),
    StreamRow("slow frames, gaps below idle_timeout", nothing, None, 1, 0.4, agent_delay=0.08),
    StreamRow(
        "silence past idle_timeout",
        lambda s, p: s.inject(Fault.stall_stream(after_events=2), path=p),
        None,
        2,
        idle_timeout=0.25,
    ),
    StreamRow(
        "reconnect answered 503 once",
        lambda s, p: [
            s.inject(Fault.cut_stream(after_events=3), path=p),
            s.inject(Fault.status_error(503), path=p),
        ],
        None,
        3,
    ),
    StreamRow(
        "every reconnect answered 503",
        lambda s, p: [
            s.inject(Fault.cut_stream(after_events=3), path=p),
            s.inject(Fault.status_error(503), times=50, path=p),
        ],
        InternalServerError,
        3,  # the cut connection, then max_reconnects=2 refused attempts
    ),
]


def complete_ids(events: list[Event]) -> list[str | None]:
    return [e.id for e in events if not isinstance(e, (EventStartEvent, EventDeltaEvent))]


@pytest.mark.parametrize("row", STREAM_MATRIX, ids=[row.fault for row in STREAM_MATRIX])
async def test_stream_fault(row: StreamRow) -> None:
    async with FakeQoderServer(token=TOKEN) as server, server.client(retry=POLICY) as client:
        server.events.agent_delay = row.agent_delay
        server.events.reply = lambda text: [f"{text} {n}" for n in range(4)]
        session = await client.sessions.create(agent=AGENT, environment_id=ENV)
        path = f"/sessions/{session.id}/events/stream"
        row.inject(server, path)
        events: list[Event] = []
        error: QoderError | None = None
        started = time.monotonic()
        try:
            with anyio.fail_after(15):
                async with client.sessions.events.stream(
                    session.id, idle_timeout=row.idle_timeout, max_reconnects=2
                ) as stream:
                    await client.sessions.events.send(session.id, [user_message("turn")])
                    async for event in stream:
                        events.append(event)
                        if isinstance(event, SessionStatusIdleEvent):
                            break
        except QoderError as exc:
            error = exc
        elapsed = time.monotonic() - started
        connections = server.requests_to("GET", path)
        assert len(connections) == row.connections
        if row.outcome is None:
            assert error is None
            assert complete_ids(events) == [e["id"] for e in server.events.log(session.id)]
        else:
            assert type(error) is row.outcome
            log_ids = [e["id"] for e in server.events.log(session.id)]
            assert complete_ids(events) == log_ids[: len(events)]  # a prefix, in order
        # Every reconnect resumed after a complete event the consumer had, never going back.
        ids = complete_ids(events)
        assert "Last-Event-ID" not in connections[0].headers
        resumes = [request.headers.get("Last-Event-ID") for request in connections[1:]]
        assert all(resume in ids for resume in resumes), resumes
        positions = [ids.index(resume) for resume in resumes]
        assert positions == sorted(positions)
        # Bounded: the events take agent_delay each; reconnect delays and timeouts on top.
        assert elapsed < 12 * row.agent_delay + row.idle_timeout * (row.connections - 1) + SLACK
        assert client.transport.in_flight() == 0
        await client.sessions.create(agent=AGENT, environment_id=ENV)


TERMINATED = b"id: evt_3\nevent: session.status_terminated\ndata: {}\n\n"
SLOW_BODY = (
    b'id: evt_1\nevent: agent.message\ndata: {"content": [{"type": "text", "text": "a"}]}\n\n'
    b': heartbeat\n\nid: evt_2\nevent: agent.message\ndata: {"content": []}\n\n' + TERMINATED
)


async def test_slow_frames_are_not_cut_by_the_call_timeout() -> None:
    # 180 bytes, 5 ms apart: ~1 s of stream, far past timeout=0.2, never idle for 0.15 s.
    async with (
        ScriptedServer([slow_event_stream(SLOW_BODY, gap=0.005)]) as server,
        server.client(timeout=0.2, retry=POLICY) as client,
    ):
        started = time.monotonic()
        with anyio.fail_after(15):
            async with client.sessions.events.stream("sess_1", idle_timeout=0.15) as stream:
                events = [event async for event in stream]
        assert time.monotonic() - started > 0.2 * 3
        assert [e.id for e in events] == ["evt_1", "evt_2", "evt_3"]
        assert stream.reconnects == 0 and len(server.requests) == 1
        assert client.transport.in_flight() == 0


# -- bulk --------------------------------------------------------------------------------

ITEMS = [{"agent": AGENT, "environment_id": ENV, "title": f"job {n}"} for n in range(300)]


async def test_cancelling_a_batch_returns_every_connection() -> None:
    baseline = asyncio.all_tasks()
    threaded = ThreadedFakeServer()
    with threaded as server:
        threaded.call(lambda: server.inject(Fault.delay(30), times=1000, method="POST"))
        async with server.client(retry=POLICY) as client:
            results = []

            async def consume() -> None:
                async for result in client.sessions.create_many(ITEMS, concurrency=16):
                    results.append(result)

            with anyio.fail_after(15):
                async with anyio.create_task_group() as group:
                    group.start_soon(consume)
                    while len(server.requests) < 16:
                        await anyio.sleep(0.01)
                    group.cancel_scope.cancel()
            pool = client.transport
            assert pool.in_flight() == 0
            assert not pool.http_session.connector._waiters
            await anyio.sleep(0.05)
            current = asyncio.current_task()
            assert [t for t in asyncio.all_tasks() - baseline if t is not current] == []
            assert results == [] and len(server.requests) == 16
            threaded.call(server.clear_faults)
            await client.sessions.create(agent=AGENT, environment_id=ENV)
            assert pool.in_flight() == 0


async def test_closing_the_client_mid_batch_fails_every_item_clearly() -> None:
    async with FakeQoderServer(token=TOKEN) as server:
        server.inject(Fault.delay(30), times=1000, method="POST")
        client: AsyncQoder = server.client(retry=POLICY)
        results = []

        async def consume() -> None:
            async for result in client.sessions.create_many(ITEMS[:100], concurrency=8):
                results.append(result)

        task = asyncio.create_task(consume())
        with anyio.fail_after(10):
            while len(server.requests) < 8:
                await anyio.sleep(0.01)
            await client.aclose()
            await task
        assert len(results) == 100  # one result per item, none lost
        assert {type(r.error) for r in results} == {ClientClosedError}
        assert len(server.requests) == 8
