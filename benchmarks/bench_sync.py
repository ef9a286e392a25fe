"""Throughput of ``sessions.create`` through the blocking ``Qoder`` against ``AsyncQoder``.

Usage: ``python benchmarks/bench_sync.py [--requests N] [--runs R] [--server nginx|aiohttp]
[--no-sdk]``

Contenders, against one out-of-process server (``_servers.benchmark_server``):

- concurrency 1: ``Qoder`` called in a loop, ``AsyncQoder`` awaited in a loop, and the
  official SDK's blocking ``qca.Managed`` (``qca-sdk``) called in a loop;
- concurrency 16: one ``Qoder`` shared by 16 threads, ``AsyncQoder`` on 16 tasks.

Each round runs every contender once, in turn, so that machine noise hits them alike; we
report the median rate over the rounds, the client process's CPU time per request (every
thread's), and the ratio of each run to the ``AsyncQoder`` run of its own round (median).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_create
from benchmarks._servers import benchmark_server
from qoder_async import Qoder, RetryPolicy

AGENT = "agent_019e390add9f7bac9b6cc806db46fcbd"
ENV = "env_019e2590d33f711fabf42f2857cecd8a"
TOKEN = "pt-benchmark-token"
WARMUP = 50  # as bench_create's: warm the pool and the code paths

#: (concurrency, total requests) -> (requests/s, client CPU µs/request)
Runner = Callable[[int, int], tuple[float, float]]


def _measure(total: int, run: Callable[[], None]) -> tuple[float, float]:
    gc.collect()
    cpu = time.process_time()
    started = time.perf_counter()
    run()
    wall = time.perf_counter() - started
    return total / wall, (time.process_time() - cpu) / total * 1e6


def async_client(url: str) -> Runner:
    """``AsyncQoder`` on ``concurrency`` tasks: ``bench_create``'s contender, run here."""
    runner = bench_create.qoder_async(url)
    return lambda concurrency, total: asyncio.run(runner(concurrency, total))


def _threads(concurrency: int, total: int, one: Callable[[], object]) -> tuple[float, float]:
    """``total`` calls of ``one`` spread over ``concurrency`` threads (or this one)."""
    for _ in range(WARMUP):
        one()
    if concurrency == 1:

        def serial() -> None:
            for _ in range(total):
                one()

        return _measure(total, serial)
    counter = iter(range(total))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            one()

    def spread() -> None:
        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    return _measure(total, spread)


def sync_client(url: str) -> Runner:
    def run(concurrency: int, total: int) -> tuple[float, float]:
        with Qoder(api_key=TOKEN, base_url=url, retry=RetryPolicy.disabled()) as client:
            create = client.sessions.create
            return _threads(
                concurrency, total, lambda: create(agent=AGENT, environment_id=ENV, title="bench")
            )

    return run


def official_sync_sdk(url: str) -> Runner | None:
    try:
        import qca
    except ImportError:
        return None

    def run(concurrency: int, total: int) -> tuple[float, float]:
        client = qca.Managed(access_token=TOKEN, base_url=url + "/", max_retries=0)
        try:
            create = client.sessions.create
            return _threads(
                concurrency, total, lambda: create(agent=AGENT, environment_id=ENV, title="bench")
            )
        finally:
            client.close()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per run")
    parser.add_argument("--runs", type=int, default=5, help="rounds (median)")
    parser.add_argument("--server", choices=["auto", "nginx", "aiohttp"], default="auto")
    parser.add_argument("--no-sdk", action="store_true", help="skip the official SDK")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        url, kind = stack.enter_context(benchmark_server(args.server))
        sdk = None if args.no_sdk else official_sync_sdk(url)
        # (concurrency, name, runner, requests per run): the reference contender first.
        plan: dict[int, dict[str, tuple[Runner, int]]] = {
            1: {"AsyncQoder": (async_client(url), args.requests)},
            16: {"AsyncQoder, 16 tasks": (async_client(url), args.requests)},
        }
        plan[1]["Qoder"] = (sync_client(url), args.requests)
        if sdk is not None:
            # an order of magnitude slower: fewer requests, same shape
            plan[1]["qca.Managed (official, sync)"] = (sdk, max(args.requests // 5, 200))
        plan[16]["Qoder, 16 threads"] = (sync_client(url), args.requests)
        report(args, kind, plan)


def report(
    args: argparse.Namespace, kind: str, plan: dict[int, dict[str, tuple[Runner, int]]]
) -> None:
    """Run the plan ``args.runs`` times, interleaved; print a table of medians and ratios."""
    print(
        f"server: {kind}; {args.requests} requests x {args.runs} interleaved rounds;"
        f" python {sys.version.split()[0]}"
    )
    results: dict[tuple[int, str], list[tuple[float, float]]] = {
        (c, name): [] for c, contenders in plan.items() for name in contenders
    }
    for _ in range(args.runs):
        for concurrency, contenders in plan.items():
            for name, (runner, total) in contenders.items():
                results[concurrency, name].append(runner(concurrency, total))
    print("\n| concurrency | client | req/s (median) | runs | CPU µs/req | ratio to AsyncQoder |")
    print("|---|---|---|---|---|---|")
    for concurrency, contenders in plan.items():
        reference = [rate for rate, _ in results[concurrency, next(iter(contenders))]]
        for name in contenders:
            rates = [rate for rate, _ in results[concurrency, name]]
            cpu = statistics.median(c for _, c in results[concurrency, name])
            # each run against the reference run of its round, then the median
            ratio = statistics.median(r / b for r, b in zip(rates, reference, strict=True))
            print(
                f"| {concurrency} | {name} | {statistics.median(rates):.0f} |"
                f" {min(rates):.0f}-{max(rates):.0f} | {cpu:.0f} | {ratio:.2f} |"
            )
    sync = statistics.median(r for r, _ in results[1, "Qoder"])
    official = results.get((1, "qca.Managed (official, sync)"))
    if official:
        print(
            f"\nQoder / qca.Managed at concurrency 1: "
            f"{sync / statistics.median(r for r, _ in official):.1f}x"
        )


if __name__ == "__main__":
    main()
