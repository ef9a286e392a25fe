"""The whole managed surface, walked on both clients: every endpoint of the official API
(``REFERENCE-resources.md`` section 4: sessions and their events, threads and resources;
agents, environments and their work queue, files, vaults and credentials, memory stores,
memories and memory versions, skills and their versions, deployments and their runs,
deployment runs, dreams, models), one row each, called through :class:`AsyncQoder` and
through the blocking :class:`Qoder` against the fake server, which must then have received
the row's method, path, query, headers and body.

A row is ``name``, a callable ``call(client, world)`` that works on either client, and what
must arrive. ``$session``, ``$agent``, ... in what must arrive stand for the ids of the
objects :func:`build` makes first (:class:`World`). Lists are walked, streams yield one
event, downloads are read, so each call sends what it would in use.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import inspect
import json
import mimetypes
import re
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

import pytest

import qoder_async
from qoder_async import (
    AsyncPaginator,
    AsyncQoder,
    BinaryResponse,
    Event,
    EventStream,
    Qoder,
    SyncEventStream,
    SyncPaginator,
    SyncResource,
    request_id_of,
    user_interrupt,
    user_message,
)
from qoder_async.testing import FakeQoderServer, RecordedRequest

#: How many endpoints the official managed surface has (REFERENCE-resources.md, section 4):
#: sessions 7, session events 3, threads 5, session resources 5, agents 6, environments 6,
#: environments.work 8, files 5, vaults 5, credentials 7, memory stores 6, memories 5,
#: memory versions 3, skills 4, skill versions 5, deployments 8, deployment runs (scoped) 2,
#: deployment_runs 2, dreams 5, models 1.
ENDPOINTS = 98

#: Public methods that are not endpoints of their own: helpers built on the rows' endpoints.
HELPERS = frozenset({"sessions.create_many", "sessions.events.run_turn"})

#: The resource classes the async client exposes (``AsyncAgentsAPI``, ...).
RESOURCE_TYPES = tuple(
    getattr(qoder_async, name)
    for name in qoder_async.__all__
    if name.startswith("Async") and name.endswith("API")
)

HELLO_SHA = hashlib.sha256(b"hello").hexdigest()
T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
DAY = "2020-01-01T00:00:00Z"
SKILL_MD = b"---\nname: ex\ndescription: An example.\n---\nDo the thing."
AUTH = {"type": "mcp_oauth", "access_token": "tok-1", "mcp_server_url": "https://mcp.example"}
ROTATED = {"type": "mcp_oauth", "access_token": "tok-2"}
EVENTS = [{"type": "user.message", "content": [{"type": "text", "text": "go"}]}]
SCHEDULE = {"type": "cron", "expression": "0 3 * * *", "timezone": "UTC"}
BUDGET = {"type": "limit", "max_credit_cost": "5.00"}
WIRE_EVENTS = [{"type": "user.message", "content": [{"type": "text", "text": "go"}]}]
PRECONDITION = {"type": "content_sha256", "content_sha256": HELLO_SHA}


# -- one of everything -------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """The ids of one of everything, made by :func:`build` (rows write them ``$name``)."""

    agent: str
    env: str
    hosted: str  # a self-hosted environment, with a work item
    work: str
    store: str
    memory: str
    memory_version: str
    deployment: str
    run: str
    dream: str
    file: str
    vault: str
    cred: str
    skill: str
    skill_version: str
    session: str
    thread: str
    thread_created: str  # the id of the thread's first event
    resource: str  # a git repository mounted on the session


def build(c: Any, server: FakeQoderServer) -> Generator[Any, Any, World]:
    """Make one of everything through client ``c`` (either kind) and ``server``'s controls.

    Each ``yield`` hands a call's return value to the driver, which settles it for its
    client (awaits it, walks a list) and sends the result back; so this is written once.
    """
    agent = yield c.agents.create(model="ultimate", name="A")
    env = yield c.environments.create(name="E")
    hosted = yield c.environments.create(name="H", config={"type": "self_hosted"})
    work = server.platform.enqueue_work(hosted.id)
    work["state"] = "dispatched"  # as if polled: ack, heartbeat and stop apply to it
    server.platform.enqueue_work(hosted.id)  # what poll hands out
    store = yield c.memory_stores.create(name="S")
    memory = yield c.memory_stores.memories.create(store.id, path="/a.md", content="hello")
    deployment = yield c.deployments.create(
        agent=agent.id, environment_id=env.id, name="D", initial_events=EVENTS
    )
    run = yield c.deployments.run(deployment.id)
    dream = yield c.dreams.create(inputs=[{"type": "sessions"}], model="ultimate")
    file = yield c.files.upload(file=("a.txt", b"hello"))
    vault = yield c.vaults.create(display_name="V")
    cred = yield c.vaults.credentials.create(vault.id, auth=AUTH)
    skill = yield c.skills.create(files=[("ex/SKILL.md", SKILL_MD)])
    repository = {"type": "git_repository", "url": "https://git.example/r.git"}
    session = yield c.sessions.create(agent=agent.id, environment_id=env.id, resources=[repository])
    [resource] = yield c.sessions.resources.list(session.id)
    # Threads are the agent's doing: the server starts one (and logs its first events).
    thread = server.events.create_thread(session.id, agent_name="researcher")
    created = server.events.log(session.id)[0]
    assert created["type"] == "session.thread_created"
    assert memory.memory_version_id is not None and skill.latest_version is not None
    server.requests.clear()
    return World(
        agent=agent.id,
        env=env.id,
        hosted=hosted.id,
        work=work["id"],
        store=store.id,
        memory=memory.id,
        memory_version=memory.memory_version_id,
        deployment=deployment.id,
        run=run.id,
        dream=dream.id,
        file=file.id,
        vault=vault.id,
        cred=cred.id,
        skill=skill.id,
        skill_version=skill.latest_version,
        session=session.id,
        thread=thread["id"],
        thread_created=created["id"],
        resource=resource.id,
    )


# -- every endpoint, one row each ----------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One endpoint: ``call(client, world)`` on either client, then what must reach the
    server: ``sent`` (``"METHOD /path"``), the query, the body (decoded JSON, a multipart
    form as ``(name, filename, content type, bytes)`` parts, or ``None`` for none) and these
    headers at least. ``hop`` is the request a download makes next (``None``: no other
    request may follow); ``returns(result, world)`` checks what the call gave."""

    name: str
    call: Callable[[Any, World], Any]
    sent: str
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    hop: str | None = None
    returns: Callable[[Any, World], bool] | None = None

    @property
    def template(self) -> tuple[str, str]:
        """(method, path with every id as ``{id}``): what makes two endpoints different."""
        method, path = self.sent.split(" ")
        return method, re.sub(r"\$\w+", "{id}", path)


