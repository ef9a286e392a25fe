"""The qoder-async command line, run as a real process against a fake server in another one.

The fake server lives in its own process (``qoder-async fake-server``) so that its state,
sessions and idempotency keys included, survives the command line being killed.
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

from qoder_async.cli._journal import BatchKeys, Bitmap, InputLines, Journal, parse_line
from qoder_async.testing import DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parent.parent


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "qoder_async", *args]


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QODER_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env.update(extra)
    return env


class FakeServerProcess:
    def __init__(self, *options: str) -> None:
        self.process = subprocess.Popen(
            cli_command("fake-server", "--port", "0", *options),
            env=base_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        assert "listening on" in first, first + self.process.stderr.read()  # type: ignore[union-attr]
        self.base_url = first.split("listening on", 1)[1].strip()
        self.env = base_env(QODER_PAT=DEFAULT_TOKEN, QODER_BASE_URL=self.base_url)

    def stats(self) -> dict[str, Any]:
        request = urllib.request.Request(
            self.base_url + "/_fake/stats", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def fake_server() -> Iterator[FakeServerProcess]:
    server = FakeServerProcess()
    yield server
    server.stop()


def run(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args), env=env, capture_output=True, text=True, timeout=timeout
    )


def good(n: int) -> str:
    return json.dumps({"agent": AGENT, "environment_id": ENV, "title": f"line {n}"})


def records(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def ok_once(path: Path, lines: int) -> list[str]:
    """Every index has exactly one ok record; returns the session ids in index order."""
    oks = [r for r in records(path) if r["ok"]]
    assert Counter(r["index"] for r in oks) == Counter(range(lines))
    return [r["session"]["id"] for r in sorted(oks, key=lambda r: r["index"])]


# -- in-process: the pure parts -----------------------------------------------------------


def test_keys_are_stable_per_batch_line_and_content() -> None:
    keys = BatchKeys("/data/in.jsonl")
    key = keys.key(3, b'{"a":1}')
    assert key == BatchKeys("/data/in.jsonl").key(3, b'{"a":1}')
    assert len({key, keys.key(4, b'{"a":1}'), keys.key(3, b'{"a":2}')}) == 3
    assert BatchKeys("other").key(3, b'{"a":1}') != key
    assert len(key) == 36 and key[14] == "4" and key.isascii()


def test_the_journal_cuts_a_partial_last_line_and_finds_what_is_done(tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(
        b'{"index":0,"ok":true}\n{"index":1,"ok":false}\n{"index":2,"ok":true}\n{"index":3,"o'
    )
    journal = Journal.open(str(out))
    journal.append({"index": 3, "ok": True})
    journal.close()
    assert journal.repaired == len(b'{"index":3,"o')
    assert (0 in journal.done, 1 in journal.done, 2 in journal.done) == (True, False, True)
    assert [r["index"] for r in records(out)] == [0, 1, 2, 3]


def test_bitmap_and_line_parsing() -> None:
    bits = Bitmap()
    for value in (0, 9, 9, 10_000_000):
        bits.add(value)
    assert bits.count == 3 and 9 in bits and 8 not in bits and 10**9 not in bits
    assert "not valid JSON" in parse_line(b"{oops").reason  # type: ignore[union-attr]
    assert "got an array" in parse_line(b"[1]").reason  # type: ignore[union-attr]
    assert parse_line(b'{"agent": "agent_1"}') == {"agent": "agent_1"}


def test_input_lines_count_and_skip(tmp_path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(f"{good(0)}\n\n{good(2)}\n{good(3)}")
    source = InputLines.open(str(path))
    done = Bitmap()
    done.add(2)
    fed = list(source.items(done, BatchKeys("b")))
    assert (source.lines, source.non_blank) == (4, 3)
    assert [item["title"] for item in fed] == ["line 0", "line 3"]
    assert [source.take(0).index, source.take(1).index] == [0, 3]
    source.close()


# -- as a process ---------------------------------------------------------------------------


def test_help_version_and_no_command() -> None:
    env = base_env()
    assert "create-many" in run("sessions", "--help", env=env).stdout
    assert run("--version", env=env).stdout.startswith("qoder-async ")
    assert run(env=env).returncode == 2


def test_sessions_create_prints_the_session(fake_server) -> None:
    done = run(
        "sessions",
        "create",
        "--agent",
        AGENT,
        "--environment-id",
        ENV,
        "--title",
        "from the shell",
        "--metadata",
        "ticket=OPS-1",
        env=fake_server.env,
    )
    assert done.returncode == 0, done.stderr
    session = json.loads(done.stdout)
    assert session["id"].startswith("sess_") and session["title"] == "from the shell"
    assert session["metadata"] == {"ticket": "OPS-1"}
    assert fake_server.stats()["sessions"] == 1


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
    ],
)
def test_usage_and_configuration_errors_exit_2(tmp_path, args, env, message) -> None:
    done = subprocess.run(
        cli_command(*args), env=base_env(**env), capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert done.stderr.startswith("qoder-async: error: ")


def test_create_many_one_record_per_line_and_a_rerun_skips_the_done(fake_server, tmp_path) -> None:
    lines = [good(0), "{not json", good(2), "[1, 2]", "", good(5)]
    lines += [json.dumps({"agent": AGENT, "environment_id": ENV, "colour": "red"})]
    lines += [json.dumps({"agent": "nope", "environment_id": ENV}), good(8)]
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("\n".join(lines) + "\n")
    command = ("sessions", "create-many", str(source), "-o", str(out), "--rate", "0")
    done = run(*command, "--ordered", "--progress", "plain", env=fake_server.env)
    assert done.returncode == 1, done.stderr
    result = records(out)
    assert [r["index"] for r in result] == [0, 1, 2, 3, 5, 6, 7, 8]
    assert [r["ok"] for r in result] == [True, False, True, False, True, False, False, True]
    errors = {r["index"]: r["error"] for r in result if not r["ok"]}
    assert errors[1]["message"].startswith("line 2: not valid JSON")
    assert errors[3]["message"].startswith("line 4: expected a JSON object")
    assert errors[6] == {
        "type": "InvalidParameterError",
        "status_code": None,
        "message": "line 7: colour: is not a sessions.create parameter",
        "request_id": None,
    }
    assert errors[7]["message"].startswith("line 8: agent:")
    assert result[0]["session"]["title"] == "line 0"
    assert "4 created, 4 failed" in done.stderr
    assert fake_server.stats()["sessions"] == 4

    again = run(*command, "--progress", "none", env=fake_server.env)
    assert again.returncode == 1
    assert "resuming: 4 lines already recorded ok" in again.stderr
    rerun = records(out)[len(result) :]
    assert sorted(r["index"] for r in rerun) == [1, 3, 6, 7]
    assert fake_server.stats()["sessions"] == 4


def test_a_rejected_token_stops_the_batch_with_exit_2(fake_server, tmp_path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(good(n) + "\n" for n in range(500)))
    out = tmp_path / "out.jsonl"
    env = {**fake_server.env, "QODER_PAT": "pt-revoked"}
    result = run("sessions", "create-many", str(source), "-o", str(out), "--rate", "0", env=env)
    assert result.returncode == 2, result.stderr
    assert "rejected the token" in result.stderr
    written = records(out)
    assert written and all(not r["ok"] for r in written)
    assert written[0]["error"]["status_code"] == 401
    # one 401 is enough: the batch stops (at most the 16 in flight are recorded) instead of
    # sending 500 requests that must all fail
    assert len(written) <= 16
    assert fake_server.stats()["sessions"] == 0


def test_kill_9_mid_run_then_rerun_leaves_one_session_per_line(tmp_path) -> None:
    total = 300
    server = FakeServerProcess("--latency", "0.05")
    try:
        source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
        source.write_text("".join(good(n) + "\n" for n in range(total)))
        command = cli_command("sessions", "create-many", str(source), "-o", str(out))
        process = subprocess.Popen(
            [*command, "--rate", "100", "--concurrency", "8"],
            env=server.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            not out.exists() or out.read_bytes().count(b"\n") < 60
        ):
            time.sleep(0.02)
        process.kill()
        process.wait()
        recorded = sum(r["ok"] for r in records(out))
        assert 60 <= recorded < total
        # Requests were in flight: the server created sessions nobody recorded.
        assert server.stats()["sessions"] > recorded

        done = subprocess.run(
            [*command, "--rate", "0"], env=server.env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert f"resuming: {recorded} lines already recorded ok" in done.stderr
        ids = ok_once(out, total)
        assert len(set(ids)) == total
        assert server.stats()["sessions"] == total
    finally:
        server.stop()


def test_ctrl_c_stops_cleanly_with_valid_jsonl(fake_server, tmp_path) -> None:
    total = 400
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(good(n) + "\n" for n in range(total)))
    command = cli_command("sessions", "create-many", str(source), "-o", str(out))
    process = subprocess.Popen(
        [*command, "--rate", "200"],
        env=fake_server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 20_000):
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "run the same command again to resume" in err
    assert "Traceback" not in err
    recorded = records(out)  # every line is whole JSON, the file ends with a newline
    assert 0 < len(recorded) < total

    done = subprocess.run(
        [*command, "--rate", "0"], env=fake_server.env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    ok_once(out, total)
    assert fake_server.stats()["sessions"] == total


def test_the_demo_needs_no_credentials_or_network() -> None:
    started = time.monotonic()
    done = run("demo", "--progress", "plain", env=base_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    for label in ("created    3000 sessions", "failed     0", "retries", "throttled"):
        assert label in done.stdout
    assert "holds 3000 sessions for 3000 inputs: no duplicates" in done.stdout
    assert time.monotonic() - started < 40


def test_rich_progress_when_asked(fake_server, tmp_path) -> None:
    pytest.importorskip("rich")
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(good(n) + "\n" for n in range(20)))
    done = run(
        "sessions",
        "create-many",
        str(source),
        "-o",
        str(out),
        "--rate",
        "0",
        "--progress",
        "rich",
        env=fake_server.env,
    )
    assert done.returncode == 0, done.stderr
    assert "20/20" in done.stderr
    ok_once(out, 20)


def test_without_rich_the_progress_is_plain_lines(fake_server, tmp_path) -> None:
    # The base install has no rich: hide it, as if it were not installed.
    code = (
        "import sys; sys.modules['rich'] = None; from qoder_async.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(good(n) + "\n" for n in range(20)))
    command = [sys.executable, "-c", code, "sessions", "create-many", str(source), "-o", str(out)]
    done = subprocess.run(
        [*command, "--rate", "0"], env=fake_server.env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "sessions: 20/20 (100%), 0 failed" in done.stderr
    asked = subprocess.run(
        [*command, "--progress", "rich"], env=fake_server.env, capture_output=True, text=True
    )
    assert asked.returncode == 2 and "pip install 'qoder-async[cli]'" in asked.stderr
