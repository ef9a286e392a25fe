"""events.send, events.list, typed events and run_turn, against the fake server."""

from __future__ import annotations

import asyncio
import json

import pytest
from conftest import AGENT, ENV, sample

from qoder_async import (
    AgentMessageEvent,
    AgentToolUseEvent,
    APITimeoutError,
    BadRequestError,
    ConflictError,
    ContentBlock,
    EventDeltaEvent,
    EventList,
    EventStartEvent,
    InvalidParameterError,
    NotFoundError,
    ParameterTypeError,
    SessionErrorEvent,
    SessionStatusIdleEvent,
    SessionStatusRescheduledEvent,
    SpanModelRequestEndEvent,
    TurnResult,
    UnknownEvent,
    UserMessageEvent,
    request_id_of,
    to_dict,
    user_custom_tool_result,
    user_interrupt,
    user_message,
    user_tool_confirmation,
)
from qoder_async._models._converter import structurer
from qoder_async._models.event_base import Event
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio

parse_event = structurer(Event)


async def new_session(client) -> str:
    return (await client.sessions.create(agent=AGENT, environment_id=ENV)).id


def events_path(session_id: str) -> str:
    return f"/sessions/{session_id}/events"


# -- send -----------------------------------------------------------------------------


async def test_send_a_user_message(fake_qoder: FakeQoderServer, qoder_client) -> None:
    sid = await new_session(qoder_client)
    sent = await qoder_client.sessions.events.send(sid, [user_message("Hello")])
    assert isinstance(sent, EventList) and isinstance(sent, list)
    [event] = sent
    assert isinstance(event, UserMessageEvent) and event.text == "Hello"
    assert event.id is not None and event.id.startswith("evt_")
    assert request_id_of(sent) is not None
    [request] = fake_qoder.requests_to("POST", events_path(sid))
    assert request.json() == {"events": [{"type": "user.message", "content": [
        {"type": "text", "text": "Hello"}
    ]}]}  # fmt: skip
    assert request.headers["Idempotency-Key"]
    await fake_qoder.events.wait_idle(sid)


async def test_helpers_and_dicts_build_the_documented_bodies(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    await qoder_client.sessions.events.send(
        sid,
        [
            user_tool_confirmation("evt_tool", "deny", deny_message="not now"),
            user_custom_tool_result(
                "evt_custom", ["42", ContentBlock("text", "!")], is_error=False
            ),
            user_interrupt(session_thread_id="thr_1"),
            {"type": "user.define_outcome", "description": "d", "rubric": {"type": "text"}},
        ],
    )
    assert fake_qoder.requests[-1].json()["events"] == [
        {
            "type": "user.tool_confirmation",
            "tool_use_id": "evt_tool",
            "result": "deny",
            "deny_message": "not now",
        },
        {
            "type": "user.custom_tool_result",
            "custom_tool_use_id": "evt_custom",
            "content": [{"type": "text", "text": "42"}, {"type": "text", "text": "!"}],
            "is_error": False,
        },
        {"type": "user.interrupt", "session_thread_id": "thr_1"},
        {"type": "user.define_outcome", "description": "d", "rubric": {"type": "text"}},
    ]


@pytest.mark.parametrize(
    ("events", "error", "field"),
    [
        ([], InvalidParameterError, "events"),
        ("hello", ParameterTypeError, "events"),
        (user_message("x"), ParameterTypeError, "events"),
        ([42], ParameterTypeError, "events[0]"),
        ([{"content": "x"}], InvalidParameterError, "events[0].type"),
        ([{"type": "user.message"}], InvalidParameterError, "events[0].content"),
        ([{"type": "user.message", "content": []}], InvalidParameterError, "events[0].content"),
        (
            [{"type": "user.message", "content": [{"text": "x"}]}],
            InvalidParameterError,
            "events[0].content[0]",
        ),
    ],
)
async def test_bad_events_are_refused_before_sending(
    fake_qoder, qoder_client, events, error, field
) -> None:
    sid = await new_session(qoder_client)
    with pytest.raises(error) as caught:
        await qoder_client.sessions.events.send(sid, events)
    assert caught.value.field == field
    assert fake_qoder.requests_to("POST", events_path(sid)) == []


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: user_message(""), "content"),
        (lambda: user_message([]), "content"),
        (lambda: user_message(b"x"), "content"),
        (lambda: user_tool_confirmation("", "allow"), "tool_use_id"),
        (lambda: user_tool_confirmation("evt_1", "maybe"), "result"),
        (lambda: user_tool_confirmation("evt_1", "allow", deny_message="x"), "deny_message"),
        (lambda: user_custom_tool_result("evt_1", is_error="no"), "is_error"),
        (lambda: user_interrupt(session_thread_id=""), "session_thread_id"),
    ],
)
def test_helpers_validate_their_arguments(build, field) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        build()
    assert caught.value.field == field


