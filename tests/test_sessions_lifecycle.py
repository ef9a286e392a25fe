"""retrieve, list filters, update, archive, delete and cancel against the fake server."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from conftest import AGENT, ENV, sample

from qoder_async import (
    BadRequestError,
    ConflictError,
    DeletedSession,
    InvalidParameterError,
    NotFoundError,
    ParameterTypeError,
    Session,
    SessionCancelResult,
    request_id_of,
    user_message,
)
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio


async def new_session(client, **kw) -> Session:
    return await client.sessions.create(agent=AGENT, environment_id=ENV, **kw)


# -- retrieve -------------------------------------------------------------------------


async def test_retrieve(fake_qoder: FakeQoderServer, qoder_client) -> None:
    created = await new_session(qoder_client, title="t")
    session = await qoder_client.sessions.retrieve(created.id)
    assert session == created and request_id_of(session) is not None
    request = fake_qoder.requests[-1]
    assert (request.method, request.path) == ("GET", f"/sessions/{created.id}")
    assert "Idempotency-Key" not in request.headers


async def test_retrieve_unknown_is_404_not_retried(fake_qoder, qoder_client) -> None:
    with pytest.raises(NotFoundError) as caught:
        await qoder_client.sessions.retrieve("sess_missing")
    assert caught.value.type == "not_found_error"
    assert len(fake_qoder.requests) == 1


@pytest.mark.parametrize(
    "name",
    [
        "session.retrieve.cookbook.json",
        "session.retrieve.v1-docs.json",
        "session.retrieve.v2-docs.json",
        "session.retrieve.v3-docs.json",
        "session.archive.v1-docs.json",
        "session.archive.v3-docs.json",
        "session.update.v1-docs.json",
    ],
)
async def test_session_samples_from_each_endpoint(fake_qoder, qoder_client, name) -> None:
    raw = sample(name)
    published = json.loads(raw)
    fake_qoder.inject(Fault.respond(200, raw), times=3)
    calls = qoder_client.sessions
    for result in (
        await calls.retrieve("sess_1"),
        await calls.update("sess_1", title="New title"),
        await calls.archive("sess_1"),
    ):
        assert isinstance(result, Session)
        assert result.id == published["id"] and result.status == published.get("status")
        assert (result.archived_at is not None) == (published.get("archived_at") is not None)


# -- list filters -----------------------------------------------------------------------


async def test_archived_sessions_are_left_out_unless_asked_for(fake_qoder, qoder_client):
    kept = await new_session(qoder_client)
    archived = await new_session(qoder_client)
    await qoder_client.sessions.archive(archived.id)
    default = [s.id async for s in qoder_client.sessions.list()]
    everything = [s.id async for s in qoder_client.sessions.list(include_archived=True)]
    assert default == [kept.id]
    assert everything == [archived.id, kept.id]
    assert fake_qoder.requests[-1].query == {"include_archived": "true"}


async def test_status_filter(fake_qoder, qoder_client) -> None:
    fake_qoder.events.agent_delay = 0.05
    idle = await new_session(qoder_client)
    busy = await new_session(qoder_client)
    await qoder_client.sessions.events.send(busy.id, [user_message("work")])
    while fake_qoder.sessions[busy.id]["status"] != "running":
        await asyncio.sleep(0.01)
    running = [s.id async for s in qoder_client.sessions.list(statuses=["running"])]
    with pytest.raises(ParameterTypeError, match=r"pass \['running'\]"):
        qoder_client.sessions.list(statuses="running")
    both = [s.id async for s in qoder_client.sessions.list(statuses=["idle", "running"])]
    assert running == [busy.id]
    assert sorted(both) == sorted([idle.id, busy.id])
    await fake_qoder.events.wait_idle(busy.id)


async def test_agent_and_version_filters(fake_qoder, qoder_client) -> None:
    other_agent = "agent_019e390add9f7bac9b6cc806db46ffff"
    v1 = await new_session(qoder_client)
    v3 = await client_session_pinned(qoder_client, AGENT, 3)
    other = await client_session_pinned(qoder_client, other_agent, 3)
    mine = [s.id async for s in qoder_client.sessions.list(agent_id=AGENT)]
    assert sorted(mine) == sorted([v1.id, v3.id])
    pinned = [s.id async for s in qoder_client.sessions.list(agent_id=AGENT, agent_version=3)]
    assert pinned == [v3.id]
    assert fake_qoder.requests[-1].query.getall("agent_version") == ["3"]
    assert fake_qoder.requests[-1].query.getall("agent_id") == [AGENT]
    by_version = [s.id async for s in qoder_client.sessions.list(agent_version=3)]
    assert sorted(by_version) == sorted([v3.id, other.id])


async def client_session_pinned(client, agent: str, version: int) -> Session:
    return await client.sessions.create(agent={"id": agent, "version": version}, environment_id=ENV)


async def test_deployment_filter(fake_qoder, qoder_client) -> None:
    await new_session(qoder_client)
    deployment = await qoder_client.deployments.create(
        agent=AGENT,
        environment_id=ENV,
        name="nightly",
        initial_events=[{"type": "user.message", "content": [{"type": "text", "text": "go"}]}],
    )
    run = await qoder_client.deployments.run(deployment.id)
    started = [s.id async for s in qoder_client.sessions.list(deployment_id=deployment.id)]
    assert started == [run.session_id]
    assert fake_qoder.requests[-1].query.getall("deployment_id") == [deployment.id]
    assert [s async for s in qoder_client.sessions.list(deployment_id="dep_other")] == []


async def test_memory_store_filter(fake_qoder, qoder_client) -> None:
    listed = await new_session(qoder_client, memory_store_ids=["memstore_a"])
    mounted = await new_session(
        qoder_client, resources=[{"type": "memory_store", "memory_store_id": "memstore_a"}]
    )
    await new_session(qoder_client, memory_store_ids=["memstore_b"])
    found = [s.id async for s in qoder_client.sessions.list(memory_store_id="memstore_a")]
    assert sorted(found) == sorted([listed.id, mounted.id])
    assert fake_qoder.requests[-1].query.getall("memory_store_id") == ["memstore_a"]


async def test_created_at_bounds(fake_qoder, qoder_client) -> None:
    first = await new_session(qoder_client)
    await asyncio.sleep(0.01)
    second = await new_session(qoder_client)
    cut = second.created_at
    assert first.created_at is not None and cut is not None and first.created_at < cut
    sessions = qoder_client.sessions
    assert [s.id async for s in sessions.list(created_at_gte=cut)] == [second.id]
    assert [s.id async for s in sessions.list(created_at_gt=cut)] == []
    assert [s.id async for s in sessions.list(created_at_lt=cut)] == [first.id]
    between = sessions.list(created_at_lte=cut, created_at={"gt": first.created_at})
    assert [s.id async for s in between] == [second.id]
    query = fake_qoder.requests[-1].query
    assert sorted(k for k in query if k.startswith("created_at")) == [
        "created_at[gt]",
        "created_at[lte]",
    ]
    assert query.getall("created_at[lte]") == [cut.isoformat().replace("+00:00", "Z")]


async def test_every_filter_at_once_reaches_the_server(fake_qoder, qoder_client) -> None:
    session = await client_session_pinned(qoder_client, AGENT, 2)
    found = qoder_client.sessions.list(
        statuses=["idle", "running"],
        agent_id=AGENT,
        agent_version=2,
        memory_store_id="memstore_1",
        deployment_id="dep_1",
        created_at_gte=session.created_at,
    )
    assert [s async for s in found] == []
    query = fake_qoder.requests[-1].query
    assert query.getall("statuses[]") == ["idle", "running"]
    assert {k: query.getall(k) for k in ("agent_version", "deployment_id", "memory_store_id")} == {
        "agent_version": ["2"],
        "deployment_id": ["dep_1"],
        "memory_store_id": ["memstore_1"],
    }


# -- update ---------------------------------------------------------------------------


async def test_update_sends_only_what_was_passed(fake_qoder, qoder_client) -> None:
    session = await new_session(qoder_client, metadata={"a": "1", "b": "2"})
    updated = await qoder_client.sessions.update(session.id, title="renamed")
    request = fake_qoder.requests[-1]
    assert (request.method, request.path) == ("POST", f"/sessions/{session.id}")
    assert request.json() == {"title": "renamed"}
    assert uuid.UUID(request.headers["Idempotency-Key"]).version == 4
    assert updated.title == "renamed" and updated.metadata == {"a": "1", "b": "2"}
    assert updated.updated_at is not None and updated.updated_at >= session.updated_at

    updated = await qoder_client.sessions.update(session.id, metadata={"a": None, "c": "3"})
    assert fake_qoder.requests[-1].json() == {"metadata": {"a": None, "c": "3"}}
    assert updated.metadata == {"b": "2", "c": "3"}

    updated = await qoder_client.sessions.update(session.id, title=None, metadata=None)
    assert fake_qoder.requests[-1].json() == {"title": None, "metadata": None}
    assert updated.title == "" and updated.metadata == {"b": "2", "c": "3"}

    await qoder_client.sessions.update(session.id, delta_flush_interval_ms=250)
    assert fake_qoder.requests[-1].json() == {"delta_flush_interval_ms": 250}


async def test_update_environment_agent_budget_and_vaults(fake_qoder, qoder_client) -> None:
    session = await new_session(
        qoder_client, environment_variables={"OLD": "1"}, vault_ids=["vault_1"]
    )
    mcp = {"type": "url", "name": "docs", "url": "https://mcp.example/sse"}
    budget = {"type": "limit", "max_credit_cost": "2.50"}
    updated = await qoder_client.sessions.update(
        session.id,
        environment_variables={"NEW": "2"},
        agent={"mcp_servers": [mcp]},
        budget=budget,
        vault_ids=["vault_2", "vault_3"],
    )
    assert fake_qoder.requests_to("POST", f"/sessions/{session.id}")[-1].json() == {
        "environment_variables": {"NEW": "2"},
        "agent": {"mcp_servers": [mcp]},
        "budget": budget,
        "vault_ids": ["vault_2", "vault_3"],
    }
    # Variables and vaults are replaced, not merged; the agent keeps what was not sent.
    assert updated.environment_variables == {"NEW": "2"}
    assert updated.vault_ids == ["vault_2", "vault_3"] and updated.budget == budget
    assert updated.agent is not None and updated.agent.id == AGENT
    assert fake_qoder.sessions[session.id]["agent"]["mcp_servers"] == [mcp]
    assert fake_qoder.sessions[session.id]["agent"]["tools"] == []

    cleared = await qoder_client.sessions.update(
        session.id, environment_variables=None, budget=None, vault_ids=[]
    )
    assert fake_qoder.requests[-1].json() == {
        "environment_variables": None,
        "budget": None,
        "vault_ids": [],
    }
    assert cleared.environment_variables == {} and cleared.budget is None
    assert cleared.vault_ids == [] and cleared.title == session.title


async def test_a_refused_update_changes_nothing(fake_qoder, qoder_client) -> None:
    session = await new_session(qoder_client, title="kept")
    with pytest.raises(BadRequestError) as caught:
        # Well-formed for the client; the fake, like the API, wants a "limit" budget.
        await qoder_client.sessions.update(session.id, title="lost", budget={"type": "soft"})
    assert caught.value.param == "budget.type"
    assert (await qoder_client.sessions.retrieve(session.id)).title == "kept"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": 5}, "title"),
        ({"metadata": {"k": 1}}, "metadata['k']"),
        ({"metadata": {f"k{n}": "v" for n in range(17)}}, "metadata"),
        ({"delta_flush_interval_ms": 10}, "delta_flush_interval_ms"),
        ({"idempotency_key": "has space"}, "idempotency_key"),
    ],
)
async def test_update_validates_before_sending(fake_qoder, qoder_client, kwargs, field) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await qoder_client.sessions.update("sess_1", **kwargs)
    assert caught.value.field == field
    assert fake_qoder.requests == []


async def test_update_unknown_is_404(qoder_client) -> None:
    with pytest.raises(NotFoundError):
        await qoder_client.sessions.update("sess_missing", title="x")


# -- archive --------------------------------------------------------------------------


async def test_archive(fake_qoder, qoder_client) -> None:
    session = await new_session(qoder_client)
    archived = await qoder_client.sessions.archive(session.id)
    assert archived.archived_at is not None and archived.status == "idle"
    [request] = fake_qoder.requests_to("POST", f"/sessions/{session.id}/archive")
    # REFERENCE-resources.md section 0: argument-less POST actions send {} as JSON.
    assert request.json() == {} and request.body == b"{}"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["Idempotency-Key"]
    with pytest.raises(ConflictError):
        await qoder_client.sessions.archive(session.id)
    with pytest.raises(ConflictError):  # archived sessions take no new events
        await qoder_client.sessions.events.send(session.id, [user_message("x")])


async def test_a_retried_archive_replays_instead_of_conflicting(fake_qoder, qoder_client):
    session = await new_session(qoder_client)
    fake_qoder.inject(Fault.drop_response(), path=f"/sessions/{session.id}/archive")
    archived = await qoder_client.sessions.archive(session.id)
    assert archived.archived_at is not None
    first, retry = fake_qoder.requests_to("POST", f"/sessions/{session.id}/archive")
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]


# -- delete ---------------------------------------------------------------------------


async def test_delete(fake_qoder, qoder_client) -> None:
    session = await new_session(qoder_client)
    gone = await qoder_client.sessions.delete(session.id)
    assert isinstance(gone, DeletedSession)
    assert gone.deleted is True and gone.id == session.id
    assert request_id_of(gone) is not None
    [request] = fake_qoder.requests_to("DELETE", f"/sessions/{session.id}")
    # DELETE sends {} as JSON too (REFERENCE-resources.md section 0).
    assert request.json() == {} and request.body == b"{}"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["Idempotency-Key"]
    with pytest.raises(NotFoundError):
        await qoder_client.sessions.retrieve(session.id)
    with pytest.raises(NotFoundError):
        await qoder_client.sessions.delete(session.id)


@pytest.mark.parametrize(
    ("body", "deleted"),
    [
        (sample("session.delete.v1-docs.json"), True),
        (sample("session.delete.v3-docs.json"), True),
        (b"", True),
        (b'{"id": "sess_019e3bb1e8c171fd9abbb1477ffb84cc", "deleted": false}', False),
    ],
)
async def test_both_published_delete_bodies_mean_deleted(fake_qoder, qoder_client, body, deleted):
    fake_qoder.inject(
        Fault.respond(200, body), path="/sessions/sess_019e3bb1e8c171fd9abbb1477ffb84cc"
    )
    gone = await qoder_client.sessions.delete("sess_019e3bb1e8c171fd9abbb1477ffb84cc")
    assert gone.deleted is deleted
    assert gone.id == "sess_019e3bb1e8c171fd9abbb1477ffb84cc"


# -- cancel ---------------------------------------------------------------------------


async def test_cancel_idle_is_a_200_no_op(fake_qoder, qoder_client) -> None:
    session = await new_session(qoder_client)
    result = await qoder_client.sessions.cancel(session.id)
    assert isinstance(result, SessionCancelResult)
    assert (result.id, result.status) == (session.id, "canceling")
    [request] = fake_qoder.requests_to("POST", f"/sessions/{session.id}/cancel")
    assert request.json() == {} and request.body == b"{}"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["Idempotency-Key"]
    assert fake_qoder.events.log(session.id) == []


async def test_cancel_a_running_turn(fake_qoder, qoder_client) -> None:
    fake_qoder.events.agent_delay = 0.2
    session = await new_session(qoder_client)
    await qoder_client.sessions.events.send(session.id, [user_message("long job")])
    result = await qoder_client.sessions.cancel(session.id)  # the fake answers 202 here
    assert result.status == "canceling"
    last = fake_qoder.events.log(session.id)[-1]
    assert last["type"] == "session.status_idle"
    assert last["stop_reason"] == {"type": "interrupted"}
    assert (await qoder_client.sessions.retrieve(session.id)).status == "idle"


@pytest.mark.parametrize("status", [200, 202])
async def test_cancel_sample_with_either_status(fake_qoder, qoder_client, status) -> None:
    fake_qoder.inject(Fault.respond(status, sample("session.cancel.v1-docs.json")))
    result = await qoder_client.sessions.cancel("sess_019e3bb1e8c171fd9abbb1477ffb84cc")
    assert result.status == "canceling" and result.type == "session"


async def test_cancel_unknown_is_404(qoder_client) -> None:
    with pytest.raises(NotFoundError):
        await qoder_client.sessions.cancel("sess_missing")


# -- no caller input can change the URL ------------------------------------------------

BAD_IDS = [
    "sess_1/../../agents",
    "sess_1/events",
    "sess_..",
    "sess_1?limit=1",
    "sess_1#frag",
    "sess_1 2",
    "sess_1\n",
    "sess_1\r\nX-Injected: 1",
    "sess_1\x00",
    "sess_1\t",
    "sess_%2e%2e",
    "sess_1\\x",
    "sess_",
    "agent_1",
    "",
    " sess_1",
    "SESS_1",
]


def calls(client, session_id):
    sessions = client.sessions
    events = sessions.events
    return [
        lambda: sessions.retrieve(session_id),
        lambda: sessions.update(session_id, title="x"),
        lambda: sessions.archive(session_id),
        lambda: sessions.delete(session_id),
        lambda: sessions.cancel(session_id),
        lambda: events.send(session_id, [user_message("x")]),
        lambda: events.run_turn(session_id, "x"),
    ]


@pytest.mark.parametrize("session_id", [*BAD_IDS, 123, None, b"sess_1"])
async def test_path_injection_raises_before_any_request(fake_qoder, qoder_client, session_id):
    for call in calls(qoder_client, session_id):
        with pytest.raises(InvalidParameterError) as caught:
            await call()
        assert caught.value.field == "session_id"
    for sync_call in (
        lambda: qoder_client.sessions.events.list(session_id),
        lambda: qoder_client.sessions.events.stream(session_id),
    ):
        with pytest.raises(InvalidParameterError):
            sync_call()
    assert fake_qoder.requests == []


@pytest.mark.parametrize("value", ["a b", "x\r\nInjected: 1", "", "é"])
async def test_header_and_cursor_values_are_checked(fake_qoder, qoder_client, value) -> None:
    with pytest.raises(InvalidParameterError):
        qoder_client.sessions.events.stream("sess_1", last_event_id=value)
    with pytest.raises(InvalidParameterError):
        qoder_client.sessions.list(page=value)
    assert fake_qoder.requests == []


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.sessions.update("sess_1", title="y"),
        lambda c: c.sessions.archive("sess_1"),
        lambda c: c.sessions.delete("sess_1"),
        lambda c: c.sessions.cancel("sess_1"),
    ],
)
async def test_a_400_is_typed_and_not_retried(fake_qoder, qoder_client, call) -> None:
    fake_qoder.inject(Fault.status_error(400, error_type="invalid_request_error"), times=5)
    with pytest.raises(BadRequestError) as caught:
        await call(qoder_client)
    assert caught.value.status_code == 400 and caught.value.request_id
    assert len(fake_qoder.requests) == 1
