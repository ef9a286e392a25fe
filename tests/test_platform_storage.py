"""Files, vaults (credentials) and skills (versions) against the fake server, over loopback:
every endpoint's request, one row each, and the argument checks that fail before anything
is sent. The rows join ``test_platform_resources.py``'s in its walk of the whole surface.
(Uploads, downloads and secrets in depth: ``test_files.py``, ``test_vault_secrets.py``.)"""

from __future__ import annotations

import io
import json
import mimetypes
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_platform_resources import Row, endpoint, ids, invoke, refused

from qoder_async import (
    AsyncQoder,
    BinaryResponse,
    InvalidParameterError,
    ParameterTypeError,
    request_id_of,
)
from qoder_async.testing import FakeQoderServer
from qoder_async.testing._form import parse_form

pytestmark = pytest.mark.anyio

#: The groups this table covers (``test_platform_resources`` walks them with its own).
STORAGE = ("files", "vaults", "skills")
SKILL_MD = b"---\nname: ex\ndescription: An example.\n---\nDo the thing."
AUTH = {"type": "mcp_oauth", "access_token": "tok-1", "mcp_server_url": "https://mcp.example"}
ROTATED = {"type": "mcp_oauth", "access_token": "tok-2"}


@dataclass
class World:
    """One of everything, made through the client (rows write ``$file``, ``$vault``, ...)."""

    file: str
    vault: str
    cred: str
    skill: str
    version: str


@pytest.fixture
async def world(fake_qoder: FakeQoderServer, qoder_client: AsyncQoder) -> World:
    c = qoder_client
    file = await c.files.upload(file=("a.txt", b"hello"))
    vault = await c.vaults.create(display_name="V")
    cred = await c.vaults.credentials.create(vault.id, auth=AUTH)
    skill = await c.skills.create(files=[("ex/SKILL.md", SKILL_MD)])
    fake_qoder.requests.clear()
    assert skill.latest_version is not None
    return World(file.id, vault.id, cred.id, skill.id, skill.latest_version)


def form(*parts: tuple[str, str | None, str | None, bytes]) -> list[tuple[Any, ...]]:
    """A multipart body as rows expect it: (field, filename, content type, bytes) per part."""
    return list(parts)


VAULT = "/vaults/$vault"
CRED = f"{VAULT}/credentials/$cred"
IN_VAULT = {"vault_id": "$vault"}
VERSION = "/skills/$skill/versions/$version"
IN_SKILL = {"skill_id": "$skill"}
SKILL_PART = ("files", "ex/SKILL.md", mimetypes.guess_type("SKILL.md")[0], SKILL_MD)

