"""Platform resources against the fake server: round trips, archive and delete semantics,
content-hash guards, deployment runs, id paging, per-call headers, forward compatibility.
(``test_platform_resources.py`` walks every endpoint's request and the argument checks.)"""

from __future__ import annotations

import hashlib

import pytest
from conftest import AGENT, ENV

from qoder_async import (
    Agent,
    ConflictError,
    DeletedObject,
    Deployment,
    DeploymentRun,
    Dream,
    Environment,
    Memory,
    ModelConfig,
    ModelInfo,
    MultiagentAgent,
    NotFoundError,
    SelfHostedWork,
    request_id_of,
    user_message,
)
from qoder_async.testing import Fault

pytestmark = pytest.mark.anyio

HELLO_SHA = hashlib.sha256(b"hello").hexdigest()
EVENTS = [{"type": "user.message", "content": [{"type": "text", "text": "go"}]}]


# -- round trips and semantics ---------------------------------------------------------


async def test_agent_round_trip_keeps_every_version(qoder_client) -> None:
    agent = await qoder_client.agents.create(
        model={"id": "ultimate", "effort": {"type": "high"}},
        name="Reviewer",
        tools=[{"type": "custom", "name": "lookup", "input_schema": {"type": "object"}}],
        multiagent={"type": "coordinator", "agents": [AGENT, {"type": "self"}]},
    )
    assert isinstance(agent, Agent) and agent.id.startswith("agent_") and agent.version == 1
    assert isinstance(agent.model, ModelConfig) and agent.model.effort is not None
    assert agent.tools[0].name == "lookup"
    assert agent.multiagent is not None and agent.multiagent.agents[0] == AGENT
    assert isinstance(agent.multiagent.agents[1], MultiagentAgent)
    updated = await qoder_client.agents.update(agent.id, model="swift", metadata={"team": "a"})
    assert (updated.version, updated.model, updated.metadata) == (2, "swift", {"team": "a"})
    first = await qoder_client.agents.retrieve(agent.id, version=1)
    assert first.version == 1 and first.model == agent.model
    assert [v.version async for v in qoder_client.agents.versions.list(agent.id)] == [2, 1]
    assert request_id_of(updated) is not None


async def test_archive_hides_from_default_lists(qoder_client) -> None:
    kept = await qoder_client.environments.create(name="kept")
    gone = await qoder_client.environments.create(name="gone")
    archived = await qoder_client.environments.archive(gone.id)
    assert isinstance(archived, Environment) and archived.archived_at
    assert [e.id async for e in qoder_client.environments.list()] == [kept.id]
    everything = [e.id async for e in qoder_client.environments.list(include_archived=True)]
    assert everything == [gone.id, kept.id]
    with pytest.raises(ConflictError):
        await qoder_client.environments.archive(gone.id)


async def test_delete_then_404(qoder_client) -> None:
    store = await qoder_client.memory_stores.create(name="tmp")
    gone = await qoder_client.memory_stores.delete(store.id)
    assert isinstance(gone, DeletedObject) and gone.id == store.id
    assert request_id_of(gone) is not None
    with pytest.raises(NotFoundError):
        await qoder_client.memory_stores.retrieve(store.id)
    with pytest.raises(NotFoundError):
        await qoder_client.memory_stores.delete(store.id)


async def test_memories_guard_with_the_content_hash(qoder_client) -> None:
    memories = qoder_client.memory_stores.memories
    store = await qoder_client.memory_stores.create(name="notes")
    memory = await memories.create(store.id, path="/a.md", content="hello", metadata={"k": "v"})
    assert isinstance(memory, Memory) and memory.content_sha256 == HELLO_SHA
    stale = {"type": "content_sha256", "content_sha256": "0" * 64}
    with pytest.raises(ConflictError):
        await memories.update(memory.id, memory_store_id=store.id, content="x", precondition=stale)
    current = {"type": "content_sha256", "content_sha256": HELLO_SHA}
    updated = await memories.update(
        memory.id, memory_store_id=store.id, content="v2", precondition=current
    )
    assert updated.content == "v2" and updated.memory_version_id != memory.memory_version_id
    basic = await memories.retrieve(memory.id, memory_store_id=store.id, view="basic")
    assert basic.content is None and basic.path == "/a.md"
    with pytest.raises(ConflictError):
        await memories.delete(
            memory.id, memory_store_id=store.id, expected_content_sha256=HELLO_SHA
        )
    await memories.delete(
        memory.id, memory_store_id=store.id, expected_content_sha256=updated.content_sha256
    )
    versions = qoder_client.memory_stores.memory_versions.list(store.id, memory_id=memory.id)
    assert [v.operation async for v in versions] == ["deleted", "modified", "created"]
    assert (await qoder_client.memory_stores.retrieve(store.id)).entry_count == 0


