"""sessions.create against the fake server: what is sent, and what comes back."""

from __future__ import annotations

import json
import uuid
from datetime import timezone

import pytest
from conftest import AGENT, ENV

from qoder_async import (
    AgentRef,
    AsyncQoder,
    BadRequestError,
    InvalidParameterError,
    Session,
    SessionCreateParams,
    __version__,
    request_id_of,
    user_message,
)
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio


async def test_create_returns_a_typed_session(qoder_client: AsyncQoder) -> None:
    session = await qoder_client.sessions.create(agent=AGENT, environment_id=ENV, title="hi")
    assert isinstance(session, Session)
    assert session.id.startswith("sess_")
    assert session.status == "idle"
    assert session.title == "hi"
    assert session.agent is not None and session.agent.id == AGENT
    assert session.created_at is not None and session.created_at.tzinfo is not None
    assert session.created_at.utcoffset() == timezone.utc.utcoffset(None)


async def test_request_line_and_headers(fake_qoder: FakeQoderServer, qoder_client) -> None:
    await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    [request] = fake_qoder.requests
    assert request.method == "POST"
    assert request.path == "/sessions"
    headers = request.headers
    assert headers["Authorization"] == f"Bearer {fake_qoder.token}"
    assert headers["User-Agent"] == f"qoder-async/{__version__}"
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Qoder-Retry-Count"] == "0"
    assert uuid.UUID(headers["Idempotency-Key"]).version == 4


async def test_optional_fields_are_omitted_not_null(fake_qoder, qoder_client) -> None:
    await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    assert fake_qoder.requests[0].json() == {"agent": AGENT, "environment_id": ENV}


async def test_every_field_is_sent_as_given(fake_qoder, qoder_client) -> None:
    await qoder_client.sessions.create(
        agent=AGENT,
        environment_id=ENV,
        title="t",
        metadata={"purpose": "review"},
        delta_flush_interval_ms=250,
        memory_store_ids=["memstore_1"],
        resources=[{"type": "file", "file_id": "file_1"}],
        vault_ids=("vault_1",),
        environment_variables={"LOG_LEVEL": "debug", "EMPTY": ""},
        initial_events=(user_message("start"), OUTCOME),
        budget=BUDGET,
    )
    assert fake_qoder.requests[0].json() == {
        "agent": AGENT,
        "environment_id": ENV,
        "title": "t",
        "metadata": {"purpose": "review"},
        "delta_flush_interval_ms": 250,
        "memory_store_ids": ["memstore_1"],
        "resources": [{"type": "file", "file_id": "file_1"}],
        "vault_ids": ["vault_1"],
        "environment_variables": {"LOG_LEVEL": "debug", "EMPTY": ""},
        "initial_events": [
            {"type": "user.message", "content": [{"type": "text", "text": "start"}]},
            OUTCOME,
        ],
        "budget": BUDGET,
    }


OUTCOME = {
    "type": "user.define_outcome",
    "description": "The tests pass",
    "rubric": {"type": "text", "content": "every test green"},
    "max_iterations": 3,
}
BUDGET = {"type": "limit", "max_credit_cost": "5.00"}


async def test_environment_variables_and_budget_are_stored(fake_qoder, qoder_client) -> None:
    created = await qoder_client.sessions.create(
        agent=AGENT, environment_id=ENV, environment_variables={"A": "1"}, budget=BUDGET
    )
    assert created.environment_variables == {"A": "1"} and created.budget == BUDGET
    again = await qoder_client.sessions.retrieve(created.id)
    assert again.environment_variables == {"A": "1"} and again.budget == BUDGET
    plain = await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    assert plain.environment_variables == {} and plain.budget is None


async def test_initial_events_open_the_session_s_log_and_first_turn(
    fake_qoder, qoder_client
) -> None:
    session = await qoder_client.sessions.create(
        agent=AGENT,
        environment_id=ENV,
        initial_events=[OUTCOME, {"type": "user.message", "content": "hello there"}],
    )
    await fake_qoder.events.wait_idle(session.id)
    events = [e async for e in qoder_client.sessions.events.list(session.id)]
    kinds = [e.type for e in events]
    assert kinds[:2] == ["user.define_outcome", "user.message"]
    assert kinds[-1] == "session.status_idle" and "agent.message" in kinds
    reply = next(e for e in events if e.type == "agent.message")
    assert reply.content[0].text == "hello there"
    assert (await qoder_client.sessions.retrieve(session.id)).status == "idle"


async def test_the_server_judges_what_only_it_knows(fake_qoder, qoder_client) -> None:
    # Well-formed for the client (any budget type, any cost string): the API decides.
    with pytest.raises(BadRequestError) as caught:
        await qoder_client.sessions.create(
            agent=AGENT, environment_id=ENV, budget={"type": "unlimited"}
        )
    assert caught.value.param == "budget.type"
    assert fake_qoder.sessions == {}