STORAGE_ROWS = [
    # files
    Row("files.upload", (), {"file": ("n.json", b"{}"), "name": "n", "metadata": {"k": "v"},
                             "expires_in_seconds": 60}, "POST /files",
        body=form(("name", None, None, b"n"), ("metadata", None, None, b'{"k":"v"}'),
                  ("file", "n.json", "application/json", b"{}"),
                  ("expires_in_seconds", None, None, b"60"))),
    Row("files.list", (), {"name": "a.txt", "i_ds": ["$file"], "limit": 5}, "GET /files",
        {"name": "a.txt", "ids[]": "$file", "limit": "5"}),
    Row("files.retrieve_metadata", ("$file",), {}, "GET /files/$file"),
    Row("files.download", ("$file",), {}, "GET /files/$file/content"),
    Row("files.delete", ("$file",), {}, "DELETE /files/$file", body={}),
    # vaults
    Row("vaults.create", (), {"display_name": "W", "metadata": {"k": "v"}}, "POST /vaults",
        body={"display_name": "W", "metadata": {"k": "v"}}),
    Row("vaults.list", (), {"include_archived": True, "name": "V"}, "GET /vaults",
        {"include_archived": "true", "name": "V"}),
    Row("vaults.retrieve", ("$vault",), {}, f"GET {VAULT}"),
    Row("vaults.archive", ("$vault",), {}, f"POST {VAULT}/archive", body={}),
    Row("vaults.delete", ("$vault",), {}, f"DELETE {VAULT}", body={}),
    Row("vaults.credentials.create", ("$vault",), {"auth": AUTH, "display_name": "D"},
        f"POST {VAULT}/credentials", body={"auth": AUTH, "display_name": "D"}),
    Row("vaults.credentials.list", ("$vault",), {"limit": 2}, f"GET {VAULT}/credentials",
        {"limit": "2"}),
    Row("vaults.credentials.retrieve", ("$cred",), IN_VAULT, f"GET {CRED}"),
    Row("vaults.credentials.update", ("$cred",),
        {**IN_VAULT, "auth": ROTATED, "metadata": None},
        f"POST {CRED}", body={"auth": ROTATED, "metadata": None}),
    Row("vaults.credentials.archive", ("$cred",), IN_VAULT, f"POST {CRED}/archive", body={}),
    Row("vaults.credentials.delete", ("$cred",), IN_VAULT, f"DELETE {CRED}", body={}),
    Row("vaults.credentials.mcp_oauth_validate", ("$cred",), IN_VAULT,
        f"POST {CRED}/mcp_oauth_validate", body={}),
    # skills
    Row("skills.create", (), {"files": [("ex/SKILL.md", SKILL_MD)], "display_title": "T",
                              "metadata": {"k": "v"}}, "POST /skills",
        body=form(("display_title", None, None, b"T"), ("metadata", None, None, b'{"k":"v"}'),
                  SKILL_PART)),
    Row("skills.list", (), {"display_name": "T", "source": "custom"}, "GET /skills",
        {"display_title": "T", "source": "custom"}),
    Row("skills.retrieve", ("$skill",), {}, "GET /skills/$skill"),
    Row("skills.delete", ("$skill",), {}, "DELETE /skills/$skill", body={}),
    Row("skills.versions.create", ("$skill",), {"files": [("ex/SKILL.md", SKILL_MD)]},
        "POST /skills/$skill/versions", body=form(SKILL_PART)),
    Row("skills.versions.list", ("$skill",), {"limit": 3}, "GET /skills/$skill/versions",
        {"limit": "3"}),
    Row("skills.versions.retrieve", ("$version",), IN_SKILL, f"GET {VERSION}"),
    Row("skills.versions.delete", ("$version",), IN_SKILL, f"DELETE {VERSION}", body={}),
    Row("skills.versions.download", ("$version",), IN_SKILL, f"GET {VERSION}/content"),
]  # fmt: skip


def sent_body(request: Any) -> Any:
    """The recorded body: JSON decoded, a form as its parts' tuples, or ``None``."""
    if not request.body:
        return None
    content_type = request.headers["Content-Type"]
    if content_type.startswith("multipart/form-data"):
        parts = parse_form(request.body, content_type)
        return [(p.name, p.filename, p.content_type, p.data) for p in parts]
    return json.loads(request.body)


@pytest.mark.parametrize("row", STORAGE_ROWS, ids=[row.name for row in STORAGE_ROWS])
async def test_each_endpoint_sends_what_the_api_documents(
    fake_qoder, qoder_client, world, row: Row
) -> None:
    call = endpoint(qoder_client, row.name)
    result = await invoke(call(*ids(row.args, world), **ids(row.kwargs, world)))
    if isinstance(result, BinaryResponse):
        assert await result.read()  # the content is requested when it is read
    sent = fake_qoder.requests[0]
    assert f"{sent.method} {sent.path}" == ids(row.sent, world)
    assert sent.query == ids(row.query, world)
    assert sent_body(sent) == ids(row.body, world)
    if sent.method == "GET":
        assert "Idempotency-Key" not in sent.headers
    else:
        assert uuid.UUID(sent.headers["Idempotency-Key"]).version == 4
    if not isinstance(result, list):
        assert request_id_of(result) is not None


# -- validation before sending -------------------------------------------------------------


