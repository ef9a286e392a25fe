"""events.stream over loopback: SSE rules on the published transcripts, resume, release."""

from __future__ import annotations

import asyncio
import gc

import pytest
from conftest import AGENT, ENV, sample

from qoder_async import (
    AgentMessageEvent,
    AgentThinkingEvent,
    AgentToolResultEvent,
    AgentToolUseEvent,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    AuthenticationError,
    Event,
    EventDeltaEvent,
    EventStartEvent,
    NotFoundError,
    SessionStatusIdleEvent,
    SessionStatusRunningEvent,
    SessionStatusTerminatedEvent,
    SpanModelRequestEndEvent,
    SpanModelRequestStartEvent,
    UnknownEvent,
    UserMessageEvent,
    user_message,
)
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio

TERMINATED = b"id: evt_end\nevent: session.status_terminated\ndata: {}\n\n"
SSE = "text/event-stream"


async def new_session(client) -> str:
    return (await client.sessions.create(agent=AGENT, environment_id=ENV)).id


def stream_path(session_id: str) -> str:
    return f"/sessions/{session_id}/events/stream"


async def collect(stream, until=SessionStatusIdleEvent) -> list[Event]:
    events = []
    async for event in stream:
        events.append(event)
        if isinstance(event, until):
            break
    return events


def complete_ids(events: list[Event]) -> list[str]:
    return [e.id for e in events if not isinstance(e, (EventStartEvent, EventDeltaEvent))]


# -- live -----------------------------------------------------------------------------


async def test_open_then_send_streams_the_turn(fake_qoder: FakeQoderServer, qoder_client) -> None:
    sid = await new_session(qoder_client)
    async with qoder_client.sessions.events.stream(sid) as stream:
        await qoder_client.sessions.events.send(sid, [user_message("hello there")])
        events = await collect(stream)
    assert [type(e) for e in events] == [
        UserMessageEvent,
        SessionStatusRunningEvent,
        AgentMessageEvent,
        SpanModelRequestEndEvent,
        SessionStatusIdleEvent,
    ]
    assert events[2].text == "hello there"
    assert events[-1].stop_reason is not None and events[-1].stop_reason.type == "end_turn"
    assert complete_ids(events) == [e["id"] for e in fake_qoder.events.log(sid)]
    [request] = fake_qoder.requests_to("GET", stream_path(sid))
    assert request.headers["Accept"] == SSE
    assert request.headers["Authorization"] == f"Bearer {fake_qoder.token}"
    assert "Idempotency-Key" not in request.headers and "Last-Event-ID" not in request.headers
    assert qoder_client.transport.in_flight() == 0


async def test_event_deltas_yield_previews_then_the_final_message(fake_qoder, qoder_client):
    fake_qoder.events.agent_delay = 0.001
    sid = await new_session(qoder_client)
    events = qoder_client.sessions.events
    async with events.stream(sid, event_deltas=["agent.message"]) as stream:
        await events.send(sid, [user_message("one two three")])
        seen = await collect(stream)
    start = next(e for e in seen if isinstance(e, EventStartEvent))
    deltas = [e for e in seen if isinstance(e, EventDeltaEvent)]
    final = next(e for e in seen if isinstance(e, AgentMessageEvent))
    assert start.target_type == "agent.message" and start.target_id == final.id
    assert "".join(d.text for d in deltas) == final.text == "one two three"
    assert {d.event_id for d in deltas} == {final.id}
    assert seen.index(start) < seen.index(deltas[-1]) < seen.index(final)
    [request] = fake_qoder.requests_to("GET", stream_path(sid))
    assert request.query == {"event_deltas[]": "agent.message"}


async def test_resuming_inside_a_preview_skips_previews_already_sent(fake_qoder, qoder_client):
    fake_qoder.events.agent_delay = 0.05
    sid = await new_session(qoder_client)
    events = qoder_client.sessions.events
    async with events.stream(sid, event_deltas=["agent.message"]) as first:
        await events.send(sid, [user_message("a b c d e")])
        async for event in first:
            if isinstance(event, EventDeltaEvent):
                break
    # A second stream that starts at the in-flight message's id gets only what follows.
    async with events.stream(
        sid, last_event_id=event.event_id, event_deltas=["agent.message"]
    ) as second:
        rest = await collect(second)
    assert not any(isinstance(e, EventStartEvent) for e in rest)
    pieces = [e.text for e in rest if isinstance(e, EventDeltaEvent)]
    assert pieces and "a" not in pieces
    assert isinstance(rest[len(pieces)], AgentMessageEvent)


