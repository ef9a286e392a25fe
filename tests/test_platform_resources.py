"""Agents, environments (and their work queue), memory stores (memories, versions),
deployments (runs), dreams and models against the fake server, over loopback: every
endpoint's request, the Work API's oddities, raw responses, and the argument checks.
(Round trips and forward compatibility: ``test_platform_behaviour.py``.)"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from conftest import AGENT, ENV

from qoder_async import (
    Agent,
    AsyncQoder,
    ConflictError,
    InvalidParameterError,
    ParameterTypeError,
    RawResponse,
    WorkHeartbeat,
    request_id_of,
)
from qoder_async.resources._base import Resource
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio

HELLO_SHA = hashlib.sha256(b"hello").hexdigest()
T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)


@dataclass
class World:
    """The ids of one of everything, made through the client (rows write them ``$agent``, ...)."""

    agent: str
    env: str
    hosted: str
    work: str
    store: str
    memory: str
    version: str
    deployment: str
    run: str
    dream: str


@pytest.fixture
async def world(fake_qoder: FakeQoderServer, qoder_client: AsyncQoder) -> World:
    c = qoder_client
    agent = await c.agents.create(model="ultimate", name="A")
    env = await c.environments.create(name="E")
    hosted = await c.environments.create(name="H", config={"type": "self_hosted"})
    work = fake_qoder.platform.enqueue_work(hosted.id)
    work["state"] = "dispatched"  # as if polled: ack, heartbeat and stop apply to it
    fake_qoder.platform.enqueue_work(hosted.id)  # what poll will hand out
    store = await c.memory_stores.create(name="S")
    memory = await c.memory_stores.memories.create(store.id, path="/a.md", content="hello")
    deployment = await c.deployments.create(
        agent=agent.id, environment_id=env.id, name="D", initial_events=[{"type": "user.message"}]
    )
    run = await c.deployments.run(deployment.id)
    dream = await c.dreams.create(inputs=[{"type": "sessions"}], model="ultimate")
    fake_qoder.requests.clear()
    assert memory.memory_version_id is not None
    return World(
        agent.id,
        env.id,
        hosted.id,
        work["id"],
        store.id,
        memory.id,
        memory.memory_version_id,
        deployment.id,
        run.id,
        dream.id,
    )


# -- every endpoint, one row each ----------------------------------------------------------

EVENTS = [{"type": "user.message", "content": [{"type": "text", "text": "go"}]}]
SCHEDULE = {"type": "cron", "expression": "0 3 * * *", "timezone": "UTC"}
PRECONDITION = {"type": "content_sha256", "content_sha256": HELLO_SHA}
WORK = "/environments/$hosted/work"
STORE = "/memory_stores/$store"
IN_ENV = {"environment_id": "$hosted"}
IN_STORE = {"memory_store_id": "$store"}
DAY = "2020-01-01T00:00:00Z"
PLATFORM = ("agents", "environments", "memory_stores", "deployments", "deployment_runs")
PLATFORM += ("dreams", "models")


@dataclass
class Row:
    """One endpoint: ``client.<name>(*args, **kwargs)``, then what must reach the server
    (``sent`` is ``"METHOD /path"``). ``$agent``, ``$store``, ... stand for the world's ids."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    sent: str
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None


