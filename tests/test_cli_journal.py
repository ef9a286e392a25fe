"""``sessions create-many`` run again and again: the journal never loses or duplicates work.

In-process tests of the pure parts first, then the real command line against a fake server:
a finished rerun sends nothing, another input's output is refused untouched, an edited line
is redone, a line that failed for good is recorded once, one run at a time, ``kill -9``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest
from test_cli import (
    FakeServerProcess,
    cli_command,
    current,
    env_for,
    good,
    ok_once,
    records,
    run,
    stop,
    write_lines,
)

from qoder_async.cli._batch_input import BatchKeys, InputLines, fingerprint, parse_line
from qoder_async.cli._common import UsageError
from qoder_async.cli._journal import Journal, new_header
from qoder_async.cli._ledger import FAILED, OK, TRANSIENT, Ledger
from qoder_async.testing import Fault

# -- in-process: the pure parts -----------------------------------------------------------


def test_keys_are_stable_per_batch_line_content_and_retry() -> None:
    keys, fp = BatchKeys("/data/in.jsonl"), fingerprint(b'{"a":1}')
    key = keys.key(3, fp)
    assert key == BatchKeys("/data/in.jsonl").key(3, fp)
    others = {keys.key(4, fp), keys.key(3, fingerprint(b'{"a":2}')), keys.key(3, fp, 1)}
    assert len(others | {key, BatchKeys("other").key(3, fp)}) == 5
    assert len(key) == 36 and key[14] == "4" and key.isascii()


def test_input_lines_ledger_and_line_parsing(tmp_path) -> None:
    path = write_lines(tmp_path / "in.jsonl", [good(1), "", good(3), good(4)])
    with closing(InputLines.open(str(path))) as source:
        assert (source.lines, source.non_blank, len(source.sha256)) == (4, 3, 64)
        prints = list(source.fingerprints)
        ledger = Ledger(source.fingerprints)
        ledger.note(1, prints[0], OK)
        ledger.note(3, prints[2], FAILED)
        ledger.note(4, prints[0], OK)  # a record for other content: line 4 was edited
        ledger.note(9, prints[0], OK)  # the input has no line 9 (any more)
        assert (ledger.matched, ledger.unmatched) == (2, 2)
        tally = ledger.tally()
        assert (tally.new, tally.done, tally.failed, tally.stale) == (0, 1, 1, 1)
        assert ledger.action(3, prints[2], retry_failed=False) is None
        assert ledger.action(3, prints[2], retry_failed=True) == ("retry", 1)
        fed = list(source.items(ledger, BatchKeys("b"), retry_failed=False))
        assert [item["title"] for item in fed] == ["line 4"]
        line = source.take(0)
        assert (line.number, line.kind) == (4, "redo")
    ledger.note(3, prints[2], TRANSIENT)
    assert ledger.action(3, prints[2], retry_failed=False) == ("retry", 1)
    assert "not valid JSON" in parse_line(b"{oops").reason  # type: ignore[union-attr]
    assert "got an array" in parse_line(b"[1]").reason  # type: ignore[union-attr]


def test_the_journal_is_checked_before_anything_is_written(tmp_path) -> None:
    source_path = write_lines(tmp_path / "in.jsonl", [good(1), good(2)])
    out = tmp_path / "out.jsonl"
    with closing(InputLines.open(str(source_path))) as source:
        prints = [f"{fp:016x}" for fp in source.fingerprints]
        header = new_header(source, "batch")
        done = {"line": 1, "fingerprint": prints[0], "ok": True}
        lines = [json.dumps(header), json.dumps(done), '{"line":2,"fing']
        out.write_text("\n".join(lines))
        ledger = Ledger(source.fingerprints)
        journal = Journal.read(str(out), ledger, "batch")
        assert (journal.records, journal.cut_off, ledger.tally().new) == (1, 15, 1)
        with pytest.raises(UsageError, match="belongs to another batch"):
            Journal.read(str(out), Ledger(source.fingerprints), "another batch")
        journal.open_for_append(header)
        journal.append({"line": 2, "fingerprint": prints[1], "ok": True})
        journal.close()
    assert [r["line"] for r in records(out)] == [1, 2]
    # A kill while the header was being written leaves a fragment of it: start afresh.
    out.write_bytes(b'{"ki')
    with closing(InputLines.open(str(source_path))) as source:
        journal = Journal.read(str(out), Ledger(source.fingerprints), "batch")
        assert (journal.header, journal.cut_off) == (None, 4)
        journal.open_for_append(new_header(source, "batch"))
        journal.close()
    assert json.loads(out.read_text())["kind"] == "header"


# -- as a process ---------------------------------------------------------------------------


def create_many(
    source: Path, out: Path, *extra: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return run("sessions", "create-many", str(source), "-o", str(out), *extra, env=env)


def test_a_finished_rerun_sends_nothing_and_appends_nothing(fake_qoder_threaded, tmp_path) -> None:
    server, env = fake_qoder_threaded, env_for(fake_qoder_threaded)
    source = write_lines(tmp_path / "in.jsonl", [good(n) for n in range(1, 6)])
    out = tmp_path / "out.jsonl"
    first = create_many(source, out, "--rate", "0", env=env)
    assert first.returncode == 0, first.stderr
    written, sent = out.read_bytes(), len(server.requests)
    again = create_many(source, out, "--rate", "0", env=env)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stderr and "5 done" in again.stderr
    assert out.read_bytes() == written and len(server.requests) == sent
    quiet = create_many(source, out, "-q", env=env)
    assert (quiet.returncode, quiet.stderr) == (0, "")


def test_an_output_of_another_input_is_refused_untouched(fake_qoder_threaded, tmp_path) -> None:
    env = env_for(fake_qoder_threaded)
    source = write_lines(tmp_path / "in.jsonl", [good(1), good(2)])
    other = write_lines(tmp_path / "other.jsonl", [good(1), good(2)])
    out = tmp_path / "out.jsonl"
    assert create_many(source, out, "--rate", "0", env=env).returncode == 0
    written = out.read_bytes()
    for refused, extra, message in [
        (other, (), "belongs to another batch"),
        (source, ("--batch-id", "nightly-2"), "belongs to another batch"),
    ]:
        done = create_many(refused, out, *extra, env=env)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and message in done.stderr
        assert "--force-new-output" in done.stderr
        assert out.read_bytes() == written
    write_lines(source, [good(7), good(8)])  # same path, nothing in common
    done = create_many(source, out, env=env)
    assert done.returncode == 2 and "written for other input" in done.stderr
    assert out.read_bytes() == written
    old_format = tmp_path / "old.jsonl"
    old_format.write_bytes(b'{"index":0,"ok":true}\n')
    done = create_many(source, old_format, env=env)
    assert done.returncode == 2 and "not a create-many journal" in done.stderr
    assert old_format.read_bytes() == b'{"index":0,"ok":true}\n'

    forced = create_many(source, out, "--force-new-output", "--rate", "0", env=env)
    assert forced.returncode == 0, forced.stderr
    assert Path(f"{out}.old").read_bytes() == written
    assert [r["session"]["title"] for r in records(out)] == ["line 7", "line 8"]


def test_an_edited_line_is_redone_with_a_new_key(fake_qoder_threaded, tmp_path) -> None:
    server, env = fake_qoder_threaded, env_for(fake_qoder_threaded)
    source = write_lines(tmp_path / "in.jsonl", [good(1), good(2), good(3)])
    out = tmp_path / "out.jsonl"
    assert create_many(source, out, "--rate", "0", env=env).returncode == 0
    before = current(out)[2]
    write_lines(source, [good(1), good(22), good(3)])
    done = create_many(source, out, "--rate", "0", env=env)
    assert done.returncode == 0, done.stderr
    assert "1 edited (to redo)" in done.stderr and "1 redone (edited)" in done.stderr
    after = current(out)[2]
    assert after["session"]["title"] == "line 22"
    assert after["fingerprint"] != before["fingerprint"]
    assert after["idempotency_key"] != before["idempotency_key"]
    assert sorted(r["line"] for r in records(out)) == [1, 2, 2, 3]
    assert records(out)[-1]["line"] == 2
    assert len(server.sessions) == 4


def test_a_line_that_failed_for_good_is_recorded_once(fake_qoder_threaded, tmp_path) -> None:
    server, env = fake_qoder_threaded, env_for(fake_qoder_threaded)
    source = write_lines(tmp_path / "in.jsonl", [good(1), good(2), good(3)])
    out = tmp_path / "out.jsonl"
    server.inject(Fault.status_error(400, error_type="invalid_request_error"), path="/sessions")
    server.inject(Fault.status_error(503), path="/sessions")
    options = ("--rate", "0", "--concurrency", "1", "--max-retries", "0")
    first = create_many(source, out, *options, env=env)
    assert first.returncode == 1, first.stderr
    assert "1 created, 2 failed (1 for good)" in first.stderr
    outcome = current(out)
    assert (outcome[1]["ok"], outcome[1]["transient"]) == (False, False)
    assert (outcome[2]["ok"], outcome[2]["transient"]) == (False, True)

    # A plain rerun retries only the transient failure, with the key it had.
    posts = len(server.requests_to("POST", "/sessions"))
    again = create_many(source, out, *options, env=env)
    assert again.returncode == 1, again.stderr
    assert "1 failed for good" in again.stderr and "--retry-failed" in again.stderr
    sent = server.requests_to("POST", "/sessions")[posts:]
    assert [r.headers["Idempotency-Key"] for r in sent] == [outcome[2]["idempotency_key"]]
    assert [r["line"] for r in records(out)] == [1, 2, 3, 2]
    unchanged = out.read_bytes()
    assert create_many(source, out, *options, env=env).returncode == 1
    assert out.read_bytes() == unchanged

    retried = create_many(source, out, "--retry-failed", *options, env=env)
    assert retried.returncode == 0, retried.stderr
    newest = records(out)[-1]
    assert (newest["line"], newest["ok"]) == (1, True)
    assert newest["idempotency_key"] != outcome[1]["idempotency_key"]
    assert [r["line"] for r in records(out)] == [1, 2, 3, 2, 1]
    assert len(server.sessions) == 3


def test_one_run_at_a_time_and_a_killed_run_never_blocks(fake_qoder_threaded, tmp_path) -> None:
    server, env = fake_qoder_threaded, env_for(fake_qoder_threaded)
    total = 40
    source = write_lines(tmp_path / "in.jsonl", [good(n) for n in range(total)])
    out = tmp_path / "out.jsonl"
    command = cli_command("sessions", "create-many", str(source), "-o", str(out))
    slow = subprocess.Popen([*command, "--rate", "10"], env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(records_or_none(out)) < 3:
            time.sleep(0.02)
        assert Path(f"{out}.lock").read_text().strip() == str(slow.pid)
        started = time.monotonic()
        second = subprocess.run(
            [*command, "--rate", "0"], env=env, capture_output=True, text=True, timeout=10
        )
        elapsed = time.monotonic() - started
        assert second.returncode == 2, second.stderr
        assert f"in use by another qoder-async run (pid {slow.pid})" in second.stderr
        assert second.stderr.count("\n") == 1 and elapsed < 1.0
        slow.send_signal(signal.SIGKILL)
        slow.wait(5)
    finally:
        stop(slow)
    assert Path(f"{out}.lock").exists()  # left behind by kill -9, with a dead lock on it
    done = subprocess.run(
        [*command, "--rate", "0"], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert len(set(ok_once(out, total))) == total == len(server.sessions)
    assert not Path(f"{out}.lock").exists()


def records_or_none(path: Path) -> list[bytes]:
    try:
        return path.read_bytes().splitlines()[1:]
    except FileNotFoundError:
        return []


def test_kill_9_mid_run_then_rerun_leaves_one_session_per_line(tmp_path) -> None:
    total = 300
    server = FakeServerProcess("--latency", "0.05")
    try:
        source = write_lines(tmp_path / "in.jsonl", [good(n) for n in range(total)])
        out = tmp_path / "out.jsonl"
        command = cli_command("sessions", "create-many", str(source), "-o", str(out))
        process = subprocess.Popen(
            [*command, "--rate", "100", "--concurrency", "8"],
            env=server.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(records_or_none(out)) < 60:
                time.sleep(0.02)
        finally:
            stop(process)  # SIGKILL
        recorded = sum(r["ok"] for r in records(out))
        assert 60 <= recorded < total
        # Requests were in flight: the server created sessions nobody recorded.
        assert server.stats()["sessions"] > recorded

        done = subprocess.run(
            [*command, "--rate", "0"], env=server.env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert f"resuming {out}: {recorded} done" in done.stderr
        assert set(current(out)) == set(range(1, total + 1))
        assert all(record["ok"] for record in current(out).values())
        assert len(set(ok_once(out, total))) == total == server.stats()["sessions"]
    finally:
        server.stop()
