"""Uploads and downloads against the fake server: every kind of file argument, a retried
upload sending the whole file again under the same key, a file that changes size, downloads
to a path, a file object and bytes, a body cut mid-way, skills' many-file forms, and the
blocking client's face of all of it."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from qoder_async import (
    APIConnectionError,
    AsyncQoder,
    BinaryResponse,
    FileChangedError,
    FileMetadata,
    Hooks,
    InvalidParameterError,
    RequestInfo,
    Response,
    SkillVersion,
)
from qoder_async._multipart import CHUNK_SIZE
from qoder_async.testing import FakeQoderServer, Fault
from qoder_async.testing._form import parse_form

pytestmark = pytest.mark.anyio

SKILL_MD = b"---\nname: example\ndescription: Shows how.\n---\nSay hello."


def stored(server: FakeQoderServer, file: FileMetadata) -> bytes:
    return server.platform.file_contents[file.id]


def uploads(server: FakeQoderServer) -> list[Any]:
    return server.requests_to("POST", "/files")


# -- uploads ---------------------------------------------------------------------------------


async def test_upload_from_a_path_streams_the_file(fake_qoder, qoder_client, tmp_path) -> None:
    content = os.urandom(3 * CHUNK_SIZE + 123)  # several chunks, the last a short one
    path = tmp_path / "data.bin"
    path.write_bytes(content)
    for given in (path, str(path)):
        file = await qoder_client.files.upload(file=given, metadata={"team": "a"})
        assert isinstance(file, FileMetadata) and file.id.startswith("file_")
        assert (file.filename, file.size_bytes, file.metadata) == (
            "data.bin",
            len(content),
            {"team": "a"},
        )
        assert file.mime_type == "application/octet-stream"
        assert stored(fake_qoder, file) == content
    sent = uploads(fake_qoder)[-1]
    assert int(sent.headers["Content-Length"]) == len(sent.body)


async def test_upload_from_bytes_and_tuples(fake_qoder, qoder_client) -> None:
    plain = await qoder_client.files.upload(file=b"hello", name="greeting.txt")
    assert (plain.filename, plain.mime_type) == ("greeting.txt", "text/plain")
    anonymous = await qoder_client.files.upload(file=bytearray(b"x"))
    assert (anonymous.filename, anonymous.mime_type) == ("upload", "application/octet-stream")
    typed = await qoder_client.files.upload(file=("r.csv", b"a,b\n", "text/csv; charset=utf-8"))
    assert typed.mime_type == "text/csv; charset=utf-8"
    forced = await qoder_client.files.upload(file=("r.csv", b"a"), content_type="text/plain")
    assert forced.mime_type == "text/plain" and stored(fake_qoder, forced) == b"a"


async def test_upload_from_a_file_object_reads_from_its_position(
    fake_qoder, qoder_client, tmp_path
) -> None:
    path = tmp_path / "notes.json"
    path.write_bytes(b"HEADER" + b'{"k": 1}')
    with path.open("rb") as handle:
        handle.seek(6)
        file = await qoder_client.files.upload(file=handle)
        assert not handle.closed  # the caller's file stays open
    assert (file.filename, file.mime_type) == ("notes.json", "application/json")
    assert stored(fake_qoder, file) == b'{"k": 1}'
    memory = await qoder_client.files.upload(file=io.BytesIO(b"in memory"), name="m.txt")
    assert stored(fake_qoder, memory) == b"in memory"


async def test_a_retried_upload_sends_the_whole_file_again_with_the_same_key(
    fake_qoder, qoder_client, tmp_path
) -> None:
    content = os.urandom(2 * CHUNK_SIZE + 7)
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    fake_qoder.inject(Fault.status_error(503), method="POST", path="/files")
    file = await qoder_client.files.upload(file=path)
    first, second = uploads(fake_qoder)
    assert first.body == second.body  # the same boundary, every byte again
    assert content in second.body
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert (first.headers["X-Qoder-Retry-Count"], second.headers["X-Qoder-Retry-Count"]) == (
        "0",
        "1",
    )
    assert stored(fake_qoder, file) == content


@pytest.mark.parametrize(("change", "says"), [("grow", "grew"), ("shrink", "ended after")])
async def test_a_file_that_changes_size_is_never_uploaded_truncated(
    fake_qoder, change, says, tmp_path
) -> None:
    path = tmp_path / "growing.log"
    path.write_bytes(b"x" * (CHUNK_SIZE + 10))

    def meddle(info: RequestInfo) -> None:
        # Between the size check (when the call is made) and the body being read.
        if info.method == "POST":
            with path.open("ab" if change == "grow" else "r+b") as handle:
                handle.write(b"more") if change == "grow" else handle.truncate(100)

    async with fake_qoder.client(hooks=Hooks(on_request=meddle)) as client:
        with pytest.raises(FileChangedError, match=says) as caught:
            await client.files.upload(file=path)
    assert caught.value.field == "file" and isinstance(caught.value, InvalidParameterError)
    assert "growing.log" in str(caught.value)
    assert fake_qoder.platform.files.items == {}  # nothing stored, and not retried
    assert len(uploads(fake_qoder)) <= 1


async def test_a_file_object_that_changes_size_is_refused(fake_qoder, qoder_client) -> None:
    class Growing(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            return chunk + b"!" if chunk else chunk  # one byte more than it said it had

    with pytest.raises(FileChangedError, match="grew"):
        await qoder_client.files.upload(file=Growing(b"abc"))
    assert fake_qoder.platform.files.items == {}


# -- downloads -------------------------------------------------------------------------------


async def test_download_to_a_path_bytes_and_a_file_object(
    fake_qoder, qoder_client, tmp_path
) -> None:
    content = os.urandom(CHUNK_SIZE + 5)
    file = await qoder_client.files.upload(file=("blob.bin", content))
    fake_qoder.requests.clear()
    download = await qoder_client.files.download(file.id)
    assert isinstance(download, BinaryResponse) and download.status is None
    target = tmp_path / "out" / "copy.bin"
    target.parent.mkdir()
    assert await download.write_to(target) == len(content)
    assert target.read_bytes() == content
    assert os.listdir(target.parent) == ["copy.bin"]  # the temporary file was renamed
    assert await download.read() == content  # each read requests the body again
    sink = io.BytesIO(b"keep:")
    sink.seek(5)
    assert await download.write_to_file(sink) == len(content)
    assert sink.getvalue() == b"keep:" + content
    assert download.status == 200 and download.headers["Content-Type"] == "application/octet-stream"
    hop1, hop2 = fake_qoder.requests[:2]
    assert (hop1.path, hop1.headers["Authorization"]) == (
        f"/files/{file.id}/content",
        f"Bearer {fake_qoder.token}",
    )
    assert hop2.path == f"/storage/files/{file.id}" and "signature" in hop2.query
    # The second hop goes to the URL the API gave, with none of the API's headers.
    for header in ("Authorization", "X-Qoder-Retry-Count", "Idempotency-Key"):
        assert header not in hop2.headers
    assert hop2.headers.get("Accept") != "application/json"


async def test_a_download_cut_mid_body_is_fetched_again(fake_qoder, qoder_client, tmp_path) -> None:
    content = os.urandom(200_000)
    file = await qoder_client.files.upload(file=("cut.bin", content))
    cut = Fault.truncated(content[:70_000], declared_length=len(content))
    fake_qoder.inject(cut, path=f"/storage/files/{file.id}")
    target = tmp_path / "cut.bin"
    assert await (await qoder_client.files.download(file.id)).write_to(target) == len(content)
    assert target.read_bytes() == content  # written again from its first byte
    assert len(fake_qoder.requests_to("GET", f"/storage/files/{file.id}")) == 2


async def test_a_download_cut_every_time_is_never_returned_as_complete(
    fake_qoder, qoder_client, tmp_path
) -> None:
    content = os.urandom(100_000)
    file = await qoder_client.files.upload(file=("cut.bin", content))
    cut = Fault.truncated(content[:1000], declared_length=len(content))
    fake_qoder.inject(cut, times=3, path=f"/storage/files/{file.id}")
    download = await qoder_client.files.download(file.id)
    target = tmp_path / "cut.bin"
    with pytest.raises(APIConnectionError):
        await download.write_to(target)
    assert os.listdir(tmp_path) == []  # no partial file, no temporary file left
    fake_qoder.inject(cut, times=3, path=f"/storage/files/{file.id}")
    with pytest.raises(APIConnectionError):
        await download.read()


class ShortBodies:
    """A transport whose every response declares 10 bytes and delivers 4, without
    complaining itself: the check of ``Content-Length`` is the client's own."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, request: Any) -> Response:
        self.sent += 1
        return _Short()

    async def aclose(self) -> None:
        pass


