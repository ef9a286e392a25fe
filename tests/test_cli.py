"""The qoder-async command line, run as a real process against a fake server.

The fake server lives either in its own process (``qoder-async fake-server``), so that its
state, sessions and idempotency keys included, survives the command line being killed, or
in a thread of this process (``fake_qoder_threaded``), where a test can count the requests
that reached it and inject faults. Every process has a timeout and is killed in ``finally``.

This module also holds the helpers of the other ``test_cli_*`` modules.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import AGENT, ENV

from qoder_async.testing import DEFAULT_TOKEN, FakeQoderServer

ROOT = Path(__file__).resolve().parent.parent


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "qoder_async", *args]


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QODER_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def env_for(server: FakeQoderServer, **extra: str) -> dict[str, str]:
    """The environment of a command line talking to an in-process fake server."""
    return base_env(**{"QODER_PAT": server.token, "QODER_BASE_URL": server.base_url, **extra})


class FakeServerProcess:
    def __init__(self, *options: str) -> None:
        self.process = subprocess.Popen(
            cli_command("fake-server", "--port", "0", *options),
            env=base_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert self.process.stdout is not None
            first = self.process.stdout.readline()
            assert "listening on" in first, first
        except BaseException:
            self.stop()
            raise
        self.base_url = first.split("listening on", 1)[1].strip()
        self.env = base_env(QODER_PAT=DEFAULT_TOKEN, QODER_BASE_URL=self.base_url)

    def stats(self) -> dict[str, Any]:
        request = urllib.request.Request(
            self.base_url + "/_fake/stats", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def stop(self) -> None:
        stop(self.process, signal.SIGINT)


def stop(process: subprocess.Popen[Any], signum: int = signal.SIGKILL) -> None:
    """End ``process`` (politely first when ``signum`` is not SIGKILL) and close its pipes."""
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


@pytest.fixture
def fake_server() -> Iterator[FakeServerProcess]:
    server = FakeServerProcess()
    try:
        yield server
    finally:
        server.stop()


def run(
    *args: str, env: dict[str, str], timeout: float = 30, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args), env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


def good(n: int) -> str:
    return json.dumps({"agent": AGENT, "environment_id": ENV, "title": f"line {n}"})


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def records(path: Path) -> list[dict[str, Any]]:
    """The journal's result records (the header checked and left out)."""
    text = path.read_text()
    assert text == "" or text.endswith("\n")
    lines = [json.loads(line) for line in text.splitlines()]
    assert not lines or lines[0]["kind"] == "header"
    assert all("kind" not in record for record in lines[1:])
    return lines[1:]


def current(path: Path) -> dict[int, dict[str, Any]]:
    """Each line's current outcome: its newest record."""
    return {record["line"]: record for record in records(path)}


def ok_once(path: Path, lines: int) -> list[str]:
    """Every line 1..lines has exactly one ok record; returns the session ids in line order."""
    oks = [r for r in records(path) if r["ok"]]
    assert Counter(r["line"] for r in oks) == Counter(range(1, lines + 1))
    return [r["session"]["id"] for r in sorted(oks, key=lambda r: r["line"])]


# -- as a process ---------------------------------------------------------------------------


def test_help_version_and_no_command() -> None:
    env = base_env()
    helped = run("sessions", "create-many", "--help", env=env)
    assert "--retry-failed" in helped.stdout and "130  interrupted" in helped.stdout
    assert run("--version", env=env).stdout.startswith("qoder-async ")
    assert run(env=env).returncode == 2