IPE, PTE = InvalidParameterError, ParameterTypeError
IN_V = {"vault_id": "vault_1"}
IN_S = {"skill_id": "skill_1"}
NOT_SEEKABLE = io.BufferedReader(io.BytesIO(b"x"))
NOT_SEEKABLE.seekable = lambda: False  # type: ignore[method-assign]
# name, args, kwargs, the field the error names, the error
BAD_CALLS = [
    ("files.upload", (), {"file": None}, "file", PTE),
    ("files.upload", (), {"file": 42}, "file", PTE),
    ("files.upload", (), {"file": "/no/such/file.txt"}, "file", IPE),
    ("files.upload", (), {"file": "."}, "file", IPE),
    ("files.upload", (), {"file": ""}, "file", IPE),
    ("files.upload", (), {"file": "a\x00b"}, "file", IPE),
    ("files.upload", (), {"file": io.StringIO("text")}, "file", PTE),
    ("files.upload", (), {"file": NOT_SEEKABLE}, "file", IPE),
    ("files.upload", (), {"file": ("a\nb", b"x")}, "file[0]", IPE),
    ("files.upload", (), {"file": ("a", b"x", "t", 4)}, "file", PTE),
    ("files.upload", (), {"file": b"x", "content_type": "text"}, "content_type", IPE),
    ("files.upload", (), {"file": b"x", "metadata": {"k": 1}}, "metadata['k']", PTE),
    ("files.upload", (), {"file": b"x", "expires_in_seconds": 0}, "expires_in_seconds", IPE),
    ("files.upload", (), {"file": b"x", "name": 5}, "name", PTE),
    ("files.upload", (), {"file": b"x", "extra_body": [1]}, "extra_body", PTE),
    ("files.retrieve_metadata", ("sess_1",), {}, "file_id", IPE),
    ("files.download", ("file_a/b",), {}, "file_id", IPE),
    ("files.delete", (None,), {}, "file_id", PTE),
    ("files.list", (), {"i_ds": "file_1"}, "i_ds", PTE),
    ("files.list", (), {"i_ds": ["sess_1"]}, "i_ds[0]", IPE),
    ("vaults.create", (), {"display_name": ""}, "display_name", IPE),
    ("vaults.retrieve", ("vlt_1",), {}, "vault_id", IPE),
    ("vaults.list", (), {"include_archived": "yes"}, "include_archived", PTE),
    ("vaults.credentials.create", ("vault_1",), {"auth": "tok"}, "auth", PTE),
    ("vaults.credentials.create", ("vault_1",), {"auth": None}, "auth", IPE),
    ("vaults.credentials.create", ("vault_1",), {"auth": {"token": "x"}}, "auth.type", IPE),
    ("vaults.credentials.create", ("vault_1",), {"auth": {"type": "t", "x": {1}}}, "auth", IPE),
    ("vaults.credentials.retrieve", ("cred_1",), IN_V, "credential_id", IPE),
    ("vaults.credentials.update", ("vcred_1",), {"vault_id": "v"}, "vault_id", IPE),
    ("vaults.credentials.mcp_oauth_validate", ("vcred_1",), {"vault_id": 3}, "vault_id", PTE),
    ("skills.create", (), {"files": []}, "files", IPE),
    ("skills.create", (), {"files": "SKILL.md"}, "files", PTE),
    ("skills.create", (), {"files": ("SKILL.md", b"x")}, "files", PTE),
    ("skills.create", (), {"files": [("SKILL.md", 5)]}, "files[0]", PTE),
    ("skills.create", (), {"files": [b"x"], "display_title": "a", "display_name": "b"},
     "display_name", IPE),
    ("skills.retrieve", ("skl_1",), {}, "skill_id", IPE),
    ("skills.versions.retrieve", ("..",), IN_S, "version", IPE),
    ("skills.versions.retrieve", (1,), IN_S, "version", PTE),
    ("skills.versions.download", ("1",), {"skill_id": "sk_1"}, "skill_id", IPE),
    ("skills.versions.download", ("1",), {**IN_S, "timeuot": 1}, "timeuot", PTE),
    ("skills.versions.create", ("skill_1",), {"files": [Path("/no/such/SKILL.md")]},
     "files[0]", IPE),
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_CALLS)
async def test_bad_input_raises_before_anything_is_sent(fake_qoder, qoder_client, bad) -> None:
    await refused(fake_qoder, qoder_client, bad)


async def test_a_directory_is_refused_before_sending(fake_qoder, qoder_client, tmp_path) -> None:
    # (A file without read permission cannot be tested here: the suite runs as root in CI.)
    with pytest.raises(InvalidParameterError, match="not a regular file"):
        await qoder_client.files.upload(file=tmp_path)
    assert fake_qoder.requests == []


async def test_a_fifo_is_refused_without_being_opened(fake_qoder, qoder_client, tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    with pytest.raises(InvalidParameterError, match="not a regular file"):
        await qoder_client.files.upload(file=fifo)
    assert fake_qoder.requests == []
