"""``qoder-async demo``: a bulk run against the in-process fake API, faults included.

No token, no network: a :class:`FakeQoderServer` on 127.0.0.1 answers, and a fault
injector makes it fail the way the real gateway can (503, 429, connection resets, and
responses lost after the session was created) while the batch runs.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

from .._bulk import BulkProgress
from .._hooks import Hooks, RequestInfo
from .._retry import RetryPolicy
from ..testing import FakeQoderServer, Fault
from ._args import add_command, positive_int, progress_option
from ._common import EXIT_FAILED, EXIT_OK, error_record
from ._progress import make_display

__all__ = ["add_demo", "demo_command", "sdk_code"]

AGENT = "agent_019e390add9f7bac9b6cc806db46fcbd"
ENVIRONMENT = "env_019e2590d33f711fabf42f2857cecd8a"
#: One request in this many meets a fault.
_FAULT_EVERY = 40

_FAULTS: list[tuple[str, Fault]] = [
    ("503", Fault.status_error(503, message="overloaded (demo)", headers={"Retry-After": "0"})),
    ("429", Fault.status_error(429, error_type="rate_limit_error", message="slow down (demo)")),
    ("connection reset", Fault.reset()),
    ("response lost after the session was created", Fault.drop_response()),
]


#: Ten lines that do what the demo did; ``str.format`` fills in its values.
_SDK_CODE = "\n".join(
    [
        "import asyncio",
        "from qoder_async import AsyncQoder, RetryPolicy",
        "",
        "async def main() -> None:",
        '    items = ({{"agent": "{agent}", "environment_id": "{environment}", '
        '"title": f"demo session {{n}}",',
        '              "metadata": {{"batch": "demo", "n": str(n)}}}} for n in range({count}))',
        "    async with AsyncQoder(retry=RetryPolicy(max_retries=6)) as client:  # reads QODER_PAT",
        "        results = client.sessions.create_many("
        'items, concurrency={concurrency}, key_fn=lambda i, _: f"demo-{batch}-{{i}}")',
        "        failed = [r async for r in results if not r.ok]",
        '    print({count} - len(failed), "created,", len(failed), "failed")',
        "",
        "asyncio.run(main())",
        "",
    ]
)


def sdk_code(count: int, concurrency: int, batch: str) -> str:
    """The SDK code that does what ``demo`` does (against the API ``QODER_BASE_URL`` names).

    Args:
        count: sessions to create.
        concurrency: requests in flight.
        batch: what the idempotency keys start with.

    Example::

        Path("make_sessions.py").write_text(sdk_code(10, 4, "a1b2c3"))  # then run it
    """
    return _SDK_CODE.format(
        agent=AGENT, environment=ENVIRONMENT, count=count, concurrency=concurrency, batch=batch
    )


def add_demo(commands: Any) -> None:
    """Register ``demo``.

    Args:
        commands: the top-level subparsers.

    Example::

        add_demo(parser.add_subparsers())
    """
    demo = add_command(
        commands,
        "demo",
        "bulk-create sessions against an in-process fake API, with injected faults",
    )
    demo.add_argument("--count", type=positive_int, default=3000, metavar="N", help="default: 3000")
    demo.add_argument(
        "--concurrency", type=positive_int, default=32, metavar="N", help="default: 32"
    )
    progress_option(demo)
    demo.set_defaults(handler=demo_command)


def _items(count: int) -> Iterator[dict[str, Any]]:
    for n in range(count):
        yield {
            "agent": AGENT,
            "environment_id": ENVIRONMENT,
            "title": f"demo session {n}",
            "metadata": {"batch": "demo", "n": str(n)},
        }


class _FaultInjector:
    """Arms a random fault for the next request after every ``_FAULT_EVERY`` requests.

    Counting requests rather than seconds keeps the failure rate realistic at the end of
    the batch too, when one last retrying item would otherwise meet every fault.
    """

    def __init__(self, server: FakeQoderServer) -> None:
        self.server = server
        self.injected: Counter[str] = Counter()
        self._requests = 0
        self._chooser = random.Random(7)

    def on_request(self, info: RequestInfo) -> None:
        self._requests += 1
        if self._requests % _FAULT_EVERY == 0:
            name, fault = self._chooser.choice(_FAULTS)
            self.server.inject(fault, method="POST", path="/sessions")
            self.injected[name] += 1


async def demo_command(args: argparse.Namespace) -> int:
    """Create ``--count`` sessions with the progress display, then print a summary and the SDK
    code that does the same.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["demo", "--count", "500"])
    """
    count, concurrency = args.count, args.concurrency
    print(
        f"qoder-async demo: creating {count} sessions, {concurrency} in flight, against a fake "
        "Qoder API on 127.0.0.1 that fails now and then.",
        flush=True,
    )
    batch = uuid.uuid4().hex[:12]
    retry = RetryPolicy(max_retries=6, initial_delay=0.05, max_delay=0.5)
    progress = "none" if args.verbosity < 0 else args.progress
    display = make_display(progress, total=count, label="sessions")
    last: list[BulkProgress] = []
    created = failed = 0
    first_failure: dict[str, Any] | None = None

    def on_progress(progress: BulkProgress) -> None:
        last[:] = [progress]
        display.update(progress)

    started = time.monotonic()
    async with FakeQoderServer() as server:
        server.record_requests = False
        faults = _FaultInjector(server)
        client = server.client(retry=retry, hooks=Hooks(on_request=faults.on_request))
        async with client:
            display.start()
            try:
                async for result in client.sessions.create_many(
                    _items(count),
                    concurrency=concurrency,
                    key_fn=lambda index, _: f"demo-{batch}-{index}",
                    on_progress=on_progress,
                    progress_interval=0.2,
                ):
                    if result.ok:
                        created += 1
                    else:
                        failed += 1
                        if first_failure is None and result.error is not None:
                            first_failure = error_record(result.error)
            finally:
                display.stop()
        held = len(server.sessions)
    elapsed = time.monotonic() - started
    final = last[0] if last else None
    retries = final.retries if final else 0
    throttled = final.throttled if final else 0
    rate = (created + failed) / elapsed if elapsed > 0 else 0.0
    kinds = ", ".join(f"{n} x {name}" for name, n in faults.injected.most_common())
    extra = held - created
    print()
    print(f"created    {created} sessions in {elapsed:.1f} s ({rate:.0f}/s)")
    print(f"failed     {failed}" + (f" (first: {first_failure})" if first_failure else ""))
    print(f"faults     {sum(faults.injected.values())} injected: {kinds or 'none'}")
    print(f"retries    {retries}, each with its item's idempotency key")
    print(f"throttled  {throttled} pushbacks (429, 503, lost connections) slowed the whole batch")
    print(
        f"server     holds {held} sessions for {count} inputs: "
        + ("no duplicates" if extra == 0 else f"{extra} more than were reported created")
    )
    print()
    print("Against the real API: export QODER_PAT=pt-..., then")
    print("  qoder-async sessions create-many input.jsonl --output results.jsonl")
    print()
    print("or, in Python, the same as this demo with the qoder-async SDK:")
    print()
    print(sdk_code(count, concurrency, batch), end="")
    return EXIT_OK if failed == 0 else EXIT_FAILED