class _Short:
    def __init__(self) -> None:
        self.status = 200
        self.headers = {"Content-Length": "10", "Content-Type": "application/zip"}
        self.chunks = [b"1234", b""]

    async def read(self, limit: int) -> bytes:
        return b"1234"

    async def read_chunk(self) -> bytes:
        return self.chunks.pop(0)

    def close(self) -> None:
        pass


async def test_fewer_bytes_than_content_length_is_a_cut(tmp_path) -> None:
    transport = ShortBodies()
    async with AsyncQoder(api_key="pt-x", transport=transport, max_retries=2) as client:
        download = await client.skills.versions.download("1", skill_id="skill_1")
        with pytest.raises(APIConnectionError, match="ended after 4 of its 10 bytes"):
            await download.read()
        with pytest.raises(APIConnectionError):
            await download.write_to(tmp_path / "x.zip")
    assert transport.sent == 6 and os.listdir(tmp_path) == []
    with pytest.raises(AttributeError, match="no raw-response form"):
        client.files.with_raw_response.download  # noqa: B018


async def test_download_errors_are_typed(fake_qoder, qoder_client, tmp_path) -> None:
    download = await qoder_client.skills.versions.download("1", skill_id="skill_missing")
    with pytest.raises(Exception) as caught:
        await download.read()
    assert type(caught.value).__name__ == "NotFoundError"
    file = await qoder_client.files.upload(file=b"x")
    content = await qoder_client.files.download(file.id)
    with pytest.raises(InvalidParameterError, match="cannot write"):
        await content.write_to(tmp_path / "missing-dir" / "x")
    with pytest.raises(TypeError):
        await content.write_to(io.StringIO())  # type: ignore[arg-type]
    fake_qoder.inject(Fault.respond(200, {"url": "file:///etc/passwd"}))
    with pytest.raises(Exception, match="absolute http"):
        await qoder_client.files.download(file.id)


