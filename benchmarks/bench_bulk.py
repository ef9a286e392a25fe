"""``sessions.create_many``: throughput against raw aiohttp in the same run, and peak memory.

Usage: ``python benchmarks/bench_bulk.py [--items N] [--runs R] [--concurrency C]
[--rss 10000 100000] [--server auto|nginx|aiohttp]``

Throughput: every contender sends N creates with C in flight to the same out-of-process
server (nginx when installed) and decodes the same canned session: raw aiohttp (C workers
doing POST + ``json.loads``), ``create`` on C workers, and ``create_many(concurrency=C)``
over a generator. Contenders are interleaved over R runs; we report medians, the client's
CPU time per request, and the ratio to raw aiohttp.

Memory: for each item count a fresh process measures its resident set when idle (client
open, pool warm), then its peak while ``create_many`` consumes a generator of that many
items. The growth is what the batch costs; it should not depend on the count.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

SCRIPT = Path(__file__).resolve()
sys.path.insert(0, str(SCRIPT.parent.parent))

from benchmarks import bench_create  # noqa: E402
from benchmarks._servers import benchmark_server  # noqa: E402
from qoder_async import AsyncQoder  # noqa: E402

AGENT, ENV, TOKEN = bench_create.AGENT, bench_create.ENV, bench_create.TOKEN
WARMUP = 50

Runner = Callable[[str, int, int], Awaitable[tuple[float, float]]]


def _items(total: int) -> Iterator[dict[str, str]]:
    for _ in range(total):
        yield {"agent": AGENT, "environment_id": ENV, "title": "bench"}


class _Clock:
    """Wall and CPU time of the measured part only."""

    def __enter__(self) -> _Clock:
        gc.collect()
        self.cpu = time.process_time()
        self.wall = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def result(self, total: int) -> tuple[float, float]:
        return total / self.wall, self.cpu / total * 1e6


async def _workers(concurrency: int, total: int, one: Callable[[], Awaitable[object]]) -> None:
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await one()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def raw_aiohttp(url: str, concurrency: int, total: int) -> tuple[float, float]:
    # The very loop bench_create.py measures, so both benchmarks share one baseline.
    return await bench_create.raw_aiohttp(url)(concurrency, total)


async def create_workers(url: str, concurrency: int, total: int) -> tuple[float, float]:
    async with AsyncQoder(api_key=TOKEN, base_url=url) as client:

        async def one() -> object:
            return await client.sessions.create(agent=AGENT, environment_id=ENV, title="bench")

        await _workers(concurrency, WARMUP, one)
        with _Clock() as clock:
            await _workers(concurrency, total, one)
    return clock.result(total)


async def create_many(url: str, concurrency: int, total: int) -> tuple[float, float]:
    async with AsyncQoder(api_key=TOKEN, base_url=url) as client:
        async for _ in client.sessions.create_many(_items(WARMUP), concurrency=concurrency):
            pass
        with _Clock() as clock:
            done = 0
            async for result in client.sessions.create_many(_items(total), concurrency=concurrency):
                if result.error is not None:
                    raise result.error
                done += 1
        assert done == total
    return clock.result(total)


# -- memory ---------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    """Reset VmHWM to the current resident set (Linux >= 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


async def _rss_worker(url: str, count: int) -> dict[str, int]:
    async with AsyncQoder(api_key=TOKEN, base_url=url) as client:
        async for _ in client.sessions.create_many(_items(WARMUP), concurrency=64):
            pass
        gc.collect()
        idle = _status_kb("VmRSS")
        _reset_peak()
        peak = idle
        done = 0
        async for _ in client.sessions.create_many(_items(count), concurrency=64):
            done += 1
            if done % 1000 == 0:
                peak = max(peak, _status_kb("VmRSS"))
        assert done == count
        peak = max(peak, _status_kb("VmHWM"))
    return {"count": count, "idle_kb": idle, "peak_kb": peak}


def _measure_rss(url: str, count: int) -> dict[str, int]:
    output = subprocess.run(
        [sys.executable, str(SCRIPT), "--rss-worker", str(count), "--url", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Many short runs: on a shared 2-core machine the speed drifts over seconds, and a
    # contender's run should sit as close as possible to the raw aiohttp run it is paired with.
    parser.add_argument("--items", type=int, default=1500, help="creates per run")
    parser.add_argument("--runs", type=int, default=25, help="runs per contender (median)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rss", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--server", choices=["auto", "nginx", "aiohttp"], default="auto")
    parser.add_argument("--rss-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_worker is not None:
        print(json.dumps(asyncio.run(_rss_worker(args.url, args.rss_worker))))
        return

    contenders: dict[str, Runner] = {
        "raw aiohttp": raw_aiohttp,
        "create, N workers": create_workers,
        "create_many": create_many,
    }
    with benchmark_server(args.server) as (url, kind):
        print(
            f"server: {kind}; {args.items} creates x {args.runs} runs, concurrency "
            f"{args.concurrency}; python {sys.version.split()[0]}"
        )
        rates: dict[str, list[float]] = {name: [] for name in contenders}
        cpus: dict[str, list[float]] = {name: [] for name in contenders}
        ratios: list[float] = []
        for _ in range(args.runs):
            for name, runner in contenders.items():
                rate, cpu = asyncio.run(runner(url, args.concurrency, args.items))
                rates[name].append(rate)
                cpus[name].append(cpu)
            ratios.append(rates["create_many"][-1] / rates["raw aiohttp"][-1])
        base = statistics.median(rates["raw aiohttp"])
        for name in contenders:
            median = statistics.median(rates[name])
            print(
                f"  {name:<18} {median:7.0f} req/s  (runs {min(rates[name]):.0f}-"
                f"{max(rates[name]):.0f})  {statistics.median(cpus[name]):6.1f} us CPU/req"
                f"  ratio {median / base:4.2f}"
            )
        print(
            f"  create_many / raw aiohttp, paired per run: median {statistics.median(ratios):.2f}"
            f" (runs {min(ratios):.2f}-{max(ratios):.2f}; target >= 0.85)"
        )
        if args.rss:
            print("\npeak memory of create_many over a generator (fresh process per count)")
            for count in args.rss:
                m = _measure_rss(url, count)
                growth = (m["peak_kb"] - m["idle_kb"]) / 1024
                print(
                    f"  {count:>8} items: idle {m['idle_kb'] / 1024:5.1f} MB, peak "
                    f"{m['peak_kb'] / 1024:5.1f} MB, growth {growth:4.1f} MB (target < 60 MB)"
                )


if __name__ == "__main__":
    main()