def form(*parts: tuple[str, str | None, str | None, bytes]) -> list[tuple[Any, ...]]:
    """A multipart body as rows expect it: (field, filename, content type, bytes) per part."""
    return list(parts)


SESSION = "/sessions/$session"
THREAD = f"{SESSION}/threads/$thread"
RESOURCE = f"{SESSION}/resources/$resource"
WORK = "/environments/$hosted/work"
FILE = "/files/$file"
VAULT = "/vaults/$vault"
CRED = f"{VAULT}/credentials/$cred"
STORE = "/memory_stores/$store"
SKILL = "/skills/$skill"
SKILL_VERSION = f"{SKILL}/versions/$skill_version"
DEPLOYMENT = "/deployments/$deployment"
SSE = {"Accept": "text/event-stream"}
SKILL_PART = ("files", "ex/SKILL.md", mimetypes.guess_type("SKILL.md")[0], SKILL_MD)
STATUSES = ("session.thread_created", "session.thread_status_running")

ROWS = [
    # sessions
    Row("sessions.create",
        lambda c, w: c.sessions.create(agent=w.agent, environment_id=w.env, title="T",
                                       metadata={"k": "v"}, environment_variables={"A": "1"},
                                       initial_events=[user_message("go")], budget=BUDGET),
        "POST /sessions",
        body={"agent": "$agent", "environment_id": "$env", "title": "T", "metadata": {"k": "v"},
              "environment_variables": {"A": "1"}, "initial_events": WIRE_EVENTS,
              "budget": BUDGET}),
    Row("sessions.list",
        lambda c, w: c.sessions.list(limit=5, include_archived=True, order="asc",
                                     statuses=["idle"], agent_id=w.agent, agent_version=1,
                                     deployment_id=w.deployment, memory_store_id=w.store,
                                     created_at_gte=T0, created_at_lt="2030-01-01T00:00:00Z"),
        "GET /sessions",
        {"limit": "5", "include_archived": "true", "order": "asc", "statuses[]": "idle",
         "agent_id": "$agent", "agent_version": "1", "deployment_id": "$deployment",
         "memory_store_id": "$store", "created_at[gte]": DAY,
         "created_at[lt]": "2030-01-01T00:00:00Z"}),
    Row("sessions.retrieve", lambda c, w: c.sessions.retrieve(w.session), f"GET {SESSION}"),
    Row("sessions.update", lambda c, w: c.sessions.update(w.session, title=None,
                                                          metadata={"k": None},
                                                          environment_variables={"B": "2"},
                                                          agent={"tools": []}, budget=None,
                                                          vault_ids=[w.vault]),
        f"POST {SESSION}", body={"title": None, "metadata": {"k": None},
                                 "environment_variables": {"B": "2"}, "agent": {"tools": []},
                                 "budget": None, "vault_ids": ["$vault"]},
        returns=lambda r, w: r.environment_variables == {"B": "2"} and r.vault_ids == [w.vault]),
    Row("sessions.archive", lambda c, w: c.sessions.archive(w.session), f"POST {SESSION}/archive",
        body={}),
    Row("sessions.cancel", lambda c, w: c.sessions.cancel(w.session), f"POST {SESSION}/cancel",
        body={}),
    Row("sessions.delete", lambda c, w: c.sessions.delete(w.session), f"DELETE {SESSION}",
        body={}),
    # session events
    Row("sessions.events.send",
        lambda c, w: c.sessions.events.send(w.session,
                                            [user_interrupt(session_thread_id=w.thread)]),
        f"POST {SESSION}/events",
        body={"events": [{"type": "user.interrupt", "session_thread_id": "$thread"}]}),
    Row("sessions.events.list",
        lambda c, w: c.sessions.events.list(w.session, limit=10, order="desc",
                                            types=["session.thread_created"],
                                            created_at={"lte": T0}),
        f"GET {SESSION}/events",
        {"limit": "10", "order": "desc", "types[]": "session.thread_created",
         "created_at[lte]": DAY}),
    Row("sessions.events.stream",
        lambda c, w: c.sessions.events.stream(w.session, last_event_id=w.thread_created,
                                              event_deltas=["agent.message"]),
        f"GET {SESSION}/events/stream", {"event_deltas[]": "agent.message"},
        headers={**SSE, "Last-Event-ID": "$thread_created"},
        returns=lambda event, w: event.type == "session.thread_status_running"),
    # threads
    Row("sessions.threads.list", lambda c, w: c.sessions.threads.list(w.session, limit=10),
        f"GET {SESSION}/threads", {"limit": "10"}),
    Row("sessions.threads.retrieve",
        lambda c, w: c.sessions.threads.retrieve(w.thread, session_id=w.session), f"GET {THREAD}"),
    Row("sessions.threads.archive",
        lambda c, w: c.sessions.threads.archive(w.thread, session_id=w.session),
        f"POST {THREAD}/archive", body={}),
    Row("sessions.threads.events.list",
        lambda c, w: c.sessions.threads.events.list(w.thread, session_id=w.session, limit=10),
        f"GET {THREAD}/events", {"limit": "10"}),
    Row("sessions.threads.events.stream",
        lambda c, w: c.sessions.threads.events.stream(w.thread, session_id=w.session,
                                                      event_deltas=["agent.thinking"]),
        f"GET {THREAD}/stream", {"event_deltas[]": "agent.thinking"}, headers=SSE,
        returns=lambda event, w: event.type in STATUSES),
    # session resources
    Row("sessions.resources.add",
        lambda c, w: c.sessions.resources.add(w.session, file_id=w.file, mount_path="/m"),
        f"POST {SESSION}/resources", body={"type": "file", "file_id": "$file", "mount_path": "/m"}),
    Row("sessions.resources.list", lambda c, w: c.sessions.resources.list(w.session, limit=10),
        f"GET {SESSION}/resources", {"limit": "10"}),
    Row("sessions.resources.retrieve",
        lambda c, w: c.sessions.resources.retrieve(w.resource, session_id=w.session),
        f"GET {RESOURCE}"),
    Row("sessions.resources.update",
        lambda c, w: c.sessions.resources.update(w.resource, session_id=w.session, password="pw"),
        f"POST {RESOURCE}", body={"password": "pw"}),
    Row("sessions.resources.delete",
        lambda c, w: c.sessions.resources.delete(w.resource, session_id=w.session),
        f"DELETE {RESOURCE}", body={}),
    # agents
    Row("agents.create", lambda c, w: c.agents.create(model={"id": "m"}, name="B"),
        "POST /agents", body={"model": {"id": "m"}, "name": "B"}),
    Row("agents.list",
        lambda c, w: c.agents.list(include_archived=True, limit=5, created_at_gte=T0),
        "GET /agents", {"include_archived": "true", "limit": "5", "created_at[gte]": DAY}),
    Row("agents.retrieve", lambda c, w: c.agents.retrieve(w.agent, version=1),
        "GET /agents/$agent", {"version": "1"}),
    Row("agents.update",
        lambda c, w: c.agents.update(w.agent, system="s", description=None, version=1),
        "POST /agents/$agent", body={"system": "s", "description": None, "version": 1}),
    Row("agents.archive", lambda c, w: c.agents.archive(w.agent), "POST /agents/$agent/archive",
        body={}),
    Row("agents.versions.list", lambda c, w: c.agents.versions.list(w.agent, limit=10),
        "GET /agents/$agent/versions", {"limit": "10"}),
    # environments
    Row("environments.create", lambda c, w: c.environments.create(name="F", scope="account"),
        "POST /environments", body={"name": "F", "scope": "account"}),
    Row("environments.list", lambda c, w: c.environments.list(created_at_lte=DAY),
        "GET /environments", {"created_at[lte]": DAY}),
    Row("environments.retrieve", lambda c, w: c.environments.retrieve(w.env),
        "GET /environments/$env"),
    Row("environments.update", lambda c, w: c.environments.update(w.env, metadata={"k": None}),
        "POST /environments/$env", body={"metadata": {"k": None}}),
    Row("environments.archive", lambda c, w: c.environments.archive(w.env),
        "POST /environments/$env/archive", body={}),
    Row("environments.delete", lambda c, w: c.environments.delete(w.env),
        "DELETE /environments/$env", body={}),
    # environments.work
    Row("environments.work.poll",
        lambda c, w: c.environments.work.poll(w.hosted, block_ms=10, worker_id="w1"),
        f"GET {WORK}/poll", {"block_ms": "10"}, headers={"Worker-ID": "w1"},
        returns=lambda work, w: work.environment_id == w.hosted and work.id != w.work),
    Row("environments.work.ack",
        lambda c, w: c.environments.work.ack(w.work, environment_id=w.hosted),
        f"POST {WORK}/$work/ack", body={}),
    Row("environments.work.heartbeat",
        lambda c, w: c.environments.work.heartbeat(w.work, environment_id=w.hosted,
                                                   desired_ttl_seconds=60),
        f"POST {WORK}/$work/heartbeat", {"desired_ttl_seconds": "60"}, body={}),
    Row("environments.work.stop",
        lambda c, w: c.environments.work.stop(w.work, environment_id=w.hosted, force=True),
        f"POST {WORK}/$work/stop", body={"force": True}),
    Row("environments.work.update",
        lambda c, w: c.environments.work.update(w.work, environment_id=w.hosted,
                                                metadata={"h": "1"}),
        f"POST {WORK}/$work", body={"metadata": {"h": "1"}}),
    Row("environments.work.retrieve",
        lambda c, w: c.environments.work.retrieve(w.work, environment_id=w.hosted),
        f"GET {WORK}/$work"),
    Row("environments.work.list", lambda c, w: c.environments.work.list(w.hosted, limit=10),
        f"GET {WORK}", {"limit": "10"}),
    Row("environments.work.stats", lambda c, w: c.environments.work.stats(w.hosted),
        f"GET {WORK}/stats"),
    # files
    Row("files.upload",
        lambda c, w: c.files.upload(file=("n.json", b"{}"), name="n", metadata={"k": "v"},
                                    expires_in_seconds=60),
        "POST /files",
        body=form(("name", None, None, b"n"), ("metadata", None, None, b'{"k":"v"}'),
                  ("file", "n.json", "application/json", b"{}"),
                  ("expires_in_seconds", None, None, b"60"))),
    Row("files.list", lambda c, w: c.files.list(name="a.txt", i_ds=[w.file], limit=5),
        "GET /files", {"name": "a.txt", "ids[]": "$file", "limit": "5"}),
    Row("files.retrieve_metadata", lambda c, w: c.files.retrieve_metadata(w.file), f"GET {FILE}"),
    Row("files.download", lambda c, w: c.files.download(w.file), f"GET {FILE}/content",
        hop="GET /storage/files/$file", returns=lambda content, w: content == b"hello"),
    Row("files.delete", lambda c, w: c.files.delete(w.file), f"DELETE {FILE}", body={}),
    # vaults
    Row("vaults.create", lambda c, w: c.vaults.create(display_name="W", metadata={"k": "v"}),
        "POST /vaults", body={"display_name": "W", "metadata": {"k": "v"}}),
    Row("vaults.list", lambda c, w: c.vaults.list(include_archived=True, name="V"),
        "GET /vaults", {"include_archived": "true", "name": "V"}),
    Row("vaults.retrieve", lambda c, w: c.vaults.retrieve(w.vault), f"GET {VAULT}"),
    Row("vaults.archive", lambda c, w: c.vaults.archive(w.vault), f"POST {VAULT}/archive",
        body={}),
    Row("vaults.delete", lambda c, w: c.vaults.delete(w.vault), f"DELETE {VAULT}", body={}),
    # vaults.credentials
    Row("vaults.credentials.create",
        lambda c, w: c.vaults.credentials.create(w.vault, auth=AUTH, display_name="D"),
        f"POST {VAULT}/credentials", body={"auth": AUTH, "display_name": "D"}),
    Row("vaults.credentials.list", lambda c, w: c.vaults.credentials.list(w.vault, limit=2),
        f"GET {VAULT}/credentials", {"limit": "2"}),
    Row("vaults.credentials.retrieve",
        lambda c, w: c.vaults.credentials.retrieve(w.cred, vault_id=w.vault), f"GET {CRED}"),
    Row("vaults.credentials.update",
        lambda c, w: c.vaults.credentials.update(w.cred, vault_id=w.vault, auth=ROTATED,
                                                 metadata=None),
        f"POST {CRED}", body={"auth": ROTATED, "metadata": None}),
    Row("vaults.credentials.archive",
        lambda c, w: c.vaults.credentials.archive(w.cred, vault_id=w.vault),
        f"POST {CRED}/archive", body={}),
    Row("vaults.credentials.delete",
        lambda c, w: c.vaults.credentials.delete(w.cred, vault_id=w.vault),
        f"DELETE {CRED}", body={}),
    Row("vaults.credentials.mcp_oauth_validate",
        lambda c, w: c.vaults.credentials.mcp_oauth_validate(w.cred, vault_id=w.vault),
        f"POST {CRED}/mcp_oauth_validate", body={}),
    # memory stores
    Row("memory_stores.create", lambda c, w: c.memory_stores.create(name="T"),
        "POST /memory_stores", body={"name": "T"}),
    Row("memory_stores.list", lambda c, w: c.memory_stores.list(name="S", include_archived=False),
        "GET /memory_stores", {"name": "S", "include_archived": "false"}),
    Row("memory_stores.retrieve", lambda c, w: c.memory_stores.retrieve(w.store), f"GET {STORE}"),
    Row("memory_stores.update", lambda c, w: c.memory_stores.update(w.store, description="x"),
        f"POST {STORE}", body={"description": "x"}),
    Row("memory_stores.archive", lambda c, w: c.memory_stores.archive(w.store),
        f"POST {STORE}/archive", body={}),
    Row("memory_stores.delete", lambda c, w: c.memory_stores.delete(w.store), f"DELETE {STORE}",
        body={}),
    # memory_stores.memories
    Row("memory_stores.memories.create",
        lambda c, w: c.memory_stores.memories.create(w.store, path="/b", content=None,
                                                     view="full"),
        f"POST {STORE}/memories", {"view": "full"}, body={"path": "/b", "content": None}),
    Row("memory_stores.memories.list",
        lambda c, w: c.memory_stores.memories.list(w.store, path_prefix="/", depth=2),
        f"GET {STORE}/memories", {"path_prefix": "/", "depth": "2"}),
    Row("memory_stores.memories.retrieve",
        lambda c, w: c.memory_stores.memories.retrieve(w.memory, memory_store_id=w.store,
                                                       view="basic"),
        f"GET {STORE}/memories/$memory", {"view": "basic"}),
    Row("memory_stores.memories.update",
        lambda c, w: c.memory_stores.memories.update(w.memory, memory_store_id=w.store,
                                                     content="v2", precondition=PRECONDITION),
        f"POST {STORE}/memories/$memory", body={"content": "v2", "content_sha256": HELLO_SHA}),
    Row("memory_stores.memories.delete",
        lambda c, w: c.memory_stores.memories.delete(w.memory, memory_store_id=w.store,
                                                     expected_content_sha256=HELLO_SHA),
        f"DELETE {STORE}/memories/$memory", {"expected_content_sha256": HELLO_SHA}, body={}),
    # memory_stores.memory_versions
    Row("memory_stores.memory_versions.list",
        lambda c, w: c.memory_stores.memory_versions.list(w.store, memory_id=w.memory,
                                                          operation="created"),
        f"GET {STORE}/memory_versions", {"memory_id": "$memory", "operation": "created"}),
    Row("memory_stores.memory_versions.retrieve",
        lambda c, w: c.memory_stores.memory_versions.retrieve(w.memory_version,
                                                              memory_store_id=w.store),
        f"GET {STORE}/memory_versions/$memory_version"),
    Row("memory_stores.memory_versions.redact",
        lambda c, w: c.memory_stores.memory_versions.redact(w.memory_version,
                                                            memory_store_id=w.store),
        f"POST {STORE}/memory_versions/$memory_version/redact", body={}),
    # skills
    Row("skills.create",
        lambda c, w: c.skills.create(files=[("ex/SKILL.md", SKILL_MD)], display_title="T",
                                     metadata={"k": "v"}),
        "POST /skills",
        body=form(("display_title", None, None, b"T"), ("metadata", None, None, b'{"k":"v"}'),
                  SKILL_PART)),
    Row("skills.list", lambda c, w: c.skills.list(display_name="T", source="custom"),
        "GET /skills", {"display_title": "T", "source": "custom"}),
    Row("skills.retrieve", lambda c, w: c.skills.retrieve(w.skill), f"GET {SKILL}"),
    Row("skills.delete", lambda c, w: c.skills.delete(w.skill), f"DELETE {SKILL}", body={}),
    # skills.versions
    Row("skills.versions.create",
        lambda c, w: c.skills.versions.create(w.skill, files=[("ex/SKILL.md", SKILL_MD)]),
        f"POST {SKILL}/versions", body=form(SKILL_PART)),
    Row("skills.versions.list", lambda c, w: c.skills.versions.list(w.skill, limit=3),
        f"GET {SKILL}/versions", {"limit": "3"}),
    Row("skills.versions.retrieve",
        lambda c, w: c.skills.versions.retrieve(w.skill_version, skill_id=w.skill),
        f"GET {SKILL_VERSION}"),
    Row("skills.versions.delete",
        lambda c, w: c.skills.versions.delete(w.skill_version, skill_id=w.skill),
        f"DELETE {SKILL_VERSION}", body={}),
    Row("skills.versions.download",
        lambda c, w: c.skills.versions.download(w.skill_version, skill_id=w.skill),
        f"GET {SKILL_VERSION}/content", returns=lambda content, w: len(content) > 0),
    # deployments
    Row("deployments.create",
        lambda c, w: c.deployments.create(agent={"id": w.agent, "version": 1},
                                          environment_id=w.env, name="N", initial_events=EVENTS,
                                          schedule=SCHEDULE, vault_ids=[w.vault]),
        "POST /deployments",
        body={"agent": {"id": "$agent", "type": "agent", "version": 1}, "environment_id": "$env",
              "name": "N", "initial_events": EVENTS, "schedule": SCHEDULE,
              "vault_ids": ["$vault"]}),
    Row("deployments.list", lambda c, w: c.deployments.list(status="active", agent_id=w.agent),
        "GET /deployments", {"status": "active", "agent_id": "$agent"}),
    Row("deployments.retrieve", lambda c, w: c.deployments.retrieve(w.deployment),
        f"GET {DEPLOYMENT}"),
    Row("deployments.update", lambda c, w: c.deployments.update(w.deployment, schedule=None),
        f"POST {DEPLOYMENT}", body={"schedule": None}),
    Row("deployments.archive", lambda c, w: c.deployments.archive(w.deployment),
        f"POST {DEPLOYMENT}/archive", body={}),
    Row("deployments.pause", lambda c, w: c.deployments.pause(w.deployment),
        f"POST {DEPLOYMENT}/pause", body={}),
    Row("deployments.unpause", lambda c, w: c.deployments.unpause(w.deployment),
        f"POST {DEPLOYMENT}/unpause", body={}),
    Row("deployments.run", lambda c, w: c.deployments.run(w.deployment),
        f"POST {DEPLOYMENT}/run", body={},
        returns=lambda run, w: run.deployment_id == w.deployment),
    # deployments.runs
    Row("deployments.runs.list",
        lambda c, w: c.deployments.runs.list(w.deployment, triggered_after=DAY),
        f"GET {DEPLOYMENT}/runs", {"triggered_after": DAY}),
    Row("deployments.runs.retrieve",
        lambda c, w: c.deployments.runs.retrieve(w.run, deployment_id=w.deployment),
        f"GET {DEPLOYMENT}/runs/$run"),
    # deployment_runs
    Row("deployment_runs.list",
        lambda c, w: c.deployment_runs.list(deployment_id=w.deployment, has_error=False,
                                            trigger_type="manual", created_at_gt=T0),
        "GET /deployment_runs",
        {"deployment_id": "$deployment", "has_error": "false", "trigger_type": "manual",
         "created_at[gt]": DAY}),
    Row("deployment_runs.retrieve", lambda c, w: c.deployment_runs.retrieve(w.run),
        "GET /deployment_runs/$run"),
    # dreams
    Row("dreams.create",
        lambda c, w: c.dreams.create(inputs=[{"type": "sessions"}], model={"id": "m"}),
        "POST /dreams", body={"inputs": [{"type": "sessions"}], "model": {"id": "m"}}),
    Row("dreams.list", lambda c, w: c.dreams.list(statuses=["pending"], created_at_lt=DAY),
        "GET /dreams", {"statuses[]": "pending", "created_at[lt]": DAY}),
    Row("dreams.retrieve", lambda c, w: c.dreams.retrieve(w.dream), "GET /dreams/$dream"),
    Row("dreams.archive", lambda c, w: c.dreams.archive(w.dream), "POST /dreams/$dream/archive",
        body={}),
    Row("dreams.cancel", lambda c, w: c.dreams.cancel(w.dream), "POST /dreams/$dream/cancel",
        body={}),
    # models
    Row("models.list", lambda c, w: c.models.list(limit=50), "GET /models", {"limit": "50"}),
]  # fmt: skip

