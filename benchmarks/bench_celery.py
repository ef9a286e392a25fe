"""Celery throughput: sessions created per second by 1, 2 and 4 worker processes.

Everything runs as separate processes on loopback: a ``redis-server`` (broker, results and
the shared limit), the fake API (``qoder-async fake-server``), one Celery worker with
``--concurrency N`` prefork processes, and this script as producer and collector. Each run
enqueues a fresh batch with ``enqueue_jsonl`` and times it until ``collect_jsonl`` has every
outcome; the figure is the median of ``--runs`` runs, with and without a shared limit.

    python benchmarks/bench_celery.py --sessions 400 --runs 3 --limit 20
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from redis_server import RedisServer, free_port  # noqa: E402

AGENT = "agent_019e390add9f7bac9b6cc806db46fcbd"
ENV = "env_019e2590d33f711fabf42f2857cecd8a"
TOKEN = "pt-bench-token"


def wait_for_line(log: Path, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{log.name}: no {text!r} within {timeout} s")


def one_run(env: dict[str, str], processes: int, sessions: int, tmp: Path, run: str) -> float:
    log = tmp / f"worker-{run}.log"
    command = [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool", "prefork"]
    command += ["--concurrency", str(processes), "--loglevel", "INFO", "--hostname", f"{run}@%h"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("wb") as out:
        worker = subprocess.Popen(
            command, env=env, cwd=ROOT / "tests", stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_line(log, "ready.")
        from qoder_async.contrib.celery import collect_jsonl, enqueue_jsonl

        source = tmp / f"{run}.jsonl"
        lines = (
            {"agent": AGENT, "environment_id": ENV, "title": f"{run} {n}"} for n in range(sessions)
        )
        source.write_text("".join(json.dumps(line) + "\n" for line in lines))
        import celery_app

        started = time.perf_counter()
        enqueue_jsonl(celery_app.app, source, batch_id=run)
        summary = collect_jsonl(celery_app.app, source, tmp / f"{run}.out.jsonl", batch_id=run)
        elapsed = time.perf_counter() - started
        assert summary.ok == sessions, summary
        return sessions / elapsed
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=400, help="sessions per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per configuration (median)")
    parser.add_argument("--limit", type=float, default=20.0, help="the shared writes_per_second")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()

    redis = RedisServer().start()
    port = free_port()
    command = [sys.executable, "-m", "qoder_async", "fake-server", "-q", "--port", str(port)]
    api = subprocess.Popen(
        [*command, "--token", TOKEN], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    rows = []
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            for limit in (None, args.limit):
                for processes in args.processes:
                    env = dict(os.environ)
                    env.update(
                        PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
                        QODER_TEST_BROKER=redis.url(0),
                        QODER_TEST_BACKEND=redis.url(1),
                        QODER_TEST_LIMIT_URL=redis.url(2),
                        QODER_TEST_TOKEN=TOKEN,
                        QODER_TEST_BASE_URL=f"http://127.0.0.1:{port}/api/v1/cloud",
                    )
                    if limit:
                        env["QODER_TEST_WRITES_PER_SECOND"] = str(limit)
                    # This process imports the same app module, as producer and collector.
                    os.environ.pop("QODER_TEST_WRITES_PER_SECOND", None)
                    os.environ.update(env)
                    sys.modules.pop("celery_app", None)
                    rates = [
                        one_run(
                            env, processes, args.sessions, tmp, f"p{processes}l{limit or 0}r{n}"
                        )
                        for n in range(args.runs)
                    ]
                    rows.append(
                        (processes, limit, statistics.median(rates), min(rates), max(rates))
                    )
                    print(
                        f"processes={processes} limit={limit} sessions/s={rows[-1][2]:.1f}",
                        flush=True,
                    )
    finally:
        api.terminate()
        api.wait(timeout=10)
        redis.stop()
    print(f"\n{args.sessions} sessions per run, median of {args.runs} runs\n")
    print("| worker processes | shared limit | sessions/s (median) | range |")
    print("|---|---|---|---|")
    for processes, limit, median, low, high in rows:
        shown = f"{limit:g}/s (Redis)" if limit else "none"
        print(f"| {processes} | {shown} | {median:.1f} | {low:.1f} to {high:.1f} |")


if __name__ == "__main__":
    main()