async def test_a_second_message_while_a_turn_runs_is_409(fake_qoder, qoder_client) -> None:
    fake_qoder.events.agent_delay = 0.05
    sid = await new_session(qoder_client)
    await qoder_client.sessions.events.send(sid, [user_message("first")])
    with pytest.raises(ConflictError):
        await qoder_client.sessions.events.send(sid, [user_message("second")])
    await fake_qoder.events.wait_idle(sid)


async def test_a_retried_send_is_not_stored_twice(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    fake_qoder.inject(Fault.drop_response(), path=events_path(sid))
    sent = await qoder_client.sessions.events.send(sid, [user_message("once")])
    first, retry = fake_qoder.requests_to("POST", events_path(sid))
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    await fake_qoder.events.wait_idle(sid)
    messages = [e for e in fake_qoder.events.log(sid) if e["type"] == "user.message"]
    assert [m["id"] for m in messages] == [sent[0].id]


@pytest.mark.parametrize(
    "name", ["events.send.response.cn-docs.json", "events.send.response.v3-docs.json"]
)
@pytest.mark.parametrize("status", [200, 202])
async def test_send_response_samples(fake_qoder, qoder_client, name, status) -> None:
    sid = await new_session(qoder_client)
    raw = sample(name)
    fake_qoder.inject(Fault.respond(status, raw), path=events_path(sid))
    sent = await qoder_client.sessions.events.send(sid, [user_message("x")])
    published = json.loads(raw)["data"][0]
    [event] = sent
    assert isinstance(event, UserMessageEvent)
    assert event.id == published["id"] and event.text == published["content"][0]["text"]
    assert event.processed_at is not None and event.processed_at.microsecond == 187413
    assert event.turn_id == published.get("turn_id")


async def test_send_to_an_unknown_session_is_404(qoder_client) -> None:
    with pytest.raises(NotFoundError):
        await qoder_client.sessions.events.send("sess_missing", [user_message("x")])


# -- list -----------------------------------------------------------------------------


async def test_list_walks_every_page_oldest_first(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    for text in ("one", "two", "three"):
        await qoder_client.sessions.events.send(sid, [user_message(text)])
        await fake_qoder.events.wait_idle(sid)
    events = [e async for e in qoder_client.sessions.events.list(sid, limit=4)]
    assert [e.id for e in events] == [e["id"] for e in fake_qoder.events.log(sid)]
    assert len(events) == 15
    assert len(fake_qoder.requests_to("GET", events_path(sid))) == 4
    assert [e.text for e in events if isinstance(e, AgentMessageEvent)] == ["one", "two", "three"]


async def test_list_filters_and_order_are_sent(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    await qoder_client.sessions.events.send(sid, [user_message("a")])
    await fake_qoder.events.wait_idle(sid)
    listing = qoder_client.sessions.events.list(
        sid, types=["agent.message", "session.status_idle"], order="desc", limit=10
    )
    events = [e async for e in listing]
    assert [type(e) for e in events] == [SessionStatusIdleEvent, AgentMessageEvent]
    [request] = fake_qoder.requests_to("GET", events_path(sid))
    assert request.query["order"] == "desc" and request.query["limit"] == "10"
    assert "types[]" in request.query


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"order": "sideways"}, "order"),
        ({"after_id": "evt_1", "before_id": "evt_2"}, "before_id"),
        ({"types": [""]}, "types[0]"),
        ({"created_at": {"since": "2026-01-01T00:00:00Z"}}, "created_at"),
    ],
)
async def test_bad_list_arguments_raise_before_sending(fake_qoder, qoder_client, kwargs, field):
    with pytest.raises(InvalidParameterError) as caught:
        qoder_client.sessions.events.list("sess_1", **kwargs)
    assert caught.value.field == field
    assert fake_qoder.requests == []