def ids(value: Any, w: World) -> Any:
    """``value`` with every ``$name`` in its strings replaced by the world's id of that name."""
    if isinstance(value, str):
        return re.sub(r"\$(\w+)", lambda m: getattr(w, m.group(1)), value)
    if isinstance(value, dict):
        return {key: ids(item, w) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(ids(item, w) for item in value)
    return value


ROWS = [
    # agents
    Row("agents.create", (), {"model": {"id": "m"}, "name": "B"}, "POST /agents",
        body={"model": {"id": "m"}, "name": "B"}),
    Row("agents.list", (), {"include_archived": True, "limit": 5, "created_at_gte": T0},
        "GET /agents", {"include_archived": "true", "limit": "5", "created_at[gte]": DAY}),
    Row("agents.retrieve", ("$agent",), {"version": 1}, "GET /agents/$agent", {"version": "1"}),
    Row("agents.update", ("$agent",), {"system": "s", "description": None, "version": 1},
        "POST /agents/$agent", body={"system": "s", "description": None, "version": 1}),
    Row("agents.archive", ("$agent",), {}, "POST /agents/$agent/archive", body={}),
    Row("agents.versions.list", ("$agent",), {"limit": 10}, "GET /agents/$agent/versions",
        {"limit": "10"}),
    # environments
    Row("environments.create", (), {"name": "F", "scope": "account"}, "POST /environments",
        body={"name": "F", "scope": "account"}),
    Row("environments.list", (), {"created_at_lte": DAY}, "GET /environments",
        {"created_at[lte]": DAY}),
    Row("environments.retrieve", ("$env",), {}, "GET /environments/$env"),
    Row("environments.update", ("$env",), {"metadata": {"k": None}}, "POST /environments/$env",
        body={"metadata": {"k": None}}),
    Row("environments.archive", ("$env",), {}, "POST /environments/$env/archive", body={}),
    Row("environments.delete", ("$env",), {}, "DELETE /environments/$env", body={}),
    Row("environments.work.poll", ("$hosted",), {"block_ms": 10, "worker_id": "w1"},
        f"GET {WORK}/poll", {"block_ms": "10"}),
    Row("environments.work.ack", ("$work",), IN_ENV, f"POST {WORK}/$work/ack", body={}),
    Row("environments.work.heartbeat", ("$work",), {**IN_ENV, "desired_ttl_seconds": 60},
        f"POST {WORK}/$work/heartbeat", {"desired_ttl_seconds": "60"}, body={}),
    Row("environments.work.stop", ("$work",), {**IN_ENV, "force": True},
        f"POST {WORK}/$work/stop", body={"force": True}),
    Row("environments.work.update", ("$work",), {**IN_ENV, "metadata": {"h": "1"}},
        f"POST {WORK}/$work", body={"metadata": {"h": "1"}}),
    Row("environments.work.retrieve", ("$work",), IN_ENV, f"GET {WORK}/$work"),
    Row("environments.work.list", ("$hosted",), {"limit": 10}, f"GET {WORK}", {"limit": "10"}),
    Row("environments.work.stats", ("$hosted",), {}, f"GET {WORK}/stats"),
    # memory stores
    Row("memory_stores.create", (), {"name": "T"}, "POST /memory_stores", body={"name": "T"}),
    Row("memory_stores.list", (), {"name": "S", "include_archived": False}, "GET /memory_stores",
        {"name": "S", "include_archived": "false"}),
    Row("memory_stores.retrieve", ("$store",), {}, f"GET {STORE}"),
    Row("memory_stores.update", ("$store",), {"description": "x"}, f"POST {STORE}",
        body={"description": "x"}),
    Row("memory_stores.archive", ("$store",), {}, f"POST {STORE}/archive", body={}),
    Row("memory_stores.delete", ("$store",), {}, f"DELETE {STORE}", body={}),
    Row("memory_stores.memories.create", ("$store",),
        {"path": "/b", "content": None, "view": "full"},
        f"POST {STORE}/memories", {"view": "full"}, body={"path": "/b", "content": None}),
    Row("memory_stores.memories.list", ("$store",), {"path_prefix": "/", "depth": 2},
        f"GET {STORE}/memories", {"path_prefix": "/", "depth": "2"}),
    Row("memory_stores.memories.retrieve", ("$memory",), {**IN_STORE, "view": "basic"},
        f"GET {STORE}/memories/$memory", {"view": "basic"}),
    Row("memory_stores.memories.update", ("$memory",),
        {**IN_STORE, "content": "v2", "precondition": PRECONDITION},
        f"POST {STORE}/memories/$memory", body={"content": "v2", "content_sha256": HELLO_SHA}),
    Row("memory_stores.memories.delete", ("$memory",),
        {**IN_STORE, "expected_content_sha256": HELLO_SHA}, f"DELETE {STORE}/memories/$memory",
        {"expected_content_sha256": HELLO_SHA}, body={}),
    Row("memory_stores.memory_versions.list", ("$store",), {"memory_id": "$memory"},
        f"GET {STORE}/memory_versions", {"memory_id": "$memory"}),
    Row("memory_stores.memory_versions.retrieve", ("$version",), IN_STORE,
        f"GET {STORE}/memory_versions/$version"),
    Row("memory_stores.memory_versions.redact", ("$version",), IN_STORE,
        f"POST {STORE}/memory_versions/$version/redact", body={}),
    # deployments
    Row("deployments.create", (),
        {"agent": {"id": "$agent", "version": 1}, "environment_id": "$env", "name": "N",
         "initial_events": EVENTS, "schedule": SCHEDULE, "vault_ids": ["vault_1"]},
        "POST /deployments",
        body={"agent": {"id": "$agent", "type": "agent", "version": 1}, "environment_id": "$env",
              "name": "N", "initial_events": EVENTS, "schedule": SCHEDULE,
              "vault_ids": ["vault_1"]}),
    Row("deployments.list", (), {"status": "active", "agent_id": "$agent"}, "GET /deployments",
        {"status": "active", "agent_id": "$agent"}),
    Row("deployments.retrieve", ("$deployment",), {}, "GET /deployments/$deployment"),
    Row("deployments.update", ("$deployment",), {"schedule": None}, "POST /deployments/$deployment",
        body={"schedule": None}),
    *(Row(f"deployments.{action}", ("$deployment",), {}, f"POST /deployments/$deployment/{action}",
          body={}) for action in ("archive", "pause", "unpause", "run")),
    Row("deployments.runs.list", ("$deployment",), {"triggered_after": DAY},
        "GET /deployments/$deployment/runs", {"triggered_after": DAY}),
    Row("deployments.runs.retrieve", ("$run",), {"deployment_id": "$deployment"},
        "GET /deployments/$deployment/runs/$run"),
    Row("deployment_runs.list", (), {"has_error": False, "trigger_type": "s", "created_at_gt": T0},
        "GET /deployment_runs", {"has_error": "false", "trigger_type": "s", "created_at[gt]": DAY}),
    Row("deployment_runs.retrieve", ("$run",), {}, "GET /deployment_runs/$run"),
    # dreams
    Row("dreams.create", (), {"inputs": [{"type": "sessions"}], "model": {"id": "m"}},
        "POST /dreams", body={"inputs": [{"type": "sessions"}], "model": {"id": "m"}}),
    Row("dreams.list", (), {"statuses": ["pending"], "created_at_lt": DAY}, "GET /dreams",
        {"statuses[]": "pending", "created_at[lt]": DAY}),
    Row("dreams.retrieve", ("$dream",), {}, "GET /dreams/$dream"),
    Row("dreams.archive", ("$dream",), {}, "POST /dreams/$dream/archive", body={}),
    Row("dreams.cancel", ("$dream",), {}, "POST /dreams/$dream/cancel", body={}),
    # models
    Row("models.list", (), {"limit": 50}, "GET /models", {"limit": "50"}),
]  # fmt: skip


def endpoint(client: AsyncQoder, name: str) -> Callable[..., Any]:
    """``client.agents.versions.list`` for ``"agents.versions.list"``."""
    return functools.reduce(getattr, name.split("."), client)  # type: ignore[arg-type]


async def invoke(result: Any) -> Any:
    """Await a call, or walk the list it returned."""
    if inspect.isawaitable(result):
        return await result
    return [item async for item in result]


def endpoints(resource: object, prefix: str) -> set[str]:
    """Every endpoint method of ``resource`` and of the resources under it."""
    found: set[str] = set()
    for name in dir(resource):
        value = getattr(resource, name)
        if name.startswith("_") or name == "with_raw_response":
            continue
        if isinstance(value, Resource):
            found |= endpoints(value, f"{prefix}.{name}")
        elif inspect.iscoroutinefunction(value) or name == "list":
            found.add(f"{prefix}.{name}")
    return found


async def test_the_table_covers_every_platform_endpoint(qoder_client) -> None:
    # Files, vaults and skills have their rows in test_platform_storage.py (which imports
    # this module's helpers, hence the import here).
    from test_platform_storage import STORAGE, STORAGE_ROWS

    rows = [*ROWS, *STORAGE_ROWS]
    groups = (*PLATFORM, *STORAGE)
    public = set().union(*(endpoints(getattr(qoder_client, g), g) for g in groups))
    assert sorted(public) == sorted(row.name for row in rows)
    assert len(rows) == 78


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_each_endpoint_sends_what_the_api_documents(
    fake_qoder, qoder_client, world, row: Row
) -> None:
    call = endpoint(qoder_client, row.name)
    result = await invoke(call(*ids(row.args, world), **ids(row.kwargs, world)))
    sent = fake_qoder.requests[0]
    assert f"{sent.method} {sent.path}" == ids(row.sent, world)
    assert sent.query == ids(row.query, world)
    assert (json.loads(sent.body) if sent.body else None) == ids(row.body, world)
    if sent.method == "GET":
        assert "Idempotency-Key" not in sent.headers
    else:
        assert uuid.UUID(sent.headers["Idempotency-Key"]).version == 4
    if not isinstance(result, list):
        assert request_id_of(result) is not None


# -- the Work API's oddities, raw responses ---------------------------------------------


async def test_poll_is_none_without_work(fake_qoder, qoder_client) -> None:
    env = await qoder_client.environments.create(name="H", config={"type": "self_hosted"})
    assert await qoder_client.environments.work.poll(env.id, worker_id="w9") is None
    assert fake_qoder.requests[-1].headers["Worker-ID"] == "w9"
    fake_qoder.inject(Fault.respond(200, b""))  # an empty 200 means no work too
    assert await qoder_client.environments.work.poll(env.id) is None
    assert "Worker-ID" not in fake_qoder.requests[-1].headers
    raw = await qoder_client.environments.work.with_raw_response.poll(env.id)
    assert raw.status == 204 and raw.parse() is None


async def test_heartbeat_sends_its_parameters_in_the_query(fake_qoder, qoder_client) -> None:
    env = await qoder_client.environments.create(name="H", config={"type": "self_hosted"})
    fake_qoder.platform.enqueue_work(env.id)
    work = await qoder_client.environments.work.poll(env.id)
    assert work is not None
    beat = await qoder_client.environments.work.heartbeat(
        work.id, environment_id=env.id, desired_ttl_seconds=90, expected_last_heartbeat=None
    )
    assert isinstance(beat, WorkHeartbeat) and beat.ttl_seconds == 90 and beat.lease_extended
    await qoder_client.environments.work.heartbeat(
        work.id, environment_id=env.id, expected_last_heartbeat=beat.last_heartbeat
    )
    sent = fake_qoder.requests[-1]
    assert sent.method == "POST" and sent.body == b"{}"
    assert sent.query == {"expected_last_heartbeat": beat.last_heartbeat}
    with pytest.raises(ConflictError):  # the lease moved on since
        await qoder_client.environments.work.heartbeat(
            work.id, environment_id=env.id, expected_last_heartbeat=beat.last_heartbeat
        )


async def test_with_raw_response(qoder_client) -> None:
    raw = await qoder_client.agents.with_raw_response.create(model="ultimate", name="R")
    assert isinstance(raw, RawResponse) and raw.status == 200 and raw.request_id
    agent = raw.parse()
    assert isinstance(agent, Agent) and request_id_of(agent) == raw.request_id
    pages = [page async for page in qoder_client.models.with_raw_response.list(limit=2)]
    assert [len(page.parse().data) for page in pages] == [2, 1]


# -- validation before sending -------------------------------------------------------------


IPE, PTE = InvalidParameterError, ParameterTypeError
MEM = {"memory_store_id": "memstore_1"}
# name, args, kwargs, the field the error names, the error
BAD_CALLS = [
    ("agents.create", (), {"model": None, "name": "x"}, "model", IPE),
    ("agents.create", (), {"model": "m", "name": ""}, "name", IPE),
    ("agents.create", (), {"model": 5, "name": "x"}, "model", PTE),
    ("agents.create", (), {"model": "m", "name": "x", "tools": "bash"}, "tools", PTE),
    ("agents.create", (), {"model": "m", "name": "x", "tools": [{"t": {1}}]}, "tools[0]", IPE),
    ("agents.create", (), {"model": "m", "name": "x", "metadata": {"k": 1}}, "metadata['k']", PTE),
    ("agents.retrieve", (ENV,), {}, "agent_id", IPE),
    ("agents.retrieve", ("agent_1",), {"version": True}, "version", PTE),
    ("agents.list", (), {"limit": 0}, "limit", IPE),
    ("agents.list", (), {"include_archived": "yes"}, "include_archived", PTE),
    ("agents.list", (), {"created_at_gte": 5}, "created_at_gte", PTE),
    ("environments.create", (), {"name": None}, "name", IPE),
    ("environments.update", (ENV,), {"config": "cloud"}, "config", PTE),
    ("environments.delete", ("env_a/b",), {}, "environment_id", IPE),
    ("environments.work.ack", ("a/b",), {"environment_id": ENV}, "work_id", IPE),
    ("environments.work.ack", (".",), {"environment_id": ENV}, "work_id", IPE),
    ("environments.work.retrieve", ("w",), {"environment_id": "sess_1"}, "environment_id", IPE),
    ("environments.work.update", ("w",), {**IN_ENV, "metadata": None}, "metadata", IPE),
    ("environments.work.poll", (ENV,), {"block_ms": -1}, "block_ms", IPE),
    ("environments.work.poll", (ENV,), {"worker_id": ""}, "worker_id", IPE),
    ("memory_stores.memories.create", ("memstore_1",), {"path": None, "content": "x"}, "path", IPE),
    ("memory_stores.memories.retrieve", ("memory_1",), MEM, "memory_id", IPE),
    ("memory_stores.memories.update", ("mem_1",),
     {**MEM, "content_sha256": "a", "precondition": PRECONDITION}, "content_sha256", IPE),
    ("memory_stores.memories.update", ("mem_1",), {**MEM, "precondition": {"type": "etag"}},
     "precondition.type", IPE),
    ("memory_stores.memory_versions.list", ("memstore_1",), {"session_id": "x"}, "session_id", IPE),
    ("deployments.create", (), {"agent": "bot", "environment_id": ENV, "initial_events": [],
                                "name": "n"}, "agent", IPE),
    ("deployments.create", (), {"agent": AGENT, "environment_id": ENV, "initial_events": None,
                                "name": "n"}, "initial_events", IPE),
    ("deployments.update", ("d",), {"vault_ids": "vault_1"}, "vault_ids", PTE),
    ("deployments.list", (), {"page": "p", "after_id": "a"}, "after_id", IPE),
    ("deployments.retrieve", ("..",), {}, "deployment_id", IPE),
    ("deployments.runs.retrieve", ("",), {"deployment_id": "d"}, "run_id", IPE),
    ("deployment_runs.list", (), {"has_error": "no"}, "has_error", PTE),
    ("dreams.create", (), {"inputs": "sess_1", "model": "m"}, "inputs", PTE),
    ("dreams.list", (), {"statuses": [""]}, "statuses[0]", PTE),
    ("dreams.cancel", (None,), {}, "dream_id", PTE),
    ("models.list", (), {"after_id": "has space"}, "after_id", IPE),
    ("models.list", (), {"workspace_id": ""}, "workspace_id", IPE),
    ("models.list", (), {"betas": ["a,b"]}, "betas", IPE),
    ("dreams.retrieve", ("d",), {"timeuot": 3}, "timeuot", PTE),
]  # fmt: skip


async def refused(server: FakeQoderServer, client: AsyncQoder, bad: tuple[Any, ...]) -> None:
    """Call ``client.<name>(*args, **kwargs)`` for a ``BAD_CALLS`` row: the error names the
    field, and nothing reached ``server``."""
    name, args, kwargs, field, error = bad
    with pytest.raises(error) as caught:
        await invoke(endpoint(client, name)(*args, **kwargs))
    assert caught.value.field == field
    assert server.requests == []


@pytest.mark.parametrize("bad", BAD_CALLS)
async def test_bad_input_raises_before_anything_is_sent(fake_qoder, qoder_client, bad) -> None:
    await refused(fake_qoder, qoder_client, bad)
