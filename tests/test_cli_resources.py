"""The platform-resource commands (``agents``, ``environments``, ``files``, ``vaults``,
``memory-stores``, ``skills``: list/get/create/archive/delete, ``create --json``, ``files
upload|download``), each run as a real process against one fake server for the module."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_cli import env_for, run

from qoder_async._sync_loop import CLOSE_GRACE, LoopThread
from qoder_async.testing import FakeQoderServer


@pytest.fixture(scope="module")
def server() -> Iterator[FakeQoderServer]:
    runner = LoopThread("fake-qoder-cli-resources", persistent=True)
    fake = FakeQoderServer()
    try:
        runner.run(fake.start())
        yield fake
        runner.run(fake.close())
    finally:
        runner.shutdown(None, wait=CLOSE_GRACE)


@pytest.fixture(scope="module")
def env(server: FakeQoderServer) -> dict[str, str]:
    return env_for(server)


def ok(*args: str, env: dict[str, str]) -> Any:
    """Run a command that must succeed; its stdout as JSON (a list for JSON lines)."""
    done = run(*args, env=env)
    assert done.returncode == 0, done.stderr
    if args[1] == "list":
        return [json.loads(line) for line in done.stdout.splitlines()]
    return json.loads(done.stdout)


# command, create flags, what the by-id actions leave (archive: archived_at; delete: deleted)
CASES = [
    ("agents", ["--name", "A", "--model", "ultimate", "--system", "s"], ["archive"]),
    ("environments", ["--name", "E", "--config", '{"type": "cloud"}'], ["archive", "delete"]),
    ("vaults", ["--display-name", "V", "--metadata", "team=a"], ["archive", "delete"]),
    ("memory-stores", ["--name", "M", "--description", "d"], ["archive", "delete"]),
    ("skills", ["--file", "SKILL", "--display-title", "R"], ["delete"]),
]


@pytest.mark.parametrize(("command", "flags", "actions"), CASES, ids=[c[0] for c in CASES])
def test_create_list_get_then_archive_or_delete(
    server: FakeQoderServer, env: dict[str, str], tmp_path: Path, command, flags, actions
) -> None:
    skill = tmp_path / "SKILL.md"
    skill.write_text("# review\n")
    flags = [str(skill) if flag == "SKILL" else flag for flag in flags]
    created = ok(command, "create", *flags, env=env)
    ident = created["id"]
    assert ok(command, "get", ident, env=env)["id"] == ident
    listed = ok(command, "list", env=env)
    assert ident in [item["id"] for item in listed]
    assert len(ok(command, "list", "--limit", "1", env=env)) == 1
    for action in actions:
        answer = ok(command, action, ident, env=env)
        if action == "archive":
            assert answer["archived_at"]
            assert ident not in [i["id"] for i in ok(command, "list", env=env)]
            if command != "agents":  # agents are never deleted: archive is their end
                assert ident in [
                    i["id"] for i in ok(command, "list", "--include-archived", env=env)
                ]
        else:
            assert answer["id"] == ident and answer["type"].endswith("_deleted")
            gone = run(command, "get", ident, env=env)
            assert gone.returncode == 1
            assert gone.stderr.startswith("qoder-async: error: NotFoundError: 404")
            assert gone.stderr.count("\n") == 1
    path = "/" + command.replace("-", "_")
    assert server.requests_to("POST", path), path


def test_create_from_a_json_file_with_flags_on_top(
    server: FakeQoderServer, env: dict[str, str], tmp_path: Path
) -> None:
    spec = tmp_path / "agent.json"
    spec.write_text(json.dumps({"name": "from-json", "model": {"id": "m"}, "system": "s"}))
    agent = ok("agents", "create", "--json", str(spec), "--name", "flag", env=env)
    assert agent["name"] == "flag" and agent["model"]["id"] == "m"
    body = server.requests_to("POST", "/agents")[-1].json()
    assert body == {"name": "flag", "model": {"id": "m"}, "system": "s"}

    store = tmp_path / "store.json"
    store.write_text(json.dumps({"name": "S", "metadata": {"k": "v"}}))
    assert ok("memory-stores", "create", "--json", str(store), env=env)["metadata"] == {"k": "v"}


def test_files_upload_download_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    data = os.urandom(200_000)
    source = tmp_path / "blob.bin"
    source.write_bytes(data)
    uploaded = ok("files", "upload", str(source), "--metadata", "k=v", env=env)
    assert uploaded["size_bytes"] == len(data) and uploaded["filename"] == "blob.bin"
    assert ok("files", "get", uploaded["id"], env=env)["metadata"] == {"k": "v"}
    assert uploaded["id"] in [f["id"] for f in ok("files", "list", env=env)]

    target = tmp_path / "out" / "copy.bin"
    target.parent.mkdir()
    got = ok("files", "download", uploaded["id"], "-o", str(target), env=env)
    assert got == {"id": uploaded["id"], "path": str(target), "size_bytes": len(data)}
    assert target.read_bytes() == data
    assert os.listdir(target.parent) == ["copy.bin"]  # no temporary left behind
    assert ok("files", "delete", uploaded["id"], env=env)["id"] == uploaded["id"]

    # Forced rich bar (stderr is a pipe here): drawn, and the bytes are the same.
    again = ok("files", "upload", str(source), "--progress", "rich", env=env)
    drawn = run("files", "download", again["id"], "-o", str(target), "--progress", "rich", env=env)
    assert drawn.returncode == 0, drawn.stderr
    assert "download" in drawn.stderr and target.read_bytes() == data


@pytest.mark.parametrize(
    "argv",
    [
        ["vaults", "create"],  # --display-name missing
        ["agents", "delete", "agent_1"],  # agents have no delete
        ["agents", "list", "--limit", "0"],
        ["files", "download", "file_1"],  # no -o
        ["files", "upload", "/no/such/file"],
        ["environments", "create", "--json", "/no/such.json"],
    ],
)
def test_usage_errors_exit_2(env: dict[str, str], argv: list[str]) -> None:
    done = run(*argv, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""


def test_unknown_json_keys_are_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps({"name": "E", "colour": "red"}))
    done = run("environments", "create", "--json", str(spec), env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("qoder-async: error: --json: unknown environment parameter")
    assert done.stderr.count("\n") == 1