# -- skills ----------------------------------------------------------------------------------


async def test_skill_files_keep_their_directories(fake_qoder, qoder_client, tmp_path) -> None:
    script = tmp_path / "run.py"
    script.write_bytes(b"print('hi')\n")
    skill = await qoder_client.skills.create(
        files=[("example/SKILL.md", SKILL_MD), ("example/scripts/run.py", script)],
        display_name="Example",  # the official SDK's spelling of display_title
        metadata={"team": "a"},
    )
    assert (skill.display_title, skill.metadata) == ("Example", {"team": "a"})
    sent = fake_qoder.requests_to("POST", "/skills")[0]
    parts = parse_form(sent.body, sent.headers["Content-Type"])
    assert [(p.name, p.filename) for p in parts] == [
        ("display_title", None),
        ("metadata", None),
        ("files", "example/SKILL.md"),
        ("files", "example/scripts/run.py"),
    ]
    assert parts[1].data == b'{"team":"a"}' and parts[3].data == b"print('hi')\n"
    version = await qoder_client.skills.versions.retrieve(skill.latest_version, skill_id=skill.id)
    assert isinstance(version, SkillVersion)
    assert (version.name, version.description, version.directory) == (
        "example",
        "Shows how.",
        "example",
    )
    again = await qoder_client.skills.versions.create(
        skill.id, files=[("example/SKILL.md", SKILL_MD)]
    )
    assert int(again.version or 0) > int(version.version or 0)
    zipped = await (
        await qoder_client.skills.versions.download(again.version, skill_id=skill.id)
    ).read()
    assert zipfile.ZipFile(io.BytesIO(zipped)).namelist() == ["example/SKILL.md"]
    gone = await qoder_client.skills.versions.delete(again.version, skill_id=skill.id)
    assert gone.type == "skill_version_deleted"
    assert (await qoder_client.skills.retrieve(skill.id)).latest_version == version.version
    assert (await qoder_client.skills.delete(skill.id)).type == "skill_deleted"


# -- the blocking client ---------------------------------------------------------------------


def test_the_blocking_client_uploads_and_downloads(
    qoder_sync_client, fake_qoder_threaded, tmp_path: Path
) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(b"sync " * 1000)
    file = qoder_sync_client.files.upload(file=path)
    content = qoder_sync_client.files.download(file.id)
    assert content.read() == path.read_bytes()
    assert content.write_to(tmp_path / "out.txt") == 5000
    assert (tmp_path / "out.txt").read_bytes() == path.read_bytes()
    assert "BinaryResponse" in repr(content) and content.status == 200
    skill = qoder_sync_client.skills.create(files=[("s/SKILL.md", SKILL_MD)])
    version = skill.latest_version
    zipped = qoder_sync_client.skills.versions.download(version, skill_id=skill.id).read()
    assert zipfile.ZipFile(io.BytesIO(zipped)).namelist() == ["s/SKILL.md"]