@pytest.mark.parametrize("name", ["events.list.v1-docs.json", "events.list.v3-docs.json"])
async def test_event_list_samples(fake_qoder, qoder_client, name) -> None:
    raw = sample(name)
    published = json.loads(raw)
    fake_qoder.inject(Fault.respond(200, raw), path=events_path("sess_1"))
    # v1 says has_more with no next_page: the paginator continues with after_id=last_id
    fake_qoder.inject(
        Fault.respond(200, {"data": [], "has_more": False}), path=events_path("sess_1")
    )
    pages = [p async for p in qoder_client.sessions.events.list("sess_1").pages()]
    first = pages[0]
    assert [e.id for e in first.data] == [e["id"] for e in published["data"]]
    assert first.first_id == published["first_id"] and first.last_id == published["last_id"]
    assert isinstance(first.data[0], UserMessageEvent)
    assert first.data[0].text  # a plain string (v1) and a block array (v3) both read as text
    assert request_id_of(first) is not None
    requests = fake_qoder.requests_to("GET", events_path("sess_1"))
    if published["has_more"]:
        assert isinstance(first.data[1], SessionStatusRescheduledEvent)
        assert requests[1].query == {"after_id": published["last_id"]}
    else:
        assert len(pages) == 1 and len(requests) == 1


# -- typed events from the published single-event samples ------------------------------


def test_event_samples_parse_to_their_classes() -> None:
    message = parse_event(json.loads(sample("event.agent.message.cookbook.json")))
    assert isinstance(message, AgentMessageEvent) and message.id is None
    assert message.text.startswith("Hello, I am the Hello World Agent")
    span = parse_event(json.loads(sample("event.span.model_request_end.cookbook.json")))
    assert isinstance(span, SpanModelRequestEndEvent) and span.model_usage is not None
    assert span.model_usage.credits == 4.05 and span.is_error is False
    idle = parse_event(json.loads(sample("event.session.status_idle.cookbook.json")))
    assert isinstance(idle, SessionStatusIdleEvent) and idle.stop_reason is not None
    assert idle.stop_reason.type == "end_turn"
    bash = parse_event(json.loads(sample("event.agent.tool_use.v2-quickstart.json")))
    assert isinstance(bash, AgentToolUseEvent) and bash.input == {"command": "python3 fib.py"}
    read = parse_event(json.loads(sample("event.agent.tool_use.sdk-stub.json")))
    assert isinstance(read, AgentToolUseEvent) and read.evaluated_permission == "allow"
    assert read.name == "Read" and read.input == {}


def test_session_error_shapes() -> None:
    old = parse_event({"type": "session.error", "error": "quota exceeded", "code": "quota"})
    new = parse_event(
        {"type": "session.error", "error": {"type": "mcp_error", "message": "down",
                                            "retry_status": "retrying"}}
    )  # fmt: skip
    assert isinstance(old, SessionErrorEvent) and old.message == "quota exceeded"
    assert old.code == "quota"
    assert isinstance(new, SessionErrorEvent) and new.message == "down"
    assert new.error is not None and new.error.retry_status == "retrying"


def test_unknown_types_keep_the_raw_payload_and_round_trip() -> None:
    payload = {"id": "evt_1", "type": "agent.thread_context_compacted", "thread": {"x": 1}}
    event = parse_event(payload)
    assert isinstance(event, UnknownEvent) and event.raw == payload
    known = parse_event({"type": "agent.message", "content": "hi", "new_field": 1})
    assert known.extra == {"new_field": 1}
    assert to_dict(known)["new_field"] == 1


# -- run_turn -------------------------------------------------------------------------


async def test_run_turn_returns_the_reply(fake_qoder, qoder_client) -> None:
    fake_qoder.events.reply = lambda text: [f"you said: {text}", "anything else?"]
    sid = await new_session(qoder_client)
    result = await qoder_client.sessions.events.run_turn(sid, "hi")
    assert isinstance(result, TurnResult)
    assert result.text == "you said: hi\nanything else?"
    assert result.stop_reason is not None and result.stop_reason.type == "end_turn"
    assert isinstance(result.events[0], UserMessageEvent)
    assert isinstance(result.events[-1], SessionStatusIdleEvent)
    assert len(result.messages) == 2 and result.error is None and not result.terminated
    assert qoder_client.transport.in_flight() == 0