async def test_create_many_items_take_the_new_fields(fake_qoder, qoder_client) -> None:
    extra = {"environment_variables": {"K": "v"}, "initial_events": [OUTCOME], "budget": BUDGET}
    items: list[object] = [
        {"agent": AGENT, "environment_id": ENV, "title": "dict", **extra},
        SessionCreateParams(agent=AGENT, environment_id=ENV, title="params", **extra),
        {"agent": AGENT, "environment_id": ENV, "initial_events": [{"type": "system.message"}]},
        SessionCreateParams(AGENT, ENV, environment_variables={"K": 1}),  # type: ignore[dict-item]
    ]
    results = [r async for r in qoder_client.sessions.create_many(items, ordered=True)]
    assert [r.ok for r in results] == [True, True, False, False]
    assert isinstance(results[2].error, InvalidParameterError)
    assert results[2].error.field == "initial_events[0].type"
    assert results[3].error.field == "environment_variables['K']"  # type: ignore[union-attr]
    bodies = sorted(
        (r.json() for r in fake_qoder.requests_to("POST", "/sessions")), key=lambda b: b["title"]
    )
    assert [b["title"] for b in bodies] == ["dict", "params"]
    for body in bodies:
        assert {name: body[name] for name in extra} == extra
    assert all(r.session.environment_variables == {"K": "v"} for r in results[:2])


@pytest.mark.parametrize(
    ("agent", "sent"),
    [
        (AgentRef(AGENT, version=3), {"id": AGENT, "type": "agent", "version": 3}),
        (
            {"id": AGENT, "type": "agent", "version": 3},
            {"id": AGENT, "type": "agent", "version": 3},
        ),
        ({"id": AGENT}, {"id": AGENT, "type": "agent"}),
    ],
)
async def test_version_pinned_agent(fake_qoder, qoder_client, agent, sent) -> None:
    session = await qoder_client.sessions.create(agent=agent, environment_id=ENV)
    assert fake_qoder.requests[0].json()["agent"] == sent
    assert session.agent is not None and session.agent.version == sent.get("version", 1)


async def test_caller_idempotency_key_is_sent(fake_qoder, qoder_client) -> None:
    await qoder_client.sessions.create(agent=AGENT, environment_id=ENV, idempotency_key="batch-7-0")
    assert fake_qoder.requests[0].headers["Idempotency-Key"] == "batch-7-0"


async def test_each_call_gets_its_own_key(fake_qoder, qoder_client) -> None:
    for _ in range(3):
        await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    keys = {r.headers["Idempotency-Key"] for r in fake_qoder.requests}
    assert len(keys) == 3


async def test_same_key_same_body_replays_the_same_session(fake_qoder, qoder_client) -> None:
    first = await qoder_client.sessions.create(
        agent=AGENT, environment_id=ENV, idempotency_key="k1"
    )
    again = await qoder_client.sessions.create(
        agent=AGENT, environment_id=ENV, idempotency_key="k1"
    )
    assert first == again
    assert len(fake_qoder.sessions) == 1


@pytest.mark.parametrize("status", [200, 201, 202, 203])
async def test_any_2xx_is_success(status: int) -> None:
    async with FakeQoderServer(create_status=status) as server, server.client() as client:
        session = await client.sessions.create(agent=AGENT, environment_id=ENV)
    assert session.id.startswith("sess_")


async def test_request_id_reaches_the_result(fake_qoder, qoder_client) -> None:
    session = await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    rid = request_id_of(session)
    assert rid is not None
    # request ids never affect equality
    other = Session(**json.loads(json.dumps({"id": session.id})))
    assert request_id_of(other) is None


async def test_caller_x_request_id_is_echoed(qoder_client) -> None:
    session = await qoder_client.sessions.create(
        agent=AGENT, environment_id=ENV, extra_headers={"x-request-id": "trace-123"}
    )
    assert request_id_of(session) == "trace-123"


async def test_extra_query_and_headers_apply_to_one_call(fake_qoder, qoder_client) -> None:
    await qoder_client.sessions.create(
        agent=AGENT, environment_id=ENV, extra_headers={"X-Trace": "1"}, extra_query={"dry": "1"}
    )
    await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    first, second = fake_qoder.requests
    assert first.headers["X-Trace"] == "1" and first.query == {"dry": "1"}
    assert "X-Trace" not in second.headers and second.query == {}


async def test_unknown_response_fields_are_kept_in_extra(fake_qoder, qoder_client) -> None:
    body = {"id": "sess_1", "status": "hibernating", "brand_new_field": {"x": 1}}
    fake_qoder.inject(Fault.respond(201, body))
    session = await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    assert session.status == "hibernating"
    assert session.extra == {"brand_new_field": {"x": 1}}


async def test_null_lists_default_to_empty(fake_qoder, qoder_client) -> None:
    body = {"id": "sess_1", "resources": None, "vault_ids": None, "metadata": None, "usage": None}
    fake_qoder.inject(Fault.respond(200, body))
    session = await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    assert session.resources == [] and session.vault_ids == [] and session.metadata == {}
    assert session.usage is None


async def test_generated_keys_are_canonical_unique_uuid4_strings(fake_qoder, qoder_client) -> None:
    for _ in range(20):
        await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    keys = [r.headers["Idempotency-Key"] for r in fake_qoder.requests_to("POST", "/sessions")]
    assert len(set(keys)) == len(keys) == 20
    for key in keys:
        parsed = uuid.UUID(key)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, key)
