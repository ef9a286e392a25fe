"""Soak: run the client for N minutes against a fake server that injects random faults.

The server (a ``FakeQoderServer`` in another process, so that its memory and CPU are not
the client's) answers a configurable share of requests (5 % by default) with a fault drawn
at random: resets, truncated bodies, lost responses, slow headers and bodies past the
timeout, 429/5xx (HTML or JSON), invalid or oversized 2xx bodies, and keep-alive closes.
Meanwhile the client runs ``sessions.create`` from many concurrent workers, and cancels a
few calls halfway. At the end it asserts:

* every call ended in success, a typed ``QoderError``, or the cancellation we asked for;
* resident memory and open file descriptors are flat: last minute vs first minute;
* nothing is left behind: no acquired connection, no pending task, and after ``aclose()``
  the descriptors are back to where they started.

Not part of the test suite. Run::

    python benchmarks/soak.py --minutes 3
    python benchmarks/soak.py --minutes 30 --concurrency 64 --fault-rate 0.1 --json soak.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qoder_async import AsyncQoder, Hooks, QoderError, RetryPolicy  # noqa: E402
from qoder_async.testing import FakeQoderServer, Fault  # noqa: E402

AGENT = "agent_019e390add9f7bac9b6cc806db46fcbd"
ENV = "env_019e2590d33f711fabf42f2857cecd8a"
TIMEOUT = 1.0
MAX_RESPONSE_BYTES = 256 * 1024
MAX_MINUTES = 120.0


# -- the server process ----------------------------------------------------------------------


def fault_menu() -> list[tuple[str, Fault]]:
    """The faults drawn at random; each name is what the client goes through."""
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    return [
        ("reset", Fault.reset()),
        ("truncated body", Fault.truncated(b'{"id": "sess_', declared_length=400)),
        ("response lost", Fault.drop_response()),
        ("keep-alive closed", Fault.close_after_response()),
        ("slow headers", Fault.delay(TIMEOUT * 1.5)),
        ("slow body", Fault.trickle(b'{"id": "sess_1", "status": "idle"}', seconds_per_chunk=0.1)),
        ("429", Fault.status_error(429, headers={"retry-after-ms": "20"})),
        ("503", Fault.status_error(503, headers={"Retry-After": "0"})),
        ("500", Fault.status_error(500)),
        ("502 html", Fault.respond(502, page, content_type="text/html")),
        ("400", Fault.status_error(400, error_type="invalid_request_error")),
        ("invalid json", Fault.respond(201, b"<html>ok</html>", content_type="text/html")),
        ("wrong shape", Fault.respond(201, {"id": ["sess_1"]})),
        (
            "oversized body",
            Fault.respond(201, {"id": "sess_1", "title": "x" * (2 * MAX_RESPONSE_BYTES)}),
        ),
    ]


class ChaosServer(FakeQoderServer):
    """A fake server that applies a random fault to ``rate`` of all requests."""

    def __init__(self, rate: float, seed: int, port: int = 0) -> None:
        super().__init__(port=port)
        self.record_requests = False
        self._rate = rate
        self._random = random.Random(seed)
        self._menu = fault_menu()
        self.injected: Counter[str] = Counter()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        # The stores only grow; a soak must not measure the server's memory growing.
        if len(self.sessions) > 20_000:
            self.sessions.clear()
            self._idempotency.clear()
        if self._random.random() >= self._rate:
            return None
        name, fault = self._random.choice(self._menu)
        self.injected[name] += 1
        return fault


async def serve(rate: float, seed: int) -> None:
    # A client that gave up mid-fault makes aiohttp log the failed write; that is the point.
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    async with ChaosServer(rate, seed) as server:
        print(json.dumps({"port": server.port, "token": server.token}), flush=True)
        # Until the parent closes our stdin.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
        print(json.dumps({"injected": dict(server.injected)}), flush=True)


# -- the client ------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def soak(args: argparse.Namespace, base_url: str, token: str) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    attempts = [0]
    retries = [0]
    hooks = Hooks(
        on_request=lambda _: attempts.__setitem__(0, attempts[0] + 1),
        on_retry=lambda _: retries.__setitem__(0, retries[0] + 1),
    )
    policy = RetryPolicy(max_retries=2, initial_delay=0.05, max_delay=0.5, max_retry_after=1.0)
    samples: list[tuple[float, float, int]] = []
    baseline_fds = open_fds()
    rng = random.Random(args.seed + 1)
    duration = args.minutes * 60.0
    client = AsyncQoder(
        api_key=token,
        base_url=base_url,
        timeout=TIMEOUT,
        retry=policy,
        hooks=hooks,
        max_connections=args.concurrency,
        max_response_bytes=MAX_RESPONSE_BYTES,
    )
    started = time.monotonic()
    stop_at = started + duration

    async def one_call() -> None:
        cancel = rng.random() < args.cancel_rate
        try:
            if cancel:
                # Cancelled at a random point: waiting for a connection, sending, or reading.
                with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                    await asyncio.wait_for(create(), rng.uniform(0.0, 0.02))
                    outcomes["success"] += 1
                    return
                outcomes["cancelled (by the soak)"] += 1
                return
            await create()
            outcomes["success"] += 1
        except QoderError as exc:
            outcomes[type(exc).__name__] += 1
        except Exception as exc:  # anything untyped is a failure of the promise
            outcomes[f"UNTYPED {type(exc).__name__}: {exc}"[:120]] += 1

    async def create() -> None:
        await client.sessions.create(agent=AGENT, environment_id=ENV, title="soak")

    async def worker() -> None:
        while time.monotonic() < stop_at:
            await one_call()

    async def sampler() -> None:
        while time.monotonic() < stop_at:
            samples.append((time.monotonic() - started, rss_mb(), open_fds()))
            await asyncio.sleep(1.0)

    async with client:
        await asyncio.gather(sampler(), *(worker() for _ in range(args.concurrency)))
        in_flight = client.transport.in_flight()
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    await asyncio.sleep(0.1)
    final_fds = open_fds()

    def window(low: float, high: float) -> list[tuple[float, float, int]]:
        return [s for s in samples if low <= s[0] < high] or samples[:1]

    minute = min(60.0, duration / 3)
    first, last = window(0, minute), window(duration - minute, duration + 1)
    first_rss = statistics.mean(s[1] for s in first)
    last_rss = statistics.mean(s[1] for s in last)
    calls = sum(outcomes.values())
    untyped = {k: v for k, v in outcomes.items() if k.startswith("UNTYPED")}
    checks = {
        "every call ended in success, a typed error or our cancellation": not untyped,
        "RSS flat (last-minute mean within 10 % or 5 MB of the first)": last_rss - first_rss
        <= max(5.0, 0.10 * first_rss),
        "open fds flat (last-minute max <= first-minute max + 2)": max(s[2] for s in last)
        <= max(s[2] for s in first) + 2,
        "no acquired connection left": in_flight == 0,
        "no pending task left": not pending,
        "fds back to the start after aclose()": final_fds <= baseline_fds,
    }
    return {
        "minutes": args.minutes,
        "concurrency": args.concurrency,
        "fault_rate": args.fault_rate,
        "calls": calls,
        "calls_per_second": round(calls / duration, 1),
        "attempts": attempts[0],
        "retries": retries[0],
        "outcomes": dict(outcomes.most_common()),
        "rss_mb_first_minute": {
            "mean": round(first_rss, 1),
            "max": round(max(s[1] for s in first), 1),
        },
        "rss_mb_last_minute": {
            "mean": round(last_rss, 1),
            "max": round(max(s[1] for s in last), 1),
        },
        "fds_first_minute_max": max(s[2] for s in first),
        "fds_last_minute_max": max(s[2] for s in last),
        "fds_before_and_after": [baseline_fds, final_fds],
        "checks": checks,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--cancel-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=20260518)
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.fault_rate, args.seed))
        return 0
    if not 0 < args.minutes <= MAX_MINUTES:
        parser.error(f"--minutes must be in (0, {MAX_MINUTES:g}]")
    logging.getLogger("qoder_async").setLevel(logging.ERROR)  # retries are counted, not logged
    command = [sys.executable, __file__, "--serve", "--fault-rate", str(args.fault_rate)]
    command += ["--seed", str(args.seed)]
    server = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        hello = json.loads(server.stdout.readline())
        base_url = f"http://127.0.0.1:{hello['port']}/api/v1/cloud"
        result = asyncio.run(soak(args, base_url, hello["token"]))
        server.stdin.close()
        result["server_injected"] = json.loads(server.stdout.readline())["injected"]
    finally:
        with contextlib.suppress(Exception):
            server.stdin.close()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    failed = [name for name, ok in result["checks"].items() if not ok]
    for name in failed:
        print(f"FAILED: {name}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
