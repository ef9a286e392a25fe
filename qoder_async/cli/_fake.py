"""``qoder-async fake-server``: the in-memory fake API in the foreground, for development.

Beyond :class:`FakeQoderServer` itself it can add latency to every answer (after the work
is done, the way a slow network loses a response that did take effect) and answer a
fraction of requests 503, and it serves ``GET /_fake/stats``: how many sessions it holds
and how many requests it saw, so that a script can check a batch left no duplicates.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from aiohttp import web

from ..testing._server import DEFAULT_TOKEN, FakeQoderServer
from ..testing._wire import ApiError
from ._args import add_command, fraction, non_negative_float, port
from ._common import EXIT_OK, UsageError

__all__ = ["STATS_PATH", "add_fake_server", "fake_server_command", "serve_stats"]

STATS_PATH = "/_fake/stats"

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Development:
    """Latency, random 503s and counters, as an aiohttp middleware inside the fake's own."""

    def __init__(self, server: FakeQoderServer, latency: float, fail_rate: float) -> None:
        self.server = server
        self.latency = latency
        self.fail_rate = fail_rate
        self.requests = 0
        self._random = random.Random()

    @web.middleware
    async def middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        if request.path.endswith(STATS_PATH):
            return await handler(request)
        self.requests += 1
        if self.fail_rate and self._random.random() < self.fail_rate:
            # Raised inside the fake's middleware, which answers with the error envelope.
            raise ApiError(503, "api_error", "injected transient failure (--fail-rate)")
        response = await handler(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        return response

    async def stats(self, request: web.Request) -> web.Response:
        server = self.server
        return web.json_response(
            {
                "sessions": len(server.sessions),
                "requests": self.requests,
                "max_in_flight": server.max_in_flight,
            }
        )


def add_fake_server(commands: Any) -> None:
    """Register ``fake-server``.

    Args:
        commands: the top-level subparsers.

    Example::

        add_fake_server(parser.add_subparsers())
    """
    fake = add_command(
        commands, "fake-server", "run the in-memory fake Qoder API on 127.0.0.1 (development)"
    )
    fake.add_argument(
        "--port", type=port, default=8765, metavar="P", help="default: 8765; 0 picks one"
    )
    fake.add_argument("--token", default=None, help="the token it accepts (default: a test one)")
    fake.add_argument(
        "--latency", type=non_negative_float, default=0.0, help="seconds added to each answer"
    )
    fake.add_argument(
        "--fail-rate",
        type=fraction,
        default=0.0,
        help="fraction of requests answered 503 (to exercise retries)",
    )
    fake.set_defaults(handler=fake_server_command)


def serve_stats(server: FakeQoderServer, latency: float = 0.0, fail_rate: float = 0.0) -> None:
    """Add the development middleware and ``GET /_fake/stats`` to a server not yet started.

    Args:
        server: the fake server, not started yet.
        latency: seconds added to each answer, after the work is done.
        fail_rate: the fraction of requests answered 503.

    Example::

        server = FakeQoderServer()
        serve_stats(server, latency=0.05)
        await server.start()
    """
    development = _Development(server, latency, fail_rate)
    server.app.middlewares.append(development.middleware)
    server.add_route("GET", STATS_PATH, development.stats)


async def fake_server_command(args: argparse.Namespace) -> int:
    """Serve until interrupted; the first line printed is the API root to use.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["fake-server", "--port", "0"])
    """
    server = FakeQoderServer(port=args.port, token=args.token or DEFAULT_TOKEN)
    server.record_requests = False  # a long-running server must not grow without bound
    serve_stats(server, args.latency, args.fail_rate)
    try:
        await server.start()
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    try:
        print(f"Fake Qoder API listening on {server.base_url}", flush=True)
        print(f"  export QODER_BASE_URL={server.base_url}", flush=True)
        print(f"  export QODER_PAT={server.token}", flush=True)
        print(f"  GET {server.base_url}{STATS_PATH} for counters; Ctrl-C to stop", flush=True)
        await anyio.sleep_forever()
    finally:
        with anyio.CancelScope(shield=True):
            await server.close()
    return EXIT_OK  # pragma: no cover (only a signal ends it)