def test_sessions_create_prints_the_session(fake_qoder_threaded) -> None:
    server = fake_qoder_threaded
    done = run(
        *("sessions", "create", "--agent", AGENT, "--environment-id", ENV, "--title", "shell"),
        *("--metadata", "ticket=OPS-1", "--vault-id", "vlt_1", "--vault-id", "vlt_2"),
        *("--memory-store-id", "memstore_1", "--delta-flush-interval-ms", "250"),
        *("--resource", '{"type": "file", "file_id": "file_1"}', "--agent-version", "3"),
        *("--idempotency-key", "shell-1", "--timeout", "5", "--max-retries", "0"),
        env=env_for(server),
    )
    assert done.returncode == 0, done.stderr
    session = json.loads(done.stdout)
    assert session["id"].startswith("sess_") and session["title"] == "shell"
    sent = server.requests_to("POST", "/sessions")[0]
    assert sent.headers["Idempotency-Key"] == "shell-1"
    assert sent.json() == {
        "agent": {"type": "agent", "id": AGENT, "version": 3},
        "environment_id": ENV,
        "title": "shell",
        "metadata": {"ticket": "OPS-1"},
        "delta_flush_interval_ms": 250,
        "memory_store_ids": ["memstore_1"],
        "resources": [{"type": "file", "file_id": "file_1"}],
        "vault_ids": ["vlt_1", "vlt_2"],
    }


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["sessions", "create", "--agent", AGENT, "--environment-id", ENV], {}, "no API key"),
        (
            ["sessions", "create-many", "missing.jsonl", "-o", "out.jsonl"],
            {"QODER_PAT": "pt-x"},
            "cannot read missing.jsonl",
        ),
        (
            ["sessions", "create-many", "same.jsonl", "-o", "./same.jsonl"],
            {"QODER_PAT": "pt-x"},
            "must not be the input file",
        ),
        (
            ["sessions", "create", "--agent", "nope", "--environment-id", ENV],
            {"QODER_PAT": "pt-x", "QODER_BASE_URL": "http://127.0.0.1:9/api"},
            "agent:",
        ),
        (
            ["sessions", "list"],
            {"QODER_PAT": "pt-x", "QODER_BASE_URL": "http://example.com/api"},
            "pass --allow-insecure-http",
        ),
        (["sessions", "update", "sess_1"], {"QODER_PAT": "pt-x"}, "nothing to update"),
        (["events", "send", "sess_1"], {"QODER_PAT": "pt-x"}, "nothing to send"),
    ],
)
def test_usage_and_configuration_errors_exit_2(tmp_path, args, env, message) -> None:
    done = run(*args, env=base_env(**env), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert done.stderr.startswith("qoder-async: error: ")
    assert "allow_insecure_http" not in done.stderr


def test_create_many_records_every_line_once(fake_qoder_threaded, tmp_path) -> None:
    server = fake_qoder_threaded
    lines = [good(1), "{not json", good(3), "[1, 2]", "", good(6)]
    lines += [json.dumps({"agent": AGENT, "environment_id": ENV, "colour": "red"})]
    lines += [json.dumps({"agent": "nope", "environment_id": ENV}), good(9)]
    source, out = write_lines(tmp_path / "in.jsonl", lines), tmp_path / "out.jsonl"
    command = ("sessions", "create-many", str(source), "-o", str(out), "--rate", "0")
    done = run(*command, "--ordered", "--progress", "plain", env=env_for(server))
    assert done.returncode == 1, done.stderr
    header = json.loads(out.read_text().splitlines()[0])
    assert header["batch_id"] == header["input"] == str(source.resolve())
    assert header["input_lines"] == 9 and len(header["input_sha256"]) == 64
    result = records(out)
    assert [r["line"] for r in result] == [1, 2, 3, 4, 6, 7, 8, 9]
    assert [r["ok"] for r in result] == [True, False, True, False, True, False, False, True]
    assert all(len(r["fingerprint"]) == 16 and r["idempotency_key"] for r in result)
    errors = {r["line"]: r["error"] for r in result if not r["ok"]}
    assert all(not r["transient"] for r in result if not r["ok"])
    assert errors[2]["message"].startswith("line 2: not valid JSON")
    assert errors[4]["message"].startswith("line 4: expected a JSON object")
    assert errors[7] == {
        "type": "InvalidParameterError",
        "status_code": None,
        "message": "line 7: colour: is not a sessions.create parameter",
        "request_id": None,
    }
    assert errors[8]["message"].startswith("line 8: agent:")
    assert result[0]["session"]["title"] == "line 1"
    assert "4 created, 4 failed (4 for good)" in done.stderr
    assert len(server.sessions) == 4


def test_a_rejected_token_stops_the_batch_with_exit_2(fake_qoder_threaded, tmp_path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(n) for n in range(500)])
    out = tmp_path / "out.jsonl"
    env = env_for(fake_qoder_threaded, QODER_PAT="pt-revoked")
    result = run("sessions", "create-many", str(source), "-o", str(out), "--rate", "0", env=env)
    assert result.returncode == 2, result.stderr
    assert "rejected the token" in result.stderr
    written = records(out)
    assert written and all(not r["ok"] and r["transient"] for r in written)
    assert written[0]["error"]["status_code"] == 401
    # one 401 is enough: the batch stops (at most the 16 in flight are recorded) instead of
    # sending 500 requests that must all fail
    assert len(written) <= 16
    assert not fake_qoder_threaded.sessions