# -- resume ---------------------------------------------------------------------------


@pytest.mark.parametrize("partial_frame", [False, True])
async def test_two_forced_disconnects_mid_turn(fake_qoder, qoder_client, partial_frame) -> None:
    fake_qoder.events.agent_delay = 0.002
    fake_qoder.events.reply = lambda text: [f"{text} {n}" for n in range(6)]
    sid = await new_session(qoder_client)
    path = stream_path(sid)
    fake_qoder.inject(Fault.cut_stream(after_events=3, partial_frame=partial_frame), path=path)
    fake_qoder.inject(Fault.cut_stream(after_events=2, partial_frame=partial_frame), path=path)
    async with qoder_client.sessions.events.stream(sid) as stream:
        await qoder_client.sessions.events.send(sid, [user_message("part")])
        events = await collect(stream)
        assert stream.reconnects == 2
    ids = complete_ids(events)
    assert ids == [e["id"] for e in fake_qoder.events.log(sid)]  # none twice, none missing
    assert len(set(ids)) == len(ids) == 10
    assert [e.text for e in events if isinstance(e, AgentMessageEvent)] == [
        f"part {n}" for n in range(6)
    ]
    first, second, third = fake_qoder.requests_to("GET", path)
    assert "Last-Event-ID" not in first.headers
    assert second.headers["Last-Event-ID"] == ids[2]
    assert third.headers["Last-Event-ID"] == ids[4]
    assert "evt_partial" not in ids
    assert qoder_client.transport.in_flight() == 0


async def test_a_cut_during_previews_never_loses_the_final_message(fake_qoder, qoder_client):
    fake_qoder.events.agent_delay = 0.002
    sid = await new_session(qoder_client)
    # user.message, status_running, event_start, delta "a" | cut
    fake_qoder.inject(Fault.cut_stream(after_events=4), path=stream_path(sid))
    events = qoder_client.sessions.events
    async with events.stream(sid, event_deltas=["agent.message"]) as stream:
        await events.send(sid, [user_message("a b c")])
        seen = await collect(stream)
    finals = [e for e in seen if isinstance(e, AgentMessageEvent)]
    assert [f.text for f in finals] == ["a b c"]
    assert complete_ids(seen) == [e["id"] for e in fake_qoder.events.log(sid)]
    # previews never move the cursor: the resume starts after the last complete event
    second = fake_qoder.requests_to("GET", stream_path(sid))[1]
    assert second.headers["Last-Event-ID"] == complete_ids(seen)[1]


async def test_silence_past_idle_timeout_triggers_a_resume(fake_qoder, qoder_client) -> None:
    fake_qoder.events.heartbeat_interval = 0.02
    sid = await new_session(qoder_client)
    await qoder_client.sessions.events.send(sid, [user_message("x")])
    await fake_qoder.events.wait_idle(sid)
    # Two events, then nothing at all (not even heartbeats) on an open connection.
    fake_qoder.inject(Fault.stall_stream(after_events=2), path=stream_path(sid))
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with qoder_client.sessions.events.stream(sid, idle_timeout=0.25) as stream:
        events = await collect(stream)
        assert stream.reconnects == 1
    assert loop.time() - started >= 0.25
    assert complete_ids(events) == [e["id"] for e in fake_qoder.events.log(sid)]
    second = fake_qoder.requests_to("GET", stream_path(sid))[1]
    assert second.headers["Last-Event-ID"] == events[1].id


@pytest.mark.parametrize("style", ["comment", "event"])
async def test_heartbeats_keep_a_quiet_stream_alive(fake_qoder, qoder_client, style) -> None:
    fake_qoder.events.heartbeat_interval = 0.03
    fake_qoder.events.heartbeat_style = style
    fake_qoder.events.agent_delay = 0.2  # each gap is longer than idle_timeout
    sid = await new_session(qoder_client)
    async with qoder_client.sessions.events.stream(sid, idle_timeout=0.12) as stream:
        await qoder_client.sessions.events.send(sid, [user_message("slow")])
        events = await collect(stream)
        assert stream.reconnects == 0
    assert all(e.type not in ("heartbeat", "ping") for e in events)
    assert isinstance(events[-1], SessionStatusIdleEvent)


