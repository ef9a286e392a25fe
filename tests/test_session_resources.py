"""sessions.resources over loopback: CRUD, the typed union, write-only secrets, idempotency."""

from __future__ import annotations

import pytest
from conftest import AGENT, ENV

from qoder_async import (
    BadRequestError,
    DeletedSessionResource,
    FileResource,
    GitHubRepositoryResource,
    GitRepositoryResource,
    InvalidParameterError,
    MemoryStoreResource,
    NotFoundError,
    ParameterTypeError,
    RepositoryCheckout,
    SessionResource,
    request_id_of,
    to_dict,
)
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio

FILE = "file_011CNha8iCJcU1wXNR6q4V8w"
GITHUB = {"type": "github_repository", "url": "https://github.com/your-org/your-repo"}
TOKEN = "ghp_do-not-print-me"
PASSWORD = "hunter2-do-not-print-me"
STAMP = "2026-05-18T12:00:00Z"


async def new_session(client, **fields) -> str:
    return (await client.sessions.create(agent=AGENT, environment_id=ENV, **fields)).id


def resources_path(session_id: str, resource_id: str | None = None) -> str:
    path = f"/sessions/{session_id}/resources"
    return path if resource_id is None else f"{path}/{resource_id}"


def stamped(**fields) -> dict:
    return {"id": "sesrsc_1", "created_at": STAMP, "updated_at": STAMP, **fields}


# -- CRUD ------------------------------------------------------------------------------


async def test_add_list_retrieve_delete_round_trip(fake_qoder: FakeQoderServer, qoder_client):
    sid = await new_session(qoder_client)
    resources = qoder_client.sessions.resources

    added = await resources.add(sid, file_id=FILE, mount_path="/data/input.csv")
    assert isinstance(added, FileResource)
    assert added.id.startswith("sesrsc_") and added.type == "file"
    assert (added.file_id, added.mount_path) == (FILE, "/data/input.csv")
    assert added.created_at is not None and request_id_of(added) is not None
    [post] = fake_qoder.requests_to("POST", resources_path(sid))
    assert post.json() == {"type": "file", "file_id": FILE, "mount_path": "/data/input.csv"}

    assert [r async for r in resources.list(sid)] == [added]
    assert await resources.retrieve(added.id, session_id=sid) == added

    gone = await resources.delete(added.id, session_id=sid)
    assert isinstance(gone, DeletedSessionResource) and gone.id == added.id
    [delete] = fake_qoder.requests_to("DELETE", resources_path(sid, added.id))
    assert delete.json() == {}  # DELETE sends an empty JSON object, as the SDK does
    with pytest.raises(NotFoundError):
        await resources.retrieve(added.id, session_id=sid)
    with pytest.raises(NotFoundError):
        await resources.delete(added.id, session_id=sid)
    assert [r async for r in resources.list(sid)] == []


