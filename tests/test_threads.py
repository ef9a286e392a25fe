"""sessions.threads and sessions.threads.events over loopback, against the fake server."""

from __future__ import annotations

import asyncio

import pytest
from conftest import AGENT, ENV

from qoder_async import (
    AgentThreadMessageReceivedEvent,
    AgentThreadMessageSentEvent,
    ConflictError,
    Event,
    InvalidParameterError,
    NotFoundError,
    ParameterTypeError,
    SessionThread,
    SessionThreadCreatedEvent,
    SessionThreadStatusIdleEvent,
    SessionThreadStatusRunningEvent,
    SessionThreadStatusTerminatedEvent,
    ThreadLifecycleEvent,
    UnknownEvent,
    request_id_of,
    user_message,
)
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio

SSE = "text/event-stream"
TERMINATED = "session.thread_status_terminated"


async def new_session(client) -> str:
    return (await client.sessions.create(agent=AGENT, environment_id=ENV)).id


def thread_path(session_id: str, thread_id: str, suffix: str = "") -> str:
    return f"/sessions/{session_id}/threads/{thread_id}{suffix}"


def thread_log(server: FakeQoderServer, session_id: str, thread_id: str) -> list[str]:
    """The ids of a thread's stored events, oldest first."""
    return [
        e["id"] for e in server.events.log(session_id) if e.get("session_thread_id") == thread_id
    ]


def say(server: FakeQoderServer, sid: str, tid: str, n: int) -> None:
    server.events.emit_thread_event(
        sid,
        tid,
        "agent.thread_message_sent",
        content=[{"type": "text", "text": f"step {n}"}],
        to_session_thread_id="sthr_other",
        to_agent_name="critic",
    )


# -- threads --------------------------------------------------------------------------


async def test_list_retrieve_archive(fake_qoder: FakeQoderServer, qoder_client) -> None:
    sid = await new_session(qoder_client)
    first = fake_qoder.events.create_thread(sid, agent_name="researcher")
    second = fake_qoder.events.create_thread(sid, agent_name="critic", parent_thread_id=first["id"])
    threads = qoder_client.sessions.threads

    listed = [t async for t in threads.list(sid)]
    assert [t.id for t in listed] == [first["id"], second["id"]]
    assert all(isinstance(t, SessionThread) for t in listed)
    assert [t.agent.name for t in listed] == ["researcher", "critic"]
    assert listed[1].parent_thread_id == first["id"] and listed[1].status == "running"

    thread = await threads.retrieve(first["id"], session_id=sid)
    assert thread == listed[0] and thread.session_id == sid
    assert thread.stats is not None and thread.stats.startup_seconds == 0
    assert request_id_of(thread) is not None

    archived = await threads.archive(first["id"], session_id=sid)
    assert archived.archived_at is not None and archived.id == first["id"]
    [post] = fake_qoder.requests_to("POST", thread_path(sid, first["id"], "/archive"))
    assert post.headers["Idempotency-Key"] and post.json() == {}
    with pytest.raises(ConflictError):
        await threads.archive(first["id"], session_id=sid)


async def test_list_pages_with_limit(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    made = [fake_qoder.events.create_thread(sid)["id"] for _ in range(3)]
    listed = [t.id async for t in qoder_client.sessions.threads.list(sid, limit=2)]
    assert listed == made
    first, second = fake_qoder.requests_to("GET", f"/sessions/{sid}/threads")
    assert first.query == {"limit": "2"}
    assert second.query == {"limit": "2", "page": "page_2"}


async def test_an_unknown_thread_is_not_found(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    with pytest.raises(NotFoundError):
        await qoder_client.sessions.threads.retrieve("sthr_missing", session_id=sid)


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"thread_id": 7, "session_id": "sess_1"}, ParameterTypeError, "thread_id"),
        ({"thread_id": "", "session_id": "sess_1"}, InvalidParameterError, "thread_id"),
        ({"thread_id": ".", "session_id": "sess_1"}, InvalidParameterError, "thread_id"),
        ({"thread_id": "..", "session_id": "sess_1"}, InvalidParameterError, "thread_id"),
        ({"thread_id": "a/b", "session_id": "sess_1"}, InvalidParameterError, "thread_id"),
        ({"thread_id": "t?x=1", "session_id": "sess_1"}, InvalidParameterError, "thread_id"),
        ({"thread_id": "sthr_1", "session_id": "thread_1"}, InvalidParameterError, "session_id"),
        ({"thread_id": "sthr_1", "session_id": None}, ParameterTypeError, "session_id"),
    ],
)
async def test_bad_ids_raise_before_anything_is_sent(
    fake_qoder, qoder_client, kwargs, error, field
) -> None:
    threads = qoder_client.sessions.threads
    calls = [
        lambda: threads.retrieve(**kwargs),
        lambda: threads.archive(**kwargs),
    ]
    for call in calls:
        with pytest.raises(error) as caught:
            await call()
        assert caught.value.field == field
    thread_id, session_id = kwargs["thread_id"], kwargs["session_id"]
    for build in (threads.events.list, threads.events.stream):
        with pytest.raises(error):
            build(thread_id, session_id=session_id)
    with pytest.raises(InvalidParameterError):
        threads.list("sess_1", limit=0)
    with pytest.raises(InvalidParameterError):
        threads.events.list("sthr_1", session_id="sess_1", page="p", after_id="evt_1")
    with pytest.raises(ParameterTypeError):
        threads.events.stream("sthr_1", session_id="sess_1", last_event_id=5)
    assert fake_qoder.requests == []