async def test_replayed_events_are_not_yielded_twice(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    path = stream_path(sid)
    a = b'id: evt_a\ndata: {"type":"agent.message","content":"A"}\n\n'
    b = b'id: evt_b\ndata: {"type":"agent.message","content":"B"}\n\n'
    c = b'id: evt_c\ndata: {"type":"agent.message","content":"C"}\n\n'
    fake_qoder.inject(Fault.respond(200, a + b, content_type=SSE), path=path)
    # a server that replays more than asked for
    fake_qoder.inject(Fault.respond(200, a + b + c + TERMINATED, content_type=SSE), path=path)
    async with qoder_client.sessions.events.stream(sid) as stream:
        texts = [e.text async for e in stream if isinstance(e, AgentMessageEvent)]
    assert texts == ["A", "B", "C"]
    assert fake_qoder.requests_to("GET", path)[1].headers["Last-Event-ID"] == "evt_b"


async def test_a_retryable_status_on_reconnect_is_retried(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    path = stream_path(sid)
    fake_qoder.inject(Fault.status_error(503), times=2, path=path)
    fake_qoder.inject(Fault.respond(200, TERMINATED, content_type=SSE), path=path)
    async with qoder_client.sessions.events.stream(sid) as stream:
        events = [e async for e in stream]
    assert [type(e) for e in events] == [SessionStatusTerminatedEvent]
    retries = [r.headers["X-Qoder-Retry-Count"] for r in fake_qoder.requests_to("GET", path)]
    assert retries == ["0", "1", "2"]


async def test_giving_up_after_max_reconnects(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    fake_qoder.inject(Fault.reset(), times=10, path=stream_path(sid))
    stream = qoder_client.sessions.events.stream(sid, max_reconnects=2)
    with pytest.raises(APIConnectionError):
        async with stream:
            pass
    # three logical attempts (aiohttp itself may repeat a GET once on a dead keep-alive socket)
    attempts = {
        r.headers["X-Qoder-Retry-Count"] for r in fake_qoder.requests_to("GET", stream_path(sid))
    }
    assert attempts == {"0", "1", "2"}
    assert qoder_client.transport.in_flight() == 0


# -- ending and releasing -------------------------------------------------------------


async def test_terminated_ends_the_stream(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    stream = qoder_client.sessions.events.stream(sid)
    async with stream:
        await qoder_client.sessions.events.send(sid, [user_message("bye")])
        await fake_qoder.events.wait_idle(sid)
        fake_qoder.events.terminate(sid)
        events = [e async for e in stream]
    assert isinstance(events[-1], SessionStatusTerminatedEvent)
    assert stream.closed and stream.reconnects == 0
    assert len(fake_qoder.requests_to("GET", stream_path(sid))) == 1
    assert qoder_client.transport.in_flight() == 0


async def test_the_terminal_event_frees_the_connection_at_once(fake_qoder, qoder_client):
    sid = await new_session(qoder_client)
    fake_qoder.events.terminate(sid)
    stream = qoder_client.sessions.events.stream(sid)
    assert isinstance(await stream.__anext__(), SessionStatusTerminatedEvent)
    assert qoder_client.transport.in_flight() == 0  # before anyone asks for more


async def test_aclose_from_another_task_ends_the_iteration(fake_qoder, qoder_client) -> None:
    fake_qoder.events.heartbeat_interval = 0.02
    sid = await new_session(qoder_client)
    stream = qoder_client.sessions.events.stream(sid)
    await stream.__aenter__()
    consumer = asyncio.create_task(collect(stream))
    await asyncio.sleep(0.05)
    await stream.aclose()
    assert await asyncio.wait_for(consumer, 5) == []
    assert len(fake_qoder.requests_to("GET", stream_path(sid))) == 1  # no reconnect
    assert qoder_client.transport.in_flight() == 0


async def test_break_inside_async_with_releases_the_connection(fake_qoder, qoder_client):
    sid = await new_session(qoder_client)
    await qoder_client.sessions.events.send(sid, [user_message("x")])
    async with qoder_client.sessions.events.stream(sid) as stream:
        async for _ in stream:
            assert qoder_client.transport.in_flight() == 1
            break
    assert qoder_client.transport.in_flight() == 0
    assert stream.closed
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_break_out_of_a_bare_async_for_releases_the_connection(fake_qoder, qoder_client):
    sid = await new_session(qoder_client)
    await qoder_client.sessions.events.send(sid, [user_message("x")])
    async for _ in qoder_client.sessions.events.stream(sid):
        break
    gc.collect()
    assert qoder_client.transport.in_flight() == 0


async def test_cancelling_the_consumer_releases_the_connection(fake_qoder, qoder_client):
    fake_qoder.events.heartbeat_interval = 0.02
    sid = await new_session(qoder_client)
    received = asyncio.Event()

    async def consume() -> None:
        async with qoder_client.sessions.events.stream(sid) as stream:
            await qoder_client.sessions.events.send(sid, [user_message("x")])
            async for event in stream:
                if isinstance(event, SessionStatusIdleEvent):
                    received.set()  # then keep waiting on a quiet stream

    task = asyncio.create_task(consume())
    await asyncio.wait_for(received.wait(), 5)
    await asyncio.sleep(0.05)
    assert qoder_client.transport.in_flight() == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert qoder_client.transport.in_flight() == 0


async def test_a_cancelled_read_resumes_on_the_next_iteration(fake_qoder, qoder_client):
    fake_qoder.events.heartbeat_interval = 0.02
    sid = await new_session(qoder_client)
    events = qoder_client.sessions.events
    async with events.stream(sid) as stream:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(stream.__anext__(), 0.1)  # nothing to read yet
        assert qoder_client.transport.in_flight() == 0
        await events.send(sid, [user_message("later")])
        seen = await collect(stream)
    assert complete_ids(seen) == [e["id"] for e in fake_qoder.events.log(sid)]


async def test_aclose_is_idempotent(qoder_client) -> None:
    sid = await new_session(qoder_client)
    stream = qoder_client.sessions.events.stream(sid)
    await stream.__aenter__()
    await stream.aclose()
    await stream.aclose()
    assert [e async for e in stream] == []
    assert qoder_client.transport.in_flight() == 0


# -- errors ---------------------------------------------------------------------------


async def test_unknown_session_raises_on_entry_without_retrying(fake_qoder, qoder_client):
    stream = qoder_client.sessions.events.stream("sess_missing")
    with pytest.raises(NotFoundError):
        async with stream:
            pass
    assert len(fake_qoder.requests_to("GET", stream_path("sess_missing"))) == 1
    assert qoder_client.transport.in_flight() == 0


async def test_bad_token_is_an_authentication_error(fake_qoder) -> None:
    async with fake_qoder.client(api_key="pt-wrong") as client:
        with pytest.raises(AuthenticationError):
            async for _ in client.sessions.events.stream("sess_1"):
                pass


async def test_json_instead_of_an_event_stream_is_refused(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    fake_qoder.inject(Fault.respond(200, {"data": []}), path=stream_path(sid))
    with pytest.raises(APIResponseValidationError, match="text/event-stream"):
        async for _ in qoder_client.sessions.events.stream(sid):
            pass
    assert qoder_client.transport.in_flight() == 0


async def test_an_error_frame_raises(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    body = b'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"boom"}}\n\n'
    fake_qoder.inject(Fault.respond(200, body, content_type=SSE), path=stream_path(sid))
    with pytest.raises(APIError, match="boom"):
        async for _ in qoder_client.sessions.events.stream(sid):
            pass
    assert qoder_client.transport.in_flight() == 0


async def test_unknown_and_odd_frames_are_yielded_not_fatal(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    body = (
        b'id: evt_1\nevent: agent.brand_new\ndata: {"type":"agent.brand_new","x":[1]}\n\n'
        b"id: evt_2\nevent: mystery\ndata: not json\n\n"
        b'id: evt_3\ndata: {"type":"agent.message","content":42}\n\n'
        b"data: [DONE]\n\n"
    )
    fake_qoder.inject(Fault.respond(200, body, content_type=SSE), path=stream_path(sid))
    async with qoder_client.sessions.events.stream(sid) as stream:
        events = [e async for e in stream]
    assert all(isinstance(e, UnknownEvent) for e in events)
    assert [(e.id, e.type) for e in events] == [
        ("evt_1", "agent.brand_new"),
        ("evt_2", "mystery"),
        ("evt_3", "agent.message"),
    ]
    assert events[0].raw["x"] == [1] and events[1].raw["data"] == "not json"
    assert len(fake_qoder.requests_to("GET", stream_path(sid))) == 1  # [DONE] ends it


# -- the published transcripts, served verbatim -----------------------------------------

TRANSCRIPTS = {
    "stream.cookbook.sse": (
        [AgentMessageEvent, SpanModelRequestEndEvent, SessionStatusIdleEvent],
        ["<EVENT_ID>"] * 3,
        "<EVENT_ID>",
    ),
    "stream.deltas.v3.sse": (
        [EventStartEvent, EventDeltaEvent],
        ["evt_00jjujk9fbnr4wkj2gh8"] * 2,
        None,
    ),
    "stream.sdk-test.go.sse": (
        [EventStartEvent, EventDeltaEvent, AgentMessageEvent],
        ["shared", "shared", "final"],
        "final",
    ),
    "stream.sdk-test.python.sse": (
        [AgentMessageEvent, EventDeltaEvent, EventDeltaEvent],
        ["one", "two", "two"],
        "one",
    ),
    "stream.sdk-test.ts.sse": (
        [UnknownEvent, UnknownEvent, UnknownEvent],
        ["first", None, None],
        None,
    ),
    "stream.v2-docs.sse": (
        [UserMessageEvent, AgentMessageEvent],
        ["evt_019e392c0d787cfaa21bda98e06cd913", "evt_01abc123"],
        "evt_01abc123",
    ),
    "stream.v2-quickstart.sse": (
        [
            UserMessageEvent,
            SessionStatusRunningEvent,
            SpanModelRequestStartEvent,
            AgentThinkingEvent,
            AgentMessageEvent,
            AgentToolUseEvent,
            AgentToolResultEvent,
            SpanModelRequestEndEvent,
            SessionStatusIdleEvent,
        ],
        [None] * 9,
        None,
    ),
    "stream.v3-blog.sse": (
        [AgentMessageEvent, EventStartEvent],
        ["evt_019e392c0d787cfaa21bda98e06cd913", "evt_00jjujk9fbnr55q5rtyp"],
        "evt_019e392c0d787cfaa21bda98e06cd913",
    ),
}


async def stream_transcript(server, client, name: str) -> tuple[list[Event], list]:
    sid = await new_session(client)
    path = stream_path(sid)
    server.inject(Fault.respond(200, sample(name), content_type=SSE), path=path)
    # The transcript ends before a terminal event: the stream resumes, and is then ended.
    server.inject(Fault.respond(200, TERMINATED, content_type=SSE), path=path)
    async with client.sessions.events.stream(sid) as stream:
        events = [e async for e in stream]
    return events[:-1], server.requests_to("GET", path)


@pytest.mark.parametrize("name", sorted(TRANSCRIPTS))
async def test_transcript_yields_what_the_sse_rules_say(fake_qoder, qoder_client, name) -> None:
    types, ids, resume_from = TRANSCRIPTS[name]
    events, requests = await stream_transcript(fake_qoder, qoder_client, name)
    assert [type(e) for e in events] == types
    assert [e.id for e in events] == ids
    assert len(requests) == 2
    assert requests[1].headers.get("Last-Event-ID") == resume_from
    assert qoder_client.transport.in_flight() == 0


async def test_transcript_payloads(fake_qoder, qoder_client) -> None:
    run = stream_transcript
    cookbook, _ = await run(fake_qoder, qoder_client, "stream.cookbook.sse")
    assert cookbook[0].text.startswith("Hello, I am the Hello World Agent")
    assert cookbook[1].model_usage.credits == 4.05 and cookbook[1].is_error is False
    assert cookbook[2].stop_reason.type == "end_turn"

    python, _ = await run(fake_qoder, qoder_client, "stream.sdk-test.python.sse")
    assert python[0].text == "你好"  # two data lines, CRLF, multi-byte UTF-8
    assert [e.extra for e in python[1:]] == [{"text": "a"}, {"text": "b"}]

    ts, _ = await run(fake_qoder, qoder_client, "stream.sdk-test.ts.sse")
    assert ts[0].type == "delta" and ts[0].raw == {"text": "hello", "type": "delta", "id": "first"}
    assert [e.type for e in ts[1:]] == ["message", "message"]

    deltas, _ = await run(fake_qoder, qoder_client, "stream.deltas.v3.sse")
    assert deltas[0].target_type == "agent.message"
    assert deltas[1].text == "Hello" and deltas[1].delta.index == 0

    v2, _ = await run(fake_qoder, qoder_client, "stream.v2-docs.sse")
    assert v2[0].text == "Hello" and v2[0].turn_id == "turn_019e392c0d787ceea6bb62943f9ac3ec"
    assert v2[0].processed_at is not None and v2[1].type == "agent.message"

    quick, _ = await run(fake_qoder, qoder_client, "stream.v2-quickstart.sse")
    assert quick[3].text == "Let me write a Fibonacci function..."
    assert quick[5].name == "Bash" and quick[5].input == {"command": "python3 fib.py"}
    assert quick[6].output == "..."
    assert quick[8].status == "idle" and quick[8].stop_reason is None

    blog, _ = await run(fake_qoder, qoder_client, "stream.v3-blog.sse")
    assert blog[0].processed_at.microsecond == 888851
    assert blog[1].target_type == "agent.thinking"
