"""The session-life commands of the command line (``sessions list|get|update|archive|delete|
cancel``, ``events send|list|stream``), its exit statuses and ``-v``/``-q``, each run as a
real process against an in-process fake server."""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import time
from typing import Any

import pytest
from conftest import AGENT, ENV
from test_cli import cli_command, env_for, run, stop

from qoder_async.testing import Fault


def session_of(client: Any, title: str = "t") -> str:
    """A new session's id (made through the blocking client: creating is not under test)."""
    return client.sessions.create(agent=AGENT, environment_id=ENV, title=title).id  # type: ignore[no-any-return]


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_list_get_update_archive_cancel_delete(fake_qoder_threaded, qoder_sync_client) -> None:
    server, env = fake_qoder_threaded, env_for(fake_qoder_threaded)
    first, second, third = (session_of(qoder_sync_client, f"s{n}") for n in range(3))

    listed = run("sessions", "list", "--limit", "2", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [s["id"] for s in json_lines(listed.stdout)] == [third, second]
    oldest = run("sessions", "list", "--order", "asc", "--status", "idle", env=env)
    assert [s["id"] for s in json_lines(oldest.stdout)] == [first, second, third]

    got = run("sessions", "get", first, env=env)
    assert got.returncode == 0 and json.loads(got.stdout)["title"] == "s0"
    changes = ("--title", "renamed", "--metadata", "a=1", "--delta-flush-interval-ms", "300")
    updated = run("sessions", "update", first, *changes, env=env)
    assert updated.returncode == 0, updated.stderr
    assert json.loads(updated.stdout)["metadata"] == {"a": "1"}
    cleared = run("sessions", "update", first, "--clear-title", "--unset-metadata", "a", env=env)
    assert json.loads(cleared.stdout)["metadata"] == {}
    body = server.requests_to("POST", f"/sessions/{first}")[-1].json()
    assert body == {"title": None, "metadata": {"a": None}}

    cancelled = run("sessions", "cancel", second, env=env)
    assert cancelled.returncode == 0 and json.loads(cancelled.stdout)["status"] == "canceling"
    archived = run("sessions", "archive", second, env=env)
    assert json.loads(archived.stdout)["archived_at"]
    listed = run("sessions", "list", env=env)
    assert second not in listed.stdout
    assert second in run("sessions", "list", "--include-archived", env=env).stdout
    deleted = run("sessions", "delete", third, env=env)
    assert json.loads(deleted.stdout) == {"id": third, "type": "session_deleted", "deleted": True}

    missing = run("sessions", "get", third, env=env)
    assert missing.returncode == 1
    assert missing.stderr.startswith("qoder-async: error: NotFoundError: 404")
    assert missing.stderr.count("\n") == 1


BUDGET = {"type": "limit", "max_credit_cost": "5.00"}
OUTCOME = {"type": "user.define_outcome", "description": "done", "max_iterations": 2}


def test_create_with_environment_initial_events_and_budget(fake_qoder_threaded) -> None:
    server = fake_qoder_threaded
    done = run(
        *("sessions", "create", "--agent", AGENT, "--environment-id", ENV),
        *("--env-var", "A=1", "--environment-variable", "B=two=2", "--env-var", "A=3"),
        *("--initial-event", json.dumps(OUTCOME)),
        *("--initial-event", '{"type": "user.message", "content": "hi"}'),
        *("--budget", json.dumps(BUDGET)),
        env=env_for(server),
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["environment_variables"] == {"A": "3", "B": "two=2"}
    assert printed["budget"] == BUDGET
    [sent] = server.requests_to("POST", "/sessions")
    assert sent.json() == {
        "agent": AGENT,
        "environment_id": ENV,
        "environment_variables": {"A": "3", "B": "two=2"},
        "initial_events": [OUTCOME, {"type": "user.message", "content": "hi"}],
        "budget": BUDGET,
    }


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--budget", "[1]"), "argument --budget: expected a JSON object"),
        (("--env-var", "=1"), "argument --environment-variable/--env-var: expected KEY=VALUE"),
        (
            ("--initial-event", '{"type": "system.message"}'),
            "initial_events[0].type: must be 'user.message' or 'user.define_outcome'",
        ),
    ],
)
def test_create_refuses_bad_new_flags_before_sending(fake_qoder_threaded, flags, message) -> None:
    done = run(
        *("sessions", "create", "--agent", AGENT, "--environment-id", ENV, *flags),
        env=env_for(fake_qoder_threaded),
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert fake_qoder_threaded.requests == []


def test_list_filters_by_version_deployment_and_memory_store(
    fake_qoder_threaded, qoder_sync_client
) -> None:
    server, env = fake_qoder_threaded, env_for(fake_qoder_threaded)
    pinned = qoder_sync_client.sessions.create(
        agent={"id": AGENT, "version": 2}, environment_id=ENV, memory_store_ids=["memstore_1"]
    )
    qoder_sync_client.sessions.create(
        agent=AGENT, environment_id=ENV, memory_store_ids=["memstore_1"]
    )
    deployment = qoder_sync_client.deployments.create(
        agent=AGENT, environment_id=ENV, name="nightly", initial_events=[OUTCOME]
    )
    run_session = qoder_sync_client.deployments.run(deployment.id).session_id
    server.requests.clear()
    args = ("--agent-id", AGENT, "--agent-version", "2", "--memory-store-id", "memstore_1")
    listed = run("sessions", "list", *args, env=env)
    assert listed.returncode == 0, listed.stderr
    assert [s["id"] for s in json_lines(listed.stdout)] == [pinned.id]
    query = server.requests_to("GET", "/sessions")[0].query
    assert query.getall("agent_id") == [AGENT] and query.getall("agent_version") == ["2"]
    assert query.getall("memory_store_id") == ["memstore_1"]
    started = run("sessions", "list", "--deployment-id", deployment.id, env=env)
    assert [s["id"] for s in json_lines(started.stdout)] == [run_session]
    assert server.requests_to("GET", "/sessions")[1].query.getall("deployment_id") == [
        deployment.id
    ]


def test_update_environment_agent_budget_and_vaults(fake_qoder_threaded, qoder_sync_client) -> None:
    server, env = fake_qoder_threaded, env_for(fake_qoder_threaded)
    session_id = session_of(qoder_sync_client)
    changes = ("--env-var", "A=1", "--agent", '{"tools": []}', "--budget", json.dumps(BUDGET))
    vaults = ("--vault-id", "vault_1", "--vault-id", "vault_2")
    updated = run("sessions", "update", session_id, *changes, *vaults, env=env)
    assert updated.returncode == 0, updated.stderr
    printed = json.loads(updated.stdout)
    assert printed["environment_variables"] == {"A": "1"} and printed["budget"] == BUDGET
    assert printed["vault_ids"] == ["vault_1", "vault_2"]
    assert server.requests_to("POST", f"/sessions/{session_id}")[-1].json() == {
        "environment_variables": {"A": "1"},
        "agent": {"tools": []},
        "budget": BUDGET,
        "vault_ids": ["vault_1", "vault_2"],
    }
    clears = ("--clear-environment-variables", "--clear-budget", "--clear-vault-ids")
    cleared = run("sessions", "update", session_id, *clears, env=env)
    assert cleared.returncode == 0, cleared.stderr
    assert server.requests_to("POST", f"/sessions/{session_id}")[-1].json() == {
        "environment_variables": None,
        "budget": None,
        "vault_ids": [],
    }
    printed = json.loads(cleared.stdout)
    assert printed["environment_variables"] == {} and printed["vault_ids"] == []
    assert printed.get("budget") is None
    both = run("sessions", "update", session_id, "--budget", "{}", "--clear-budget", env=env)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_events_send_list_and_stream_a_turn(fake_qoder_threaded, qoder_sync_client) -> None:
    env = env_for(fake_qoder_threaded)
    session_id = session_of(qoder_sync_client)
    sent = run("events", "send", session_id, "hello there", env=env)
    assert sent.returncode == 0, sent.stderr
    assert [e["type"] for e in json_lines(sent.stdout)] == ["user.message"]

    # The server replays the history to a new stream: it ends with the turn.
    streamed = run("events", "stream", session_id, env=env, timeout=20)
    assert streamed.returncode == 0, streamed.stderr
    kinds = [e["type"] for e in json_lines(streamed.stdout)]
    assert kinds[0] == "user.message" and kinds[-1] == "session.status_idle"
    assert "agent.message" in kinds

    listed = run("events", "list", session_id, "--type", "agent.message", env=env)
    assert [e["content"][0]["text"] for e in json_lines(listed.stdout)] == ["hello there"]
    limited = run("events", "list", session_id, "--limit", "2", "--order", "desc", env=env)
    assert [e["type"] for e in json_lines(limited.stdout)] == kinds[::-1][:2]
    interrupt = run("events", "send", session_id, "--event", '{"type": "user.interrupt"}', env=env)
    assert [e["type"] for e in json_lines(interrupt.stdout)] == ["user.interrupt"]


def read_until(process: subprocess.Popen[str], done: Any, timeout: float) -> list[str]:
    """Lines from ``process``'s stdout until ``done(lines)`` holds or ``timeout`` passes."""
    assert process.stdout is not None
    lines: list[str] = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while not done(lines) and time.monotonic() < deadline:
            if selector.select(deadline - time.monotonic()):
                line = process.stdout.readline()
                if not line:
                    break
                lines.append(line)
    return lines


def test_stream_follow_resumes_across_drops_and_ctrl_c_exits_130(
    fake_qoder_threaded, qoder_sync_client
) -> None:
    server = fake_qoder_threaded
    session_id = session_of(qoder_sync_client)
    path = f"/sessions/{session_id}/events/stream"
    server.inject(Fault.cut_stream(after_events=2), path=path)
    command = cli_command("events", "stream", session_id, "--follow", "--max-retries", "5")
    process = subprocess.Popen(
        command, env=env_for(server), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not server.requests_to("GET", path):
            time.sleep(0.02)
        qoder_sync_client.sessions.events.send(
            session_id, [{"type": "user.message", "content": "hi"}]
        )
        lines = read_until(process, lambda got: "session.status_idle" in "".join(got), 15)
        time.sleep(0.2)
        assert process.poll() is None  # --follow: the end of a turn is not the end
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        stop(process)
    assert process.returncode == 130, err
    events = json_lines("".join(lines))
    ids = [event["id"] for event in events]
    assert len(ids) == len(set(ids)) == len(server.events.log(session_id))
    assert len(server.requests_to("GET", path)) == 2 and server.events.stream_resumes[1] == ids[1]


def test_a_rejected_token_exits_2_from_every_command(fake_qoder_threaded, tmp_path) -> None:
    env = env_for(fake_qoder_threaded, QODER_PAT="pt-revoked")
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"agent": AGENT, "environment_id": ENV}) + "\n")
    commands = [
        ["sessions", "create", "--agent", AGENT, "--environment-id", ENV],
        ["sessions", "create-many", str(source), "-o", str(tmp_path / "out.jsonl")],
        ["sessions", "list"],
        *(["sessions", name, "sess_1"] for name in ("get", "archive", "delete", "cancel")),
        ["sessions", "update", "sess_1", "--title", "x"],
        ["events", "send", "sess_1", "hi"],
        ["events", "list", "sess_1"],
        ["events", "stream", "sess_1", "--follow"],
    ]
    # Started together: each one's start-up time is spent while the others run.
    processes = [
        subprocess.Popen(
            cli_command(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for args in commands
    ]
    try:
        results = [process.communicate(timeout=30) for process in processes]
    finally:
        for process in processes:
            stop(process)
    for args, process, (out, err) in zip(commands, processes, results, strict=True):
        assert process.returncode == 2, (args, err)
        assert "rejected the token (HTTP 401)" in err, (args, err)
        assert err.count("\n") == 1 and out == "", (args, err)


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_logs_one_line_per_request_before_or_after_the_command(
    fake_qoder_threaded, qoder_sync_client, where
) -> None:
    command = ["sessions", "get", session_of(qoder_sync_client)]
    args = ["-v", *command] if where == "before" else [*command, "-v"]
    done = run(*args, env=env_for(fake_qoder_threaded))
    assert done.returncode == 0, done.stderr
    (line,) = done.stderr.splitlines()
    assert " INFO GET /sessions/sess_" in line and "-> 200 in " in line and "request_id=" in line
    quiet = run("-q", "sessions", "get", "sess_missing", env=env_for(fake_qoder_threaded))
    assert quiet.returncode == 1 and "NotFoundError" in quiet.stderr  # errors still show
