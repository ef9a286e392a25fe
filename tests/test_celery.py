"""Session creation on real Celery workers: real redis-servers (one the broker and the
results, one the shared rate limit), the fake API, and prefork workers as separate processes;
one worker is killed with SIGKILL mid-run, and the limiter's Redis restarts.

Checked: every line gets exactly one outcome, the API holds exactly one session per key
(none missing, none twice), creation pauses while the limiter's Redis is down, no rolling
second holds more than 125% of the shared limit, each worker process builds its own client
after the fork (never the worker's main process), and malformed params fail at once with
the typed parameter error.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AGENT, ENV
from redis_server import RedisServer
from test_ratelimit import busiest_second, create_times

from qoder_async import Qoder
from qoder_async.contrib.celery import (
    TASK_NAME,
    SessionTaskError,
    collect_jsonl,
    enqueue_jsonl,
    idempotency_key_for,
)
from qoder_async.testing import FakeQoderServer, Fault

TESTS = Path(__file__).resolve().parent
SESSIONS = 300
WRITES_PER_SECOND = 25


@pytest.fixture
def limiter_redis() -> Iterator[RedisServer]:
    """The shared limit's own redis-server, restarted mid-run by the main test."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def environment(redis, limiter_redis, fake_qoder_threaded) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")]),
        QODER_TEST_BROKER=redis.url(0),
        QODER_TEST_BACKEND=redis.url(1),
        QODER_TEST_LIMIT_URL=limiter_redis.url(),
        QODER_TEST_WRITES_PER_SECOND=str(WRITES_PER_SECOND),
        QODER_TEST_TOKEN=fake_qoder_threaded.token,
        QODER_TEST_BASE_URL=fake_qoder_threaded.base_url,
    )
    return env


