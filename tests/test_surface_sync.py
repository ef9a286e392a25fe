"""The blocking :class:`Qoder` walks the platform surface too: every row of the endpoint
table of ``test_platform_resources.py`` (``ROWS``), called through ``Qoder`` against the
threaded fake server, sends the method, path, query and body the async client sends."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from test_platform_resources import ROWS, Row, World, ids

from qoder_async import Qoder
from qoder_async.testing import FakeQoderServer


@pytest.fixture
def world(fake_qoder_threaded: FakeQoderServer, qoder_sync_client: Qoder) -> World:
    """The same one-of-everything as the async walk's, made through the blocking client."""
    server, c = fake_qoder_threaded, qoder_sync_client
    agent = c.agents.create(model="ultimate", name="A")
    env = c.environments.create(name="E")
    hosted = c.environments.create(name="H", config={"type": "self_hosted"})
    work = server.platform.enqueue_work(hosted.id)
    work["state"] = "dispatched"
    server.platform.enqueue_work(hosted.id)
    store = c.memory_stores.create(name="S")
    memory = c.memory_stores.memories.create(store.id, path="/a.md", content="hello")
    deployment = c.deployments.create(
        agent=agent.id, environment_id=env.id, name="D", initial_events=[{"type": "user.message"}]
    )
    run = c.deployments.run(deployment.id)
    dream = c.dreams.create(inputs=[{"type": "sessions"}], model="ultimate")
    server.requests.clear()
    assert memory.memory_version_id is not None
    made = [agent.id, env.id, hosted.id, work["id"], store.id, memory.id]
    return World(*made, memory.memory_version_id, deployment.id, run.id, dream.id)


def call(client: Qoder, row: Row, w: World) -> Any:
    method = functools.reduce(getattr, row.name.split("."), client)
    result = method(*ids(row.args, w), **ids(row.kwargs, w))  # type: ignore[operator]
    if row.name.endswith(".list"):
        return list(result)  # a lazy paginator: walk it so that a request is sent
    return result


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_each_endpoint_through_the_blocking_client(
    fake_qoder_threaded: FakeQoderServer, qoder_sync_client: Qoder, world: World, row: Row
) -> None:
    call(qoder_sync_client, row, world)
    sent = fake_qoder_threaded.requests[0]
    assert f"{sent.method} {sent.path}" == ids(row.sent, world)
    assert sent.query == ids(row.query, world)
    assert (json.loads(sent.body) if sent.body else None) == ids(row.body, world)