async def test_add_without_a_mount_path_sends_none(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    await qoder_client.sessions.resources.add(sid, file_id=FILE)
    assert fake_qoder.requests_to("POST", resources_path(sid))[0].json() == {
        "type": "file",
        "file_id": FILE,
    }


async def test_resources_of_create_are_listed_and_their_secret_rotated(fake_qoder, qoder_client):
    sid = await new_session(qoder_client, resources=[{**GITHUB, "authorization_token": TOKEN}])
    resources = qoder_client.sessions.resources
    [repo] = [r async for r in resources.list(sid)]
    assert isinstance(repo, GitHubRepositoryResource) and repo.url == GITHUB["url"]

    rotated = await resources.update(repo.id, session_id=sid, authorization_token="ghp_new")
    assert isinstance(rotated, GitHubRepositoryResource) and rotated.id == repo.id
    [post] = fake_qoder.requests_to("POST", resources_path(sid, repo.id))
    assert post.json() == {"authorization_token": "ghp_new"}  # sent...
    for text in (repr(rotated), repr(to_dict(rotated)), repr(rotated.extra)):
        assert "ghp_new" not in text and TOKEN not in text  # ...and never kept
    # the server refuses the secret of the other kind of repository
    with pytest.raises(BadRequestError):
        await resources.update(repo.id, session_id=sid, password=PASSWORD)


async def test_a_session_s_resources_are_typed_by_kind_without_secrets(qoder_client) -> None:
    github = {**GITHUB, "authorization_token": TOKEN, "mount_path": "/src"}
    created = await qoder_client.sessions.create(
        agent=AGENT, environment_id=ENV, resources=[{"type": "file", "file_id": FILE}, github]
    )
    for session in (created, await qoder_client.sessions.retrieve(created.id)):
        file, repo = session.resources
        assert isinstance(file, FileResource) and file.file_id == FILE
        assert isinstance(repo, GitHubRepositoryResource) and repo.url == GITHUB["url"]
        as_dict = to_dict(session)
        assert as_dict["resources"][0]["file_id"] == FILE  # each kind keeps its own fields
        assert as_dict["resources"][1]["mount_path"] == "/src"
        assert TOKEN not in repr(session) + repr(as_dict)


async def test_list_pages_and_sends_cursors(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    added = [
        (await qoder_client.sessions.resources.add(sid, file_id=f"file_{n}")).id for n in range(3)
    ]
    listed = qoder_client.sessions.resources.list(sid, after_id=added[0], limit=1)
    assert [r.id async for r in listed] == added[1:]
    first, second = fake_qoder.requests_to("GET", resources_path(sid))
    assert first.query == {"after_id": added[0], "limit": "1"}
    assert second.query == {"limit": "1", "page": "page_2"}


# -- the union ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "cls", "fields"),
    [
        (
            stamped(type="file", file_id=FILE, mount_path="/mnt/in"),
            FileResource,
            {"file_id": FILE, "mount_path": "/mnt/in"},
        ),
        (
            stamped(**GITHUB, checkout={"type": "branch", "name": "main"}),
            GitHubRepositoryResource,
            {"url": GITHUB["url"], "checkout": RepositoryCheckout(type="branch", name="main")},
        ),
        (
            stamped(type="git_repository", url="https://git.example/r.git",
                    checkout={"type": "commit", "sha": "0123abc"}),
            GitRepositoryResource,
            {"checkout": RepositoryCheckout(type="commit", sha="0123abc")},
        ),
        (
            stamped(type="memory_store", memory_store_id="memstore_1", access="read_only",
                    instructions="Use it", name="notes", description="Team notes"),
            MemoryStoreResource,
            {"memory_store_id": "memstore_1", "access": "read_only", "name": "notes"},
        ),
    ],
)  # fmt: skip
async def test_each_kind_parses_to_its_class(fake_qoder, qoder_client, body, cls, fields) -> None:
    sid = await new_session(qoder_client)
    fake_qoder.inject(Fault.respond(200, body), path=resources_path(sid, "sesrsc_1"))
    resource = await qoder_client.sessions.resources.retrieve("sesrsc_1", session_id=sid)
    assert type(resource) is cls and isinstance(resource, SessionResource)
    assert resource.type == body["type"] and resource.created_at is not None
    for name, value in fields.items():
        assert getattr(resource, name) == value
    assert to_dict(resource).keys() >= body.keys()  # nothing lost


async def test_unknown_kinds_and_fields_are_kept(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    page = {
        "data": [
            stamped(type="s3_bucket", bucket="logs", region="eu"),
            stamped(type="file", file_id=FILE, checksum="abc"),
            {"id": "sesrsc_2", "mount_path": "/x"},
        ],
        "has_more": False,
    }
    fake_qoder.inject(Fault.respond(200, page), path=resources_path(sid))
    bucket, file, untyped = [r async for r in qoder_client.sessions.resources.list(sid)]
    assert type(bucket) is SessionResource and bucket.type == "s3_bucket"
    assert bucket.extra == {"bucket": "logs", "region": "eu"}
    assert type(file) is FileResource and file.extra == {"checksum": "abc"}
    assert type(untyped) is SessionResource and untyped.type is None


async def test_secrets_in_a_response_are_dropped(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    leaky = stamped(type="git_repository", url="https://git.example/r.git", password=PASSWORD)
    leaky_hub = stamped(**GITHUB, authorization_token=TOKEN)
    unknown = stamped(type="vault_thing", password=PASSWORD, authorization_token=TOKEN)
    path = resources_path(sid, "sesrsc_1")
    for body in (leaky, leaky_hub, unknown):
        fake_qoder.inject(Fault.respond(200, body), path=path)
        resource = await qoder_client.sessions.resources.retrieve("sesrsc_1", session_id=sid)
        for text in (repr(resource), repr(to_dict(resource)), repr(dict(resource.extra))):
            assert PASSWORD not in text and TOKEN not in text


async def test_add_s_answer_is_a_file_resource(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    fake_qoder.inject(Fault.respond(200, {"id": "sesrsc_9"}), path=resources_path(sid))
    added = await qoder_client.sessions.resources.add(sid, file_id=FILE)
    assert type(added) is FileResource and added.type == "file"


# -- idempotency ---------------------------------------------------------------------------


async def test_every_write_carries_an_idempotency_key(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client, resources=[{"type": "git_repository", "url": "u"}])
    resources = qoder_client.sessions.resources
    [repo] = [r async for r in resources.list(sid)]
    added = await resources.add(sid, file_id=FILE)
    await resources.update(repo.id, session_id=sid, password=PASSWORD)
    await resources.delete(added.id, session_id=sid)
    writes = [r for r in fake_qoder.requests if r.method in ("POST", "DELETE")]
    assert len(writes) == 4  # the create, add, update and delete
    keys = [r.headers["Idempotency-Key"] for r in writes]
    assert all(keys) and len(set(keys)) == len(keys)


async def test_a_retried_add_reuses_its_key_and_adds_once(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    path = resources_path(sid)
    fake_qoder.inject(Fault.drop_response(), method="POST", path=path)
    added = await qoder_client.sessions.resources.add(sid, file_id=FILE)
    first, second = fake_qoder.requests_to("POST", path)
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert [r.id async for r in qoder_client.sessions.resources.list(sid)] == [added.id]


# -- validation ----------------------------------------------------------------------------


SID, RID = "sess_1", "sesrsc_1"
INVALID, TYPE = InvalidParameterError, ParameterTypeError


@pytest.mark.parametrize(
    ("call", "error", "field"),
    [
        (lambda r: r.add(SID, file_id=FILE, type="github_repository"), INVALID, "type"),
        (lambda r: r.add(SID, file_id=FILE, type=None), TYPE, "type"),
        (lambda r: r.add(SID, file_id="abc"), INVALID, "file_id"),
        (lambda r: r.add(SID, file_id=None), TYPE, "file_id"),
        (lambda r: r.add(SID, file_id=FILE, mount_path=5), TYPE, "mount_path"),
        (lambda r: r.add(SID, file_id=FILE, mount_path=""), INVALID, "mount_path"),
        (lambda r: r.add("session_1", file_id=FILE), INVALID, "session_id"),
        (lambda r: r.retrieve("", session_id=SID), INVALID, "resource_id"),
        (lambda r: r.retrieve(".", session_id=SID), INVALID, "resource_id"),
        (lambda r: r.retrieve("../x", session_id=SID), INVALID, "resource_id"),
        (lambda r: r.delete(["r"], session_id=SID), TYPE, "resource_id"),
        (lambda r: r.delete(RID, session_id=1), TYPE, "session_id"),
        (lambda r: r.update(RID, session_id=SID), INVALID, "password"),
        (lambda r: r.update(RID, session_id=SID, password=None), TYPE, "password"),
        (
            lambda r: r.update(RID, session_id=SID, authorization_token=""),
            INVALID,
            "authorization_token",
        ),
    ],
)
async def test_bad_input_raises_before_anything_is_sent(
    fake_qoder, qoder_client, call, error, field
) -> None:
    with pytest.raises(error) as caught:
        await call(qoder_client.sessions.resources)
    assert caught.value.field == field
    assert fake_qoder.requests == []


async def test_bad_list_arguments_raise_before_anything_is_sent(fake_qoder, qoder_client):
    resources = qoder_client.sessions.resources
    with pytest.raises(InvalidParameterError):
        resources.list("sess_1", limit=101)
    with pytest.raises(InvalidParameterError):
        resources.list("sess_1", after_id="a", before_id="b")
    with pytest.raises(InvalidParameterError):
        resources.list("sess/1")
    assert fake_qoder.requests == []


async def test_a_bad_secret_is_never_echoed(fake_qoder, qoder_client) -> None:
    too_long = PASSWORD * 1000
    with pytest.raises(InvalidParameterError) as caught:
        await qoder_client.sessions.resources.update(
            "sesrsc_1", session_id="sess_1", password=too_long
        )
    assert PASSWORD not in str(caught.value)
    assert fake_qoder.requests == []


async def test_the_raw_response_view(fake_qoder, qoder_client) -> None:
    sid = await new_session(qoder_client)
    raw = await qoder_client.sessions.resources.with_raw_response.add(sid, file_id=FILE)
    assert raw.status == 200 and isinstance(raw.parse(), FileResource)
