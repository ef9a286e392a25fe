"""CPU instructions per ``sessions.create``, counted under valgrind: a figure noise cannot move.

Usage: ``python benchmarks/bench_instructions.py [--requests N] [--concurrency C]
[--baseline GIT_REF]`` (needs ``valgrind``: ``apt-get install valgrind``).

Wall-clock ratios on a shared machine move by several percent from run to run; the number of
instructions a request costs does not. Every contender runs twice in a child process under
``valgrind --tool=cachegrind --cache-sim=no``, once with N/6 calls and once with N; the
difference in instructions over the difference in calls is its cost per call, with start-up,
imports and warm-up cancelled out. Network contenders talk to the same out-of-process server
as ``bench_create.py``; the others take the canned response body apart in a loop, to show
where a create's cost goes:

* ``json.loads`` of the body, which raw aiohttp pays too;
* structuring the decoded body into a ``Session`` with the package's cattrs converter;
* the floor of any structuring: the same frozen attrs objects built by hand, with no checks.

The last column is the raw aiohttp loop's count over the contender's: the throughput ratio a
client bound by its own CPU would reach (concurrency 64 on this machine is close to that).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parent.parent
if "--path" in sys.argv:  # a baseline worker imports the package from its worktree
    sys.path.insert(0, sys.argv[sys.argv.index("--path") + 1])
sys.path.insert(1 if "--path" in sys.argv else 0, str(ROOT))

from benchmarks import bench_create  # noqa: E402
from benchmarks._servers import benchmark_server, canned_body  # noqa: E402

NETWORK = {
    "raw aiohttp": bench_create.raw_aiohttp,
    "qoder-async": bench_create.qoder_async,
    "qoder-async, raw response .json()": bench_create.qoder_async_raw_json,
}


def _loads() -> Callable[[], object]:
    body = canned_body()
    return lambda: json.loads(body)


def _structure() -> Callable[[], object]:
    from qoder_async import Session
    from qoder_async._models._converter import response_parser

    parse, data = response_parser(Session), json.loads(canned_body())
    return lambda: parse(data, "req_1")


def _by_hand() -> Callable[[], object]:
    from qoder_async import Session
    from qoder_async._models.session_parts import AgentModel, SessionAgent, SessionStats, Usage

    data = json.loads(canned_body())
    agent, parse_time = data["agent"], datetime.fromisoformat

    def build() -> object:
        return Session(
            id=data["id"],
            type=data["type"],
            agent=SessionAgent(
                id=agent["id"],
                type=agent["type"],
                name=agent["name"],
                description=agent["description"],
                model=AgentModel(**agent["model"]),
                system=agent["system"],
                tools=agent["tools"],
                skills=agent["skills"],
                mcp_servers=agent["mcp_servers"],
                version=agent["version"],
            ),
            environment_id=data["environment_id"],
            title=data["title"],
            status=data["status"],
            metadata=data["metadata"],
            environment_variables=data["environment_variables"],
            resources=data["resources"],
            vault_ids=data["vault_ids"],
            deployment_id=data["deployment_id"],
            outcome_evaluations=data["outcome_evaluations"],
            stats=SessionStats(**data["stats"]),
            archived_at=data["archived_at"],
            created_at=parse_time(data["created_at"]),
            updated_at=parse_time(data["updated_at"]),
            usage=Usage(**data["usage"]),
        )

    return build


LOCAL: dict[str, Callable[[], Callable[[], object]]] = {
    "json.loads of the body": _loads,
    "cattrs structuring of the decoded body": _structure,
    "the same objects built by hand (floor)": _by_hand,
}


def worker(name: str, url: str, concurrency: int, calls: int) -> None:
    """Make ``calls`` calls of contender ``name`` (the process valgrind counts)."""
    if name in LOCAL:
        one = LOCAL[name]()
        for _ in range(calls):
            one()
        return
    run = NETWORK[name.split(" @ ")[0]](url)

    async def calls_made() -> None:
        await run(concurrency, calls)

    asyncio.run(calls_made())


def count(name: str, url: str, args: argparse.Namespace, calls: int, path: str | None) -> int:
    """Instructions valgrind counts for one worker process of ``calls`` calls."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        str(SCRIPT),
        "--worker",
        name,
        "--url",
        url,
        "--concurrency",
        str(args.concurrency),
        "--requests",
        str(calls),
    ]
    if path is not None:
        command += ["--path", path]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{name}: valgrind run failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="calls in the long run")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--server", choices=["auto", "nginx", "aiohttp"], default="auto")
    parser.add_argument("--baseline", metavar="GIT_REF", help="add the client as of GIT_REF")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.url, args.concurrency, args.requests)
        return

    short = max(args.requests // 6, 1)
    with contextlib.ExitStack() as stack:
        url, kind = stack.enter_context(benchmark_server(args.server))
        contenders: dict[str, str | None] = dict.fromkeys(NETWORK)
        if args.baseline:
            worktree = stack.enter_context(bench_create.git_worktree(args.baseline))
            contenders[f"qoder-async @ {args.baseline}"] = worktree
        contenders.update(dict.fromkeys(LOCAL))
        print(
            f"server: {kind}; instructions per call under valgrind (runs of {short} and"
            f" {args.requests} calls), concurrency {args.concurrency}; python"
            f" {sys.version.split()[0]}"
        )
        print("\n| contender | instructions per call | raw aiohttp / contender |")
        print("|---|---|---|")
        raw: float | None = None
        for name, path in contenders.items():
            with ThreadPoolExecutor(2) as pool:  # the two runs of a contender side by side
                sizes = (short, args.requests)
                runs = [pool.submit(count, name, url, args, n, path) for n in sizes]
                few, many = (run.result() for run in runs)
            per_call = (many - few) / (args.requests - short)
            raw = per_call if raw is None else raw
            ratio = f"{raw / per_call:.2f}" if name not in LOCAL else "-"
            print(f"| {name} | {per_call:,.0f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
