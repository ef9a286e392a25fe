"""Throughput of ``sessions.create`` against raw aiohttp and the official SDK, in one run.

Usage: ``python benchmarks/bench_create.py [--requests N] [--runs R] [--server nginx|aiohttp]
[--options] [--baseline GIT_REF] [--no-sdk]``

``--baseline REF`` adds the client as it was at a git commit (checked out into a temporary
worktree and driven from a subprocess against the same server), to measure a change before
and after in the same run.

Every contender sends the same JSON body to the same out-of-process server and decodes
the same canned session response; we report the median rate of R runs per contender and
concurrency, interleaving contenders so that machine noise hits all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parent.parent
if "--worker-path" in sys.argv:  # a baseline worker imports the package from its worktree
    sys.path.insert(0, sys.argv[sys.argv.index("--worker-path") + 1])
sys.path.insert(1 if "--worker-path" in sys.argv else 0, str(ROOT))

import aiohttp  # noqa: E402

from benchmarks._servers import benchmark_server  # noqa: E402
from qoder_async import AsyncQoder, Hooks, RetryPolicy  # noqa: E402

AGENT = "agent_019e390add9f7bac9b6cc806db46fcbd"
ENV = "env_019e2590d33f711fabf42f2857cecd8a"
TOKEN = "pt-benchmark-token"
PAYLOAD = {"agent": AGENT, "environment_id": ENV, "title": "bench"}

Runner = Callable[[int, int], Awaitable[tuple[float, float]]]


async def _drive(
    concurrency: int, total: int, one: Callable[[], Awaitable[object]]
) -> tuple[float, float]:
    """Run ``total`` calls on ``concurrency`` workers: (requests/s, client CPU µs/request)."""
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await one()

    for _ in range(min(50, total)):  # warm the pool and the code paths
        await one()
    gc.collect()
    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    return total / wall, (time.process_time() - cpu) / total * 1e6


def raw_aiohttp(url: str) -> Runner:
    async def run(concurrency: int, total: int) -> tuple[float, float]:
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
    async def run(concurrency: int, total: int) -> tuple[float, float]:
        async with AsyncQoder(api_key=TOKEN, base_url=url, retry=RetryPolicy.disabled()) as client:

            async def one() -> object:
                return await client.sessions.create(agent=AGENT, environment_id=ENV, title="bench")

            return await _drive(concurrency, total, one)

    return run


def qoder_async_raw_json(url: str) -> Runner:
    """The same call through ``with_raw_response``, reading the JSON without building models."""

    async def run(concurrency: int, total: int) -> tuple[float, float]:
        async with AsyncQoder(api_key=TOKEN, base_url=url, retry=RetryPolicy.disabled()) as client:
            raw_sessions = client.sessions.with_raw_response

            async def one() -> object:
                response = await raw_sessions.create(agent=AGENT, environment_id=ENV, title="bench")
                return response.json()

            return await _drive(concurrency, total, one)

    return run


def official_sdk(url: str) -> Runner | None:
    try:
        import qca
    except ImportError:
        return None

    async def run(concurrency: int, total: int) -> tuple[float, float]:
        client = qca.AsyncManaged(access_token=TOKEN, base_url=url + "/", max_retries=0)
        try:

            async def one() -> object:
                return await client.sessions.create(agent=AGENT, environment_id=ENV, title="bench")

            return await _drive(concurrency, total, one)
        finally:
            await client.close()

    return run


def qoder_async_with_options(url: str) -> Runner:
    """The client with every per-call feature switched on: views, hooks, headers, a provider."""

    async def run(concurrency: int, total: int) -> tuple[float, float]:
        seen = [0]

        def count(info: object) -> None:
            seen[0] += 1

        async def token() -> str:
            return TOKEN

        async with AsyncQoder(
            api_key=token,
            base_url=url,
            retry=RetryPolicy.disabled(),
            workspace_id="ws_bench",
            betas=["search-2026-08-31"],
            hooks=Hooks(on_request=count, on_response=count),
        ) as parent:
            client = parent.with_options(timeout=30)

            async def one() -> object:
                return await client.sessions.create(
                    agent=AGENT, environment_id=ENV, title="bench", extra_headers={"X-Job": "1"}
                )

            return await _drive(concurrency, total, one)

    return run


def baseline(url: str, worktree: str) -> Runner:
    """The client of another commit, run in a subprocess that imports it from ``worktree``."""

    async def run(concurrency: int, total: int) -> tuple[float, float]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            "--worker-path",
            worktree,
            "--worker-url",
            url,
            "--concurrency",
            str(concurrency),
            "--requests",
            str(total),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
        rate, cpu = json.loads(out)
        return float(rate), float(cpu)

    return run


@contextlib.contextmanager
def git_worktree(ref: str) -> Iterator[str]:
    """A temporary checkout of ``ref`` (removed afterwards)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp, "baseline"))
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", path, ref],
            check=True,
            capture_output=True,
        )
        try:
            yield path
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", path],
                check=False,
                capture_output=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per contender (median)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--server", choices=["auto", "nginx", "aiohttp"], default="auto")
    parser.add_argument("--no-sdk", action="store_true", help="skip the official SDK")
    parser.add_argument("--options", action="store_true", help="add the all-options contender")
    parser.add_argument("--baseline", metavar="GIT_REF", help="add the client as of GIT_REF")
    parser.add_argument(
        "--baseline-path", metavar="DIR", help="add the client checked out (or edited) in DIR"
    )
    parser.add_argument("--worker-path", help=argparse.SUPPRESS)
    parser.add_argument("--worker-url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker_url:  # one baseline run, reported to the parent as JSON
        result = asyncio.run(qoder_async(args.worker_url)(args.concurrency[0], args.requests))
        print(json.dumps(result))
        return

    with contextlib.ExitStack() as stack:
        url, kind = stack.enter_context(benchmark_server(args.server))
        contenders: dict[str, Runner] = {
            "raw aiohttp": raw_aiohttp(url),
            "qoder-async": qoder_async(url),
        }
        if args.baseline:
            # Both sides in a subprocess, so that only the code differs between them.
            worktree = stack.enter_context(git_worktree(args.baseline))
            contenders["qoder-async @ working tree (subprocess)"] = baseline(url, str(ROOT))
            contenders[f"qoder-async @ {args.baseline} (subprocess)"] = baseline(url, worktree)
        if args.baseline_path:
            contenders.setdefault(
                "qoder-async @ working tree (subprocess)", baseline(url, str(ROOT))
            )
            contenders[f"qoder-async @ {args.baseline_path} (subprocess)"] = baseline(
                url, args.baseline_path
            )
        if args.options:
            contenders["qoder-async, all options"] = qoder_async_with_options(url)
            contenders["qoder-async, raw response .json()"] = qoder_async_raw_json(url)
        sdk = None if args.no_sdk else official_sdk(url)
        if sdk is not None:
            contenders["qca-sdk (official)"] = sdk
        report(args, kind, contenders)


def report(args: argparse.Namespace, kind: str, contenders: dict[str, Runner]) -> None:
    """Run every contender ``args.runs`` times per concurrency, interleaved; print a table."""
    print(
        f"server: {kind}; {args.requests} requests x {args.runs} interleaved runs;"
        f" python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}"
    )
    print("\n| concurrency | client | req/s (median) | runs | CPU µs/req | ratio to raw |")
    print("|---|---|---|---|---|---|")
    for concurrency in args.concurrency:
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
        for _ in range(args.runs):
            for name, runner in contenders.items():
                # the official SDK is an order of magnitude slower: fewer requests, same shape
                total = args.requests if "qca" not in name else max(args.requests // 5, 200)
                results[name].append(asyncio.run(runner(concurrency, total)))
        raw_rates = [rate for rate, _ in results["raw aiohttp"]]
        for name, values in results.items():
            rates = [rate for rate, _ in values]
            cpu = statistics.median(c for _, c in values)
            # ratio of each run to the raw run next to it, then the median: robust to drift
            ratio = statistics.median(r / b for r, b in zip(rates, raw_rates, strict=True))
            print(
                f"| {concurrency} | {name} | {statistics.median(rates):.0f} |"
                f" {min(rates):.0f}-{max(rates):.0f} | {cpu:.0f} | {ratio:.2f} |"
            )


if __name__ == "__main__":
    main()