async def test_deployment_run_starts_a_session_and_queues_self_hosted_work(qoder_client) -> None:
    hosted = await qoder_client.environments.create(name="H", config={"type": "self_hosted"})
    deployment = await qoder_client.deployments.create(
        agent=AGENT, environment_id=hosted.id, name="nightly", initial_events=EVENTS
    )
    paused = await qoder_client.deployments.pause(deployment.id)
    assert isinstance(paused, Deployment) and paused.status == "paused"
    assert paused.paused_reason is not None
    run = await qoder_client.deployments.run(deployment.id)
    assert isinstance(run, DeploymentRun) and run.trigger_context is not None
    session = await qoder_client.sessions.retrieve(run.session_id or "")
    assert session.agent is not None and session.agent.id == AGENT
    work = await qoder_client.environments.work.poll(hosted.id, worker_id="w1")
    assert isinstance(work, SelfHostedWork) and work.data is not None
    assert work.data.id == session.id
    assert [r.id async for r in qoder_client.deployment_runs.list(deployment_id=deployment.id)] == [
        run.id
    ]


async def test_deployment_initial_events_take_the_user_message_helper(
    fake_qoder, qoder_client
) -> None:
    system = {"type": "system.message", "content": [{"type": "text", "text": "Be brief."}]}
    await qoder_client.deployments.create(
        agent=AGENT, environment_id=ENV, name="n", initial_events=[user_message("Hi"), system]
    )
    (request,) = fake_qoder.requests_to("POST", "/deployments")
    assert request.json()["initial_events"] == [user_message("Hi").to_wire(), system]


async def test_models_page_by_id(fake_qoder, qoder_client) -> None:
    models = [m async for m in qoder_client.models.list(limit=2)]
    assert [m.id for m in models] == ["ultimate", "swift", "lite"]
    assert all(isinstance(m, ModelInfo) for m in models)
    first, second = fake_qoder.requests
    assert first.query == {"limit": "2"}
    assert second.query == {"limit": "2", "after_id": "swift"}
    # An empty page ends an id-paged list, even when it claims there is more.
    fake_qoder.inject(Fault.respond(200, {"data": [], "has_more": True}), path="/models")
    assert [m async for m in qoder_client.models.list()] == []


async def test_per_call_headers_and_retries(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.status_error(503), method="POST", path="/dreams")
    dream = await qoder_client.dreams.create(
        inputs=[{"type": "sessions", "session_ids": ["sess_1"]}],
        model="ultimate",
        workspace_id="ws_1",
        betas=["dreams-1", "x-2"],
        extra_headers={"X-Trace": "t"},
    )
    assert isinstance(dream, Dream) and dream.status == "pending"
    first, retry = fake_qoder.requests
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"]
    for sent in (first, retry):
        assert sent.headers["qoder-workspace-id"] == "ws_1"
        assert sent.headers["x-qoder-beta"] == "dreams-1,x-2"
        assert sent.headers["X-Trace"] == "t"


# -- forward compatibility -------------------------------------------------------------


async def test_unknown_fields_and_enum_values_are_kept(fake_qoder, qoder_client) -> None:
    body = {
        "id": "agent_x",
        "type": "agent_v2",
        "model": {"id": "m", "effort": "extreme", "speed": "warp", "quantum": True},
        "tools": [{"type": "hologram", "beams": 3}],
        "skills": None,
        "multiagent": {"type": "swarm", "agents": ["agent_y", {"type": "oracle", "model": "m2"}]},
        "created_at": "2026-05-18T03:40:48.888851795Z",
        "brand_new": {"nested": [1, 2]},
    }
    fake_qoder.inject(Fault.respond(200, body))
    agent = await qoder_client.agents.retrieve("agent_x")
    assert agent.type == "agent_v2" and agent.extra == {"brand_new": {"nested": [1, 2]}}
    assert isinstance(agent.model, ModelConfig) and agent.model.effort == "extreme"
    assert agent.model.speed == "warp" and agent.model.extra == {"quantum": True}
    assert agent.tools[0].type == "hologram" and agent.tools[0].extra == {"beams": 3}
    assert agent.skills == [] and agent.multiagent is not None
    assert agent.multiagent.agents[0] == "agent_y"
    oracle = agent.multiagent.agents[1]
    assert isinstance(oracle, MultiagentAgent) and oracle.model == "m2"
    assert request_id_of(agent) is not None

    run = {"id": "r", "trigger_context": {"type": "webhook"}, "error": {"type": "quota", "x": 1}}
    fake_qoder.inject(Fault.respond(200, run))
    got = await qoder_client.deployment_runs.retrieve("r")
    assert got.trigger_context is not None and got.trigger_context.type == "webhook"
    assert got.error is not None and got.error.extra == {"x": 1}
    fake_qoder.inject(Fault.respond(200, {"id": "d", "model": "plain", "status": "dreaming"}))
    dream = await qoder_client.dreams.retrieve("d")
    assert (dream.model, dream.status) == ("plain", "dreaming")
