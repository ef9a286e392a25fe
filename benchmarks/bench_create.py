"""Throughput of ``sessions.create`` against raw aiohttp and the official SDK, in one run.

Usage: ``python benchmarks/bench_create.py [--requests N] [--runs R] [--server nginx|aiohttp]``

Every contender sends the same JSON body to the same out-of-process server and decodes
the same canned session response; we report the median rate of R runs per contender and
concurrency, interleaving contenders so that machine noise hits all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from benchmarks._servers import benchmark_server
from qoder_async import AsyncQoder, RetryPolicy

AGENT = "agent_019e390add9f7bac9b6cc806db46fcbd"
ENV = "env_019e2590d33f711fabf42f2857cecd8a"
TOKEN = "pt-benchmark-token"
PAYLOAD = {"agent": AGENT, "environment_id": ENV, "title": "bench"}

Runner = Callable[[int, int], Awaitable[float]]


async def _drive(concurrency: int, total: int, one: Callable[[], Awaitable[object]]) -> float:
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await one()

    for _ in range(min(50, total)):  # warm the pool and the code paths
        await one()
    gc.collect()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - started)


def raw_aiohttp(url: str) -> Runner:
    async def run(concurrency: int, total: int) -> float:
        connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300)
        async with aiohttp.ClientSession(connector=connector) as session:
            headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

            async def one() -> object:
                body = json.dumps(PAYLOAD).encode()
                async with session.post(url + "/sessions", data=body, headers=headers) as resp:
                    return json.loads(await resp.read())

            return await _drive(concurrency, total, one)

    return run


def qoder_async(url: str) -> Runner:
    async def run(concurrency: int, total: int) -> float:
        async with AsyncQoder(api_key=TOKEN, base_url=url, retry=RetryPolicy.disabled()) as client:

            async def one() -> object:
                return await client.sessions.create(agent=AGENT, environment_id=ENV, title="bench")

            return await _drive(concurrency, total, one)

    return run


def official_sdk(url: str) -> Runner | None:
    try:
        import qca
    except ImportError:
        return None

    async def run(concurrency: int, total: int) -> float:
        client = qca.AsyncManaged(access_token=TOKEN, base_url=url + "/", max_retries=0)
        try:

            async def one() -> object:
                return await client.sessions.create(agent=AGENT, environment_id=ENV, title="bench")

            return await _drive(concurrency, total, one)
        finally:
            await client.close()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per contender (median)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--server", choices=["auto", "nginx", "aiohttp"], default="auto")
    parser.add_argument("--no-sdk", action="store_true", help="skip the official SDK")
    args = parser.parse_args()

    with benchmark_server(args.server) as (url, kind):
        contenders: dict[str, Runner] = {
            "raw aiohttp": raw_aiohttp(url),
            "qoder-async": qoder_async(url),
        }
        sdk = None if args.no_sdk else official_sdk(url)
        if sdk is not None:
            contenders["qca-sdk (official)"] = sdk
        print(
            f"server: {kind}; {args.requests} requests x {args.runs} runs;"
            f" python {sys.version.split()[0]}"
        )
        for concurrency in args.concurrency:
            rates: dict[str, list[float]] = {name: [] for name in contenders}
            for _ in range(args.runs):
                for name, runner in contenders.items():
                    total = args.requests if "qca" not in name else max(args.requests // 5, 200)
                    rates[name].append(asyncio.run(runner(concurrency, total)))
            base = statistics.median(rates["raw aiohttp"])
            print(f"\nconcurrency {concurrency}")
            for name, values in rates.items():
                median = statistics.median(values)
                spread = f"{min(values):.0f}-{max(values):.0f}"
                print(
                    f"  {name:<20} {median:8.0f} req/s  (runs {spread})  ratio {median / base:5.2f}"
                )


if __name__ == "__main__":
    main()
