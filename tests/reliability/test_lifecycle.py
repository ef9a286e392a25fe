"""Lifetimes: cancellation, closing under load, foreign event loops and ``os.fork()``.

Every wait here is bounded (``anyio.fail_after``), so a regression fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
import threading
import time
from pathlib import Path

import anyio
import pytest
from conftest import AGENT, ENV

import qoder_async
from qoder_async import AsyncQoder, ClientClosedError, QoderError
from qoder_async.testing import FakeQoderServer, Fault

from ._servers import THREAD_NAME, TOKEN, ThreadedFakeServer

pytestmark = pytest.mark.anyio


async def create(client: AsyncQoder, **kw: object) -> object:
    return await client.sessions.create(agent=AGENT, environment_id=ENV, **kw)


async def until(condition, seconds: float = 10.0) -> None:
    with anyio.fail_after(seconds):
        while not condition():
            await anyio.sleep(0.01)


def pending_tasks(baseline: set[asyncio.Task[object]]) -> list[asyncio.Task[object]]:
    """Tasks of this loop still pending, other than the test's own and the runner's."""
    current = asyncio.current_task()
    return [t for t in asyncio.all_tasks() - baseline if t is not current and not t.done()]


# -- cancellation --------------------------------------------------------------------------


async def test_cancelling_1000_in_flight_calls_leaves_nothing_behind() -> None:
    # The server runs in its own thread, so every task in this loop is the client's.
    baseline = asyncio.all_tasks()
    threaded = ThreadedFakeServer()
    with threaded as server:
        threaded.call(lambda: server.inject(Fault.delay(30), times=1000))
        async with server.client(max_connections=100) as client:
            pool = client.transport
            with anyio.fail_after(20):
                async with anyio.create_task_group() as group:
                    for _ in range(1000):
                        group.start_soon(create, client)
                    # 100 calls hold a connection at the server, 900 queue for one.
                    await until(lambda: len(server.requests) >= 100)
                    assert pool.in_flight() == 100
                    group.cancel_scope.cancel()
            assert pool.in_flight() == 0
            assert not pool.http_session.connector._waiters
            await anyio.sleep(0.05)  # let aborted transports finish closing
            assert pending_tasks(baseline) == []
            assert len(server.requests) == 100
            threaded.call(server.clear_faults)
            await create(client)  # the pool is healthy
            assert pool.in_flight() == 0


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="telling aiohttp's cancelled waiters from a real cancellation needs Task.cancelling()",
)
async def test_aclose_fails_in_flight_and_queued_calls_with_a_clear_error() -> None:
    async with FakeQoderServer(token=TOKEN) as server:
        server.inject(Fault.delay(30), times=100)
        client = server.client(max_connections=4)
        tasks = [asyncio.create_task(create(client)) for _ in range(10)]
        await until(lambda: len(server.requests) == 4)
        started = time.monotonic()
        await client.aclose()
        with anyio.fail_after(5):
            results = await asyncio.gather(*tasks, return_exceptions=True)
        assert time.monotonic() - started < 2
        assert all(type(r) is ClientClosedError for r in results), results
        assert not any(task.cancelled() for task in tasks)  # nobody cancelled them
        messages = sorted({str(r) for r in results})
        assert messages == [
            "the client was closed while the request waited for a connection",
            "the client was closed while the request was in flight",
        ]
        assert client.is_closed
        with pytest.raises(ClientClosedError):
            await create(client)
        assert len(server.requests) == 4


async def test_a_real_cancellation_during_aclose_stays_a_cancellation() -> None:
    async with FakeQoderServer(token=TOKEN) as server:
        server.inject(Fault.delay(30), times=10)
        client = server.client(max_connections=1)
        holder = asyncio.create_task(create(client))
        queued = asyncio.create_task(create(client))
        await until(lambda: len(server.requests) == 1)
        await asyncio.sleep(0.01)
        queued.cancel()
        await client.aclose()
        with anyio.fail_after(5):
            await asyncio.gather(holder, queued, return_exceptions=True)
        if sys.version_info >= (3, 11):
            assert queued.cancelled()
        assert type(holder.exception()) is ClientClosedError


# -- event loops -------------------------------------------------------------------------


async def test_a_second_running_loop_gets_a_clear_error_not_a_hang() -> None:
    async with FakeQoderServer(token=TOKEN) as server, server.client() as client:
        await create(client)  # the pool now belongs to this loop

        def elsewhere() -> BaseException | None:
            try:
                asyncio.run(create(client))
            except BaseException as exc:
                return exc
            return None

        with anyio.fail_after(10):
            error = await anyio.to_thread.run_sync(elsewhere)
        assert type(error) is QoderError
        assert "belongs to another event loop" in str(error)
        assert len(server.requests) == 1  # nothing was sent from the other loop
        await create(client)  # and the owner is unaffected


async def test_a_client_whose_loop_has_closed_says_so() -> None:
    async with FakeQoderServer(token=TOKEN) as server:
        client = server.client()
        # The first loop ends without closing the client (the classic asyncio.run mistake);
        # the server closes the connection, so no socket outlives that loop.
        server.inject(Fault.close_after_response())
        with anyio.fail_after(10):
            await anyio.to_thread.run_sync(lambda: asyncio.run(create(client)))
        with pytest.raises(QoderError, match="belongs to a closed event loop"):
            await create(client)
        assert len(server.requests) == 1
        await client.aclose()  # closing from another loop is clean, and quiet
        assert client.is_closed


async def test_a_client_made_outside_any_loop_binds_to_the_first_one() -> None:
    async with FakeQoderServer(token=TOKEN) as server:
        client = await anyio.to_thread.run_sync(server.client)  # no loop in that thread
        async with client:
            await create(client)


# -- fork --------------------------------------------------------------------------------

ROOT = Path(qoder_async.__file__).resolve().parents[1]
FORK_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, sys, threading
    from qoder_async import AsyncQoder

    base_url, token, agent, env = sys.argv[1:5]

    def child(client):
        # The inherited loop is frozen mid-call in this thread: use a fresh one elsewhere.
        done = {}

        def run():
            async def call():
                await client.sessions.create(agent=agent, environment_id=env, title="child")
                await client.aclose()

            asyncio.run(call())
            done["ok"] = True

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(20)
        return 0 if done else 3

    async def main():
        client = AsyncQoder(api_key=token, base_url=base_url)
        await client.sessions.create(agent=agent, environment_id=env, title="parent-before")
        pid = os.fork()
        if pid == 0:
            code = 4
            try:
                code = child(client)
            finally:
                os._exit(code)
        for _ in range(2000):
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                break
            await asyncio.sleep(0.01)
        else:
            os.kill(pid, 9)
            finished, status = os.waitpid(pid, 0)
        await client.sessions.create(agent=agent, environment_id=env, title="parent-after")
        await client.aclose()
        print(json.dumps({"child": os.waitstatus_to_exitcode(status)}))

    asyncio.run(main())
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX only")
async def test_after_fork_the_child_uses_a_fresh_pool_and_the_parent_keeps_its_own() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    async with FakeQoderServer(token=TOKEN) as server:
        with anyio.fail_after(40):
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-X",
                "dev",
                "-c",
                FORK_SCRIPT,
                server.base_url,
                TOKEN,
                AGENT,
                ENV,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
            out, err = await process.communicate()
    stderr = err.decode()
    assert process.returncode == 0, stderr
    assert json.loads(out) == {"child": 0}, stderr
    for complaint in ("Unclosed", "Task was destroyed", "ResourceWarning", "Exception ignored"):
        assert complaint not in stderr, stderr
    by_title = {r.json()["title"]: r for r in server.requests}
    assert list(by_title) == ["parent-before", "child", "parent-after"]
    parent, child, parent_again = by_title.values()
    assert child.connection != parent.connection  # the child never touched the parent's socket
    assert parent_again.connection == parent.connection  # which is still alive in the parent
    keys = {r.headers["Idempotency-Key"] for r in server.requests}
    assert len(keys) == 3  # the child does not replay the parent's idempotency keys


def test_server_threads_are_not_left_behind() -> None:
    assert THREAD_NAME not in [t.name for t in threading.enumerate()]