async def test_run_turn_skips_the_history_the_stream_replays(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    first = await qoder_client.sessions.events.run_turn(sid, "first")
    second = await qoder_client.sessions.events.run_turn(sid, "second")
    assert (first.text, second.text) == ("first", "second")
    assert not {e.id for e in first.events} & {e.id for e in second.events}


async def test_run_turn_survives_disconnects(fake_qoder, qoder_client) -> None:
    fake_qoder.events.agent_delay = 0.002
    fake_qoder.events.reply = lambda text: [text] * 4
    sid = await new_session(qoder_client)
    path = events_path(sid) + "/stream"
    fake_qoder.inject(Fault.cut_stream(after_events=2), path=path)
    fake_qoder.inject(Fault.cut_stream(after_events=2, partial_frame=True), path=path)
    result = await qoder_client.sessions.events.run_turn(sid, "echo")
    assert result.text == "\n".join(["echo"] * 4)
    assert [e.id for e in result.events] == [e["id"] for e in fake_qoder.events.log(sid)]
    assert len(fake_qoder.requests_to("GET", path)) == 3


async def test_run_turn_with_previews(fake_qoder, qoder_client) -> None:
    fake_qoder.events.agent_delay = 0.001
    sid = await new_session(qoder_client)
    result = await qoder_client.sessions.events.run_turn(sid, "a b", event_deltas=["agent.message"])
    assert result.text == "a b"  # previews are shown, not counted
    assert any(isinstance(e, EventStartEvent) for e in result.events)
    assert "".join(e.text for e in result.events if isinstance(e, EventDeltaEvent)) == "a b"


async def test_run_turn_ends_on_cancel(fake_qoder, qoder_client) -> None:
    fake_qoder.events.agent_delay = 0.1
    sid = await new_session(qoder_client)
    turn = asyncio.create_task(qoder_client.sessions.events.run_turn(sid, "long"))
    while not fake_qoder.events.log(sid):
        await asyncio.sleep(0.01)
    cancelled = await qoder_client.sessions.cancel(sid)
    result = await turn
    assert cancelled.status == "canceling"
    assert result.stop_reason is not None and result.stop_reason.type == "interrupted"
    assert result.text == ""


async def test_run_turn_ends_on_a_session_error(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    user = {"id": "evt_u", "type": "user.message", "content": "x"}
    body = "".join(
        f"id: {e['id']}\ndata: {json.dumps(e)}\n\n"
        for e in [
            user,
            {"id": "evt_r", "type": "session.error", "error": {"message": "retry",
                                                               "retry_status": "retrying"}},
            {"id": "evt_e", "type": "session.error", "error": {"message": "gave up"}},
        ]
    )  # fmt: skip
    fake_qoder.inject(Fault.respond(202, {"data": [user]}), path=events_path(sid))
    fake_qoder.inject(
        Fault.respond(200, body, content_type="text/event-stream"),
        path=events_path(sid) + "/stream",
    )
    result = await qoder_client.sessions.events.run_turn(sid, "x")
    assert result.error is not None and result.error.message == "gave up"
    assert [e.id for e in result.events] == ["evt_u", "evt_r", "evt_e"]


async def test_run_turn_while_a_turn_runs_is_409_and_releases(fake_qoder, qoder_client):
    fake_qoder.events.agent_delay = 0.05
    sid = await new_session(qoder_client)
    await qoder_client.sessions.events.send(sid, [user_message("busy")])
    with pytest.raises(ConflictError):
        await qoder_client.sessions.events.run_turn(sid, "me too")
    assert qoder_client.transport.in_flight() == 0
    await fake_qoder.events.wait_idle(sid)


async def test_run_turn_timeout(fake_qoder, qoder_client) -> None:
    fake_qoder.events.agent_delay = 1.0
    sid = await new_session(qoder_client)
    with pytest.raises(APITimeoutError):
        await qoder_client.sessions.events.run_turn(sid, "slow", timeout=0.1)
    assert qoder_client.transport.in_flight() == 0


async def test_run_turn_validates_before_sending(fake_qoder, qoder_client) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await qoder_client.sessions.events.run_turn("sess_1", "")
    assert caught.value.field == "message"
    with pytest.raises(InvalidParameterError):
        await qoder_client.sessions.events.run_turn("sess_1/../x", "hi")
    with pytest.raises(InvalidParameterError):
        await qoder_client.sessions.events.run_turn("sess_1", "hi", timeout=-1)
    assert fake_qoder.requests == []


async def test_unknown_inbound_type_is_a_400_from_the_server(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    with pytest.raises(BadRequestError):
        await qoder_client.sessions.events.send(sid, [{"type": "user.shout"}])