def test_ctrl_c_stops_cleanly_with_valid_jsonl(fake_qoder_threaded, tmp_path) -> None:
    total = 400
    source = write_lines(tmp_path / "in.jsonl", [good(n) for n in range(total)])
    out = tmp_path / "out.jsonl"
    command = cli_command("sessions", "create-many", str(source), "-o", str(out))
    env = env_for(fake_qoder_threaded)
    process = subprocess.Popen(
        [*command, "--rate", "200"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 20_000):
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        stop(process)
    assert process.returncode == 130, err
    assert b"run the same command again to resume" in err and b"Traceback" not in err
    assert 0 < len(records(out)) < total  # every line is whole JSON, the file ends with \n
    assert not Path(f"{out}.lock").exists()

    done = run(*command[3:], "--rate", "0", env=env)
    assert done.returncode == 0, done.stderr
    ok_once(out, total)
    assert len(fake_qoder_threaded.sessions) == total


def test_the_demo_ends_with_the_sdk_code_that_does_the_same(fake_qoder_threaded) -> None:
    started = time.monotonic()
    done = run("demo", "--count", "600", "--progress", "plain", env=base_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    for label in ("created    600 sessions", "failed     0", "retries", "throttled"):
        assert label in done.stdout
    assert "holds 600 sessions for 600 inputs: no duplicates" in done.stdout
    code = done.stdout.split("the qoder-async SDK:\n\n", 1)[1]
    assert len([line for line in code.splitlines() if line]) == 10 and "range(600)" in code
    ran = subprocess.run(
        [sys.executable, "-c", code],
        env=env_for(fake_qoder_threaded),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "600 created, 0 failed\n"
    assert len(fake_qoder_threaded.sessions) == 600
    assert time.monotonic() - started < 20


def test_rich_progress_when_asked(fake_qoder_threaded, tmp_path) -> None:
    pytest.importorskip("rich")
    source = write_lines(tmp_path / "in.jsonl", [good(n) for n in range(20)])
    out = tmp_path / "out.jsonl"
    command = ("sessions", "create-many", str(source), "-o", str(out), "--rate", "0")
    done = run(*command, "--progress", "rich", env=env_for(fake_qoder_threaded))
    assert done.returncode == 0, done.stderr
    assert "20/20" in done.stderr
    ok_once(out, 20)


def test_without_rich_the_progress_is_plain_lines(fake_qoder_threaded, tmp_path) -> None:
    # The base install has no rich: hide it, as if it were not installed.
    code = (
        "import sys; sys.modules['rich'] = None; from qoder_async.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    source = write_lines(tmp_path / "in.jsonl", [good(n) for n in range(20)])
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-c", code, "sessions", "create-many", str(source)]
    env = env_for(fake_qoder_threaded)
    done = subprocess.run(
        [*command, "-o", str(out), "--rate", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "sessions: 20/20 (100%), 0 failed" in done.stderr
    asked = subprocess.run(
        [*command, "-o", str(tmp_path / "other.jsonl"), "--progress", "rich"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert asked.returncode == 2 and "pip install 'qoder-async[cli]'" in asked.stderr