async def test_ids_without_a_prefix_are_accepted_and_quoted(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    with pytest.raises(NotFoundError):
        await qoder_client.sessions.threads.retrieve("thread:42@x", session_id=sid)
    assert fake_qoder.requests[-1].path == thread_path(sid, "thread:42@x")


# -- thread events ----------------------------------------------------------------------


async def test_thread_events_are_typed_and_only_the_thread_s(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    await qoder_client.sessions.events.run_turn(sid, "hello")  # session-level events
    tid = fake_qoder.events.create_thread(sid, agent_name="researcher")["id"]
    other = fake_qoder.events.create_thread(sid)["id"]
    say(fake_qoder, sid, tid, 1)
    fake_qoder.events.emit_thread_event(
        sid,
        tid,
        "agent.thread_message_received",
        content=[{"type": "text", "text": "done"}],
        from_session_thread_id=other,
        from_agent_name="worker",
    )
    fake_qoder.events.emit_thread_event(
        sid, tid, "session.thread_status_idle", stop_reason={"type": "end_turn"}
    )
    events = [e async for e in qoder_client.sessions.threads.events.list(tid, session_id=sid)]
    assert [type(e) for e in events] == [
        SessionThreadCreatedEvent,
        SessionThreadStatusRunningEvent,
        AgentThreadMessageSentEvent,
        AgentThreadMessageReceivedEvent,
        SessionThreadStatusIdleEvent,
    ]
    assert [e.id for e in events] == thread_log(fake_qoder, sid, tid)
    assert all(e.session_thread_id == tid for e in events)
    assert all(isinstance(e, ThreadLifecycleEvent) for e in (events[0], events[1], events[4]))
    assert events[0].agent_name == "researcher"
    assert events[2].text == "step 1" and events[2].to_agent_name == "critic"
    assert events[3].text == "done" and events[3].from_session_thread_id == other
    assert events[4].stop_reason is not None and events[4].stop_reason.type == "end_turn"
    assert (await qoder_client.sessions.threads.retrieve(tid, session_id=sid)).status == "idle"


async def test_thread_events_list_sends_cursors_and_limit(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    tid = fake_qoder.events.create_thread(sid)["id"]
    for n in range(3):
        say(fake_qoder, sid, tid, n)
    ids = thread_log(fake_qoder, sid, tid)
    events = qoder_client.sessions.threads.events
    after = [e.id async for e in events.list(tid, session_id=sid, after_id=ids[1], limit=2)]
    assert after == ids[2:]
    requests = fake_qoder.requests_to("GET", thread_path(sid, tid, "/events"))
    assert requests[0].query == {"after_id": ids[1], "limit": "2"}
    # the cursor is sent with the first request only; later pages follow next_page
    assert all("after_id" not in r.query for r in requests[1:])


async def test_an_unknown_thread_event_type_is_an_unknown_event(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    tid = fake_qoder.events.create_thread(sid)["id"]
    fake_qoder.events.emit_thread_event(sid, tid, "session.thread_context_compacted", tokens=9)
    fake_qoder.events.emit_thread_event(sid, tid, TERMINATED)
    listed = [e async for e in qoder_client.sessions.threads.events.list(tid, session_id=sid)]
    async with qoder_client.sessions.threads.events.stream(tid, session_id=sid) as stream:
        streamed = [e async for e in stream]
    for events in (listed, streamed):
        unknown = events[2]
        assert type(unknown) is UnknownEvent
        assert unknown.type == "session.thread_context_compacted"
        assert unknown.raw["tokens"] == 9 and unknown.raw["session_thread_id"] == tid


# -- the thread stream -----------------------------------------------------------------


async def test_stream_path_headers_and_its_end(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    tid = fake_qoder.events.create_thread(sid)["id"]
    stream = qoder_client.sessions.threads.events.stream(
        tid, session_id=sid, event_deltas=["agent.message"]
    )
    async with stream:
        say(fake_qoder, sid, tid, 1)
        fake_qoder.events.emit_thread_event(sid, tid, TERMINATED)
        events = [e async for e in stream]  # no break: the stream ends with its thread
    assert isinstance(events[-1], SessionThreadStatusTerminatedEvent)
    assert [e.id for e in events] == thread_log(fake_qoder, sid, tid)
    assert stream.closed and stream.reconnects == 0
    [request] = fake_qoder.requests_to("GET", thread_path(sid, tid, "/stream"))
    assert request.headers["Accept"] == SSE and "Last-Event-ID" not in request.headers
    assert request.query == {"event_deltas[]": "agent.message"}
    assert not fake_qoder.requests_to("GET", thread_path(sid, tid, "/events/stream"))
    assert qoder_client.transport.in_flight() == 0


async def test_a_cut_mid_stream_resumes_without_loss_or_duplicates(fake_qoder, qoder_client):
    sid = await new_session(qoder_client)
    tid = fake_qoder.events.create_thread(sid)["id"]
    for n in range(3):
        say(fake_qoder, sid, tid, n)
    path = thread_path(sid, tid, "/stream")
    fake_qoder.inject(Fault.cut_stream(after_events=4), path=path)
    fake_qoder.inject(Fault.cut_stream(after_events=2, partial_frame=True), path=path)

    async def agent() -> None:
        for n in range(3, 8):
            await asyncio.sleep(0.005)
            say(fake_qoder, sid, tid, n)
        fake_qoder.events.emit_thread_event(sid, tid, TERMINATED)

    async with qoder_client.sessions.threads.events.stream(tid, session_id=sid) as stream:
        task = asyncio.create_task(agent())
        events = [e async for e in stream]
        await task
        assert stream.reconnects == 2
    ids = [e.id for e in events]
    assert ids == thread_log(fake_qoder, sid, tid)  # none twice, none missing
    assert len(set(ids)) == len(ids) == 11
    assert [e.text for e in events if isinstance(e, AgentThreadMessageSentEvent)] == [
        f"step {n}" for n in range(8)
    ]
    first, second, third = fake_qoder.requests_to("GET", path)
    assert "Last-Event-ID" not in first.headers
    assert second.headers["Last-Event-ID"] == ids[3]
    assert third.headers["Last-Event-ID"] == ids[5]
    assert fake_qoder.events.stream_resumes[-2:] == [ids[3], ids[5]]
    assert qoder_client.transport.in_flight() == 0


async def test_a_stalled_thread_stream_is_resumed(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    tid = fake_qoder.events.create_thread(sid)["id"]
    say(fake_qoder, sid, tid, 0)
    fake_qoder.events.emit_thread_event(sid, tid, TERMINATED)
    path = thread_path(sid, tid, "/stream")
    fake_qoder.inject(Fault.stall_stream(after_events=2), path=path)
    stream = qoder_client.sessions.threads.events.stream(tid, session_id=sid, idle_timeout=0.2)
    async with stream:
        events = [e async for e in stream]
        assert stream.reconnects == 1
    assert [e.id for e in events] == thread_log(fake_qoder, sid, tid)
    assert fake_qoder.requests_to("GET", path)[1].headers["Last-Event-ID"] == events[1].id


async def test_last_event_id_starts_after_that_event(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    tid = fake_qoder.events.create_thread(sid)["id"]
    say(fake_qoder, sid, tid, 0)
    fake_qoder.events.emit_thread_event(sid, tid, TERMINATED)
    ids = thread_log(fake_qoder, sid, tid)
    events = qoder_client.sessions.threads.events
    async with events.stream(tid, session_id=sid, last_event_id=ids[1]) as stream:
        rest = [e.id async for e in stream]
    assert rest == ids[2:]


async def test_terminating_the_session_ends_its_thread_streams(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    tid = fake_qoder.events.create_thread(sid)["id"]
    async with qoder_client.sessions.threads.events.stream(tid, session_id=sid) as stream:
        fake_qoder.events.terminate(sid)
        events: list[Event] = [e async for e in stream]
    assert isinstance(events[-1], SessionThreadStatusTerminatedEvent)
    assert stream.closed
    thread = await qoder_client.sessions.threads.retrieve(tid, session_id=sid)
    assert thread.status == "terminated"


async def test_the_session_stream_carries_thread_events_typed(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    async with qoder_client.sessions.events.stream(sid) as stream:
        await qoder_client.sessions.events.send(sid, [user_message("delegate")])
        await fake_qoder.events.wait_idle(sid)
        tid = fake_qoder.events.create_thread(sid, agent_name="researcher")["id"]
        fake_qoder.events.emit_thread_event(sid, tid, TERMINATED)
        fake_qoder.events.terminate(sid)
        events = [e async for e in stream]
    threads = [e for e in events if isinstance(e, ThreadLifecycleEvent)]
    assert [type(e) for e in threads] == [
        SessionThreadCreatedEvent,
        SessionThreadStatusRunningEvent,
        SessionThreadStatusTerminatedEvent,
    ]
    # a thread's termination does not end the session's stream; the session's does
    assert events[-1].type == "session.status_terminated"