ROW_IDS = [row.name for row in ROWS]


# -- what the server received --------------------------------------------------------------


def ids(value: Any, w: World) -> Any:
    """``value`` with every ``$name`` in its strings replaced by the world's id of that name."""
    if isinstance(value, str):
        return re.sub(r"\$(\w+)", lambda m: str(getattr(w, m.group(1))), value)
    if isinstance(value, Mapping):
        return {key: ids(item, w) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(ids(item, w) for item in value)
    return value


def sent_body(request: RecordedRequest) -> Any:
    """The recorded body: JSON decoded, a form as its parts' tuples, or ``None`` if empty."""
    if not request.body:
        return None
    content_type = request.headers["Content-Type"]
    if not content_type.startswith("multipart/form-data"):
        assert content_type.startswith("application/json")
        return json.loads(request.body)
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    assert message.is_multipart()
    return [
        (
            part.get_param("name", header="content-disposition"),
            part.get_param("filename", header="content-disposition"),
            part["Content-Type"],
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    ]


def check(server: FakeQoderServer, row: Row, w: World, result: Any) -> None:
    """What ``row``'s call sent (its first request) and gave, for either client."""
    sent, *rest = server.requests
    assert f"{sent.method} {sent.path}" == ids(row.sent, w)
    assert dict(sent.query) == ids(row.query, w)
    assert sent_body(sent) == ids(row.body, w)
    for name, value in ids(row.headers, w).items():
        assert sent.headers.get(name) == value, name
    if sent.method == "GET":
        assert "Idempotency-Key" not in sent.headers
    else:
        assert uuid.UUID(sent.headers["Idempotency-Key"]).version == 4
    if row.hop is None:
        if isinstance(result, list):  # a list may take more pages, all from the same path
            assert all((r.method, r.path) == (sent.method, sent.path) for r in rest)
        else:
            assert rest == []
    else:
        [then] = rest  # the content, from the URL the API answered: with no API headers
        assert f"{then.method} {then.path}" == ids(row.hop, w)
        assert "Authorization" not in then.headers
    if row.returns is not None:
        assert row.returns(result, w)
    elif not isinstance(result, list):
        assert request_id_of(result) is not None


# -- settling a call, on each client ----------------------------------------------------


async def settle_async(value: Any) -> Any:
    """What an ``AsyncQoder`` call gave, used: awaited, a list walked, a stream's first
    event taken, a download read."""
    if inspect.isawaitable(value):
        value = await value
    if isinstance(value, AsyncPaginator):
        return [item async for item in value]
    if isinstance(value, EventStream):
        async with value:
            first = await anext(value)
        assert isinstance(first, Event)
        return first
    if isinstance(value, BinaryResponse):
        return await value.read()
    return value


def settle_sync(value: Any) -> Any:
    """What a ``Qoder`` call gave, used as :func:`settle_async` uses it."""
    if isinstance(value, SyncPaginator):
        return list(value)
    if isinstance(value, SyncEventStream):
        with value:
            first = next(value)
        assert isinstance(first, Event)
        return first
    if isinstance(value, SyncResource):  # the blocking form of a BinaryResponse
        return value.read()
    return value


async def build_async(client: AsyncQoder, server: FakeQoderServer) -> World:
    steps = build(client, server)
    try:
        value = None
        while True:
            value = await settle_async(steps.send(value))
    except StopIteration as done:
        world: World = done.value
        return world


def build_sync(client: Qoder, server: FakeQoderServer) -> World:
    steps = build(client, server)
    try:
        value = None
        while True:
            value = settle_sync(steps.send(value))
    except StopIteration as done:
        world: World = done.value
        return world


@pytest.fixture
async def async_world(fake_qoder: FakeQoderServer, qoder_client: AsyncQoder) -> World:
    return await build_async(qoder_client, fake_qoder)


@pytest.fixture
def sync_world(fake_qoder_threaded: FakeQoderServer, qoder_sync_client: Qoder) -> World:
    return build_sync(qoder_sync_client, fake_qoder_threaded)


# -- the table is the whole surface --------------------------------------------------------


def endpoint_names(resource: object, prefix: str = "") -> Iterator[str]:
    """The public methods of the resources under ``resource`` (the client: ``prefix`` empty;
    a resource: its dotted name and a dot), dotted: ``agents.versions.list``, ..."""
    for name in dir(resource):
        if name.startswith("_") or name == "with_raw_response":
            continue
        value = getattr(resource, name)
        if isinstance(value, RESOURCE_TYPES):
            yield from endpoint_names(value, f"{prefix}{name}.")
        elif prefix and callable(value):
            yield f"{prefix}{name}"


def test_the_table_has_every_endpoint_once() -> None:
    assert len(ROWS) == ENDPOINTS
    assert len({row.name for row in ROWS}) == ENDPOINTS
    assert len({row.template for row in ROWS}) == ENDPOINTS, "two rows send the same request"
    # Every placeholder names an id of the world (a typo would otherwise go to the server).
    names = {f.name for f in fields(World)}
    for row in ROWS:
        spelled = json.dumps([row.sent, row.query, row.body, row.headers, row.hop], default=repr)
        assert set(re.findall(r"\$(\w+)", spelled)) <= names, row.name


@pytest.mark.anyio
async def test_the_table_is_the_client_s_whole_surface(qoder_client: AsyncQoder) -> None:
    public = set(endpoint_names(qoder_client))
    assert public >= HELPERS
    assert sorted(public - HELPERS) == sorted(row.name for row in ROWS)


# -- the walk, on both clients -------------------------------------------------------------

# The async tests carry their anyio marker themselves: left to the plugin's auto-marking,
# anyio (4.16) rebuilds a parametrized test with only ``anyio_backend`` and loses ``row``.


@pytest.mark.anyio
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
async def test_async_client(
    fake_qoder: FakeQoderServer, qoder_client: AsyncQoder, async_world: World, row: Row
) -> None:
    result = await settle_async(row.call(qoder_client, async_world))
    check(fake_qoder, row, async_world, result)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_blocking_client(
    fake_qoder_threaded: FakeQoderServer, qoder_sync_client: Qoder, sync_world: World, row: Row
) -> None:
    result = settle_sync(row.call(qoder_sync_client, sync_world))
    check(fake_qoder_threaded, row, sync_world, result)