class Workers:
    """Celery workers started as process groups, stopped (or killed) by pid."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, pool: str = "prefork") -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        command = [sys.executable, "-m", "celery", "-A", "celery_app", "worker"]
        command += ["--pool", pool, "--concurrency", "2", "--hostname", f"{name}@%h"]
        command += ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        process = subprocess.Popen(
            command, env=self.env, cwd=TESTS, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        # The whole group: the worker and its pool processes, as when a machine dies.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def client_pids(self, name: str) -> list[int]:
        text = (self.logs / f"{name}.log").read_text(errors="replace")
        return [int(pid) for pid in re.findall(r"worker client ready in process (\d+)", text)]


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def app(environment, monkeypatch):
    """The same app module the workers import, for this process as producer and collector."""
    for name, value in environment.items():
        if name.startswith("QODER_TEST_"):
            monkeypatch.setenv(name, value)
    sys.modules.pop("celery_app", None)
    import celery_app

    return celery_app.app


def test_celery_workers_create_each_session_once_within_the_shared_limit(
    app, environment, fake_qoder_threaded, limiter_redis, tmp_path
) -> None:
    server: FakeQoderServer = fake_qoder_threaded
    server.inject(Fault.status_error(503), times=None, method="POST", path="/sessions",
                  probability=0.05)  # fmt: skip
    server.inject(Fault.drop_response(), times=None, method="POST", path="/sessions",
                  probability=0.03)  # fmt: skip
    lines = [{"agent": AGENT, "environment_id": ENV, "title": f"job {n}"} for n in range(SESSIONS)]
    bad = {"agent": AGENT, "environment_id": ENV, "title": 5}  # a typed parameter error
    source = tmp_path / "sessions.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in [*lines, bad]) + "\n")

    workers = Workers(environment, tmp_path)
    try:
        first = workers.start("w1")
        workers.start("w2")
        assert enqueue_jsonl(app, source, batch_id="scaleout") == SESSIONS + 1
        wait_until(lambda: len(server.sessions) >= SESSIONS // 3, 60, "a third of the sessions")
        workers.kill(first)
        workers.start("w3")
        # The limiter's Redis restarts (empty): creation pauses, then resumes within the limit.
        wait_until(lambda: len(server.sessions) >= SESSIONS // 2, 60, "half of the sessions")
        limiter_redis.stop()
        time.sleep(1.5)
        limiter_redis.start()
        output = tmp_path / "out.jsonl"
        summary = collect_jsonl(app, source, output, batch_id="scaleout", timeout=90)
    finally:
        workers.stop_all()

    # Every line has exactly one outcome, in the CLI's format.
    header, *records = [json.loads(line) for line in output.read_text().splitlines()]
    assert header["kind"] == "header" and header["input_lines"] == SESSIONS + 1
    assert [r["line"] for r in records] == list(range(1, SESSIONS + 2))
    assert (summary.ok, summary.failed) == (SESSIONS, 1)
    failure = records[-1]
    assert failure["ok"] is False and failure["transient"] is False
    assert failure["error"]["type"] == "ParameterTypeError"
    assert "title" in failure["error"]["message"]

    # Exactly one session per key on the server: none missing, none created twice.
    created = {r["session"]["id"] for r in records if r["ok"]}
    assert len(created) == SESSIONS
    with Qoder(api_key=server.token, base_url=server.base_url) as client:
        on_server = {s.id for s in client.sessions.list(limit=100)}
    assert on_server == created
    titles = sorted(s["title"] for s in server.sessions.values())
    assert titles == sorted(line["title"] for line in lines)
    keys = {r.headers["Idempotency-Key"] for r in server.requests_to("POST", "/sessions")}
    assert len(keys) == SESSIONS  # the malformed line never reached the API

    # The faults happened, and the shared limit held across all workers.
    times = sorted(create_times(server))
    assert len(times) > SESSIONS
    assert busiest_second(times) <= WRITES_PER_SECOND * 1.25
    # Nothing started while the limiter's Redis was down (fails closed, then resumes).
    assert max(later - earlier for earlier, later in itertools.pairwise(times)) >= 1.0

    # One client per pool process, built after the fork, never in a worker's main process.
    for name, process in zip(("w1", "w2", "w3"), workers.started, strict=True):
        pids = workers.client_pids(name)
        assert len(pids) == 2 and len(set(pids)) == 2
        assert process.pid not in pids


def test_a_solo_worker_runs_tasks_with_the_client_of_its_own_process(
    app, environment, fake_qoder_threaded, tmp_path
) -> None:
    """The solo pool runs tasks in the worker's main process: its client is built there."""
    workers = Workers(environment, tmp_path)
    try:
        workers.start("solo", pool="solo")
        params = {"agent": AGENT, "environment_id": ENV}
        created = app.send_task(TASK_NAME, args=("solo:1", params)).get(timeout=30)
        bad = app.send_task(TASK_NAME, args=("solo:2", {"agent": AGENT}))
        with pytest.raises(SessionTaskError) as caught:
            bad.get(timeout=30)
    finally:
        workers.stop_all()
    assert created["id"] in fake_qoder_threaded.sessions
    (request,) = fake_qoder_threaded.requests_to("POST", "/sessions")
    assert request.headers["Idempotency-Key"] == idempotency_key_for("solo:1")
    failure = caught.value
    assert (failure.error_type, failure.status_code) == ("InvalidParameterError", None)
    assert "environment_id" in failure.message and not failure.transient


def test_monitoring_sees_the_parameter_names_but_never_their_values(app, redis, tmp_path) -> None:
    """Celery shows ``argsrepr`` in logs and monitors; a repository token must not be in it."""
    import redis as redis_py

    secret = "ghp_celery-must-not-show"
    repo = {
        "type": "github_repository",
        "url": "https://github.com/o/r",
        "authorization_token": secret,
    }
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"agent": AGENT, "environment_id": ENV, "resources": [repo]}) + "\n"
    )
    assert enqueue_jsonl(app, source, batch_id="shown", queue="unserved") == 1
    with redis_py.Redis.from_url(redis.url(0)) as broker:
        (raw,) = broker.lrange("unserved", 0, -1)
        broker.delete("unserved")
    message = json.loads(raw)
    (_, params), _, _ = json.loads(base64.b64decode(message["body"]))
    assert params["resources"][0]["authorization_token"] == secret  # the task carries it...
    shown = message["headers"]["argsrepr"]
    assert secret not in shown and "resources" in shown  # ...what is shown does not
