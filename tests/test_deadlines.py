"""Per-attempt time limits: shared timers that cancel only the attempt, never the caller."""

from __future__ import annotations

import asyncio
import sys

import pytest

from qoder_async import APITimeoutError, AsyncQoder, RetryPolicy
from qoder_async._deadlines import DeadlineWatch
from qoder_async.testing import Fault

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(sys.version_info < (3, 11), reason="Python 3.10 uses aiohttp's timeout"),
]

AGENT = "agent_019e390add9f7bac9b6cc806db46fcbd"
ENV = "env_019e2590d33f711fabf42f2857cecd8a"


async def create(client: AsyncQoder, **kw):
    return await client.sessions.create(agent=AGENT, environment_id=ENV, **kw)


def current_task() -> asyncio.Task[object]:
    task = asyncio.current_task()
    assert task is not None
    return task


async def test_a_timed_out_attempt_leaves_the_callers_task_uncancelled(fake_qoder):
    fake_qoder.inject(Fault.delay(3.0))
    loop = asyncio.get_running_loop()
    async with fake_qoder.client(timeout=0.2, retry=RetryPolicy.disabled()) as client:
        started = loop.time()
        with pytest.raises(APITimeoutError, match=r"timed out after 0\.2 s"):
            await create(client)
        assert 0.2 <= loop.time() - started < 1.5
        assert current_task().cancelling() == 0
        await asyncio.sleep(0.01)  # no cancellation left pending for a later await
        session = await create(client)
    assert session.id
    assert len(fake_qoder.requests) == 2


async def test_a_long_limit_fires_within_a_second_of_its_deadline(fake_qoder):
    # Limits of 5 s and more share whole-second timers: late by under a second, never early.
    fake_qoder.inject(Fault.delay(8.0))
    loop = asyncio.get_running_loop()
    async with fake_qoder.client(timeout=5, retry=RetryPolicy.disabled()) as client:
        started = loop.time()
        with pytest.raises(APITimeoutError):
            await create(client)
        assert 5.0 <= loop.time() - started < 6.5


async def test_the_callers_own_timeout_is_not_reported_as_ours(fake_qoder):
    fake_qoder.inject(Fault.delay(3.0))
    async with fake_qoder.client(timeout=10, retry=RetryPolicy.disabled()) as client:
        with pytest.raises(TimeoutError) as caught:
            async with asyncio.timeout(0.2):
                await create(client)
        assert not isinstance(caught.value, APITimeoutError)
        assert current_task().cancelling() == 0


async def test_requests_share_a_handful_of_timers(fake_qoder):
    async with fake_qoder.client(timeout=60) as client:
        await asyncio.gather(*(create(client) for _ in range(200)))
        watch = client._pipeline.pool.deadlines
        assert watch is not None
        # 200 requests finished within a few seconds: one timer per second at most.
        assert len(watch._buckets) <= 5
        assert all(not bucket for bucket, _ in watch._buckets.values())


async def test_expiry_and_a_caller_cancel_together_stay_a_cancellation():
    watch = DeadlineWatch(asyncio.get_running_loop())
    outcome: list[bool] = []

    async def attempt() -> None:
        limit = watch.start(30.0)
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            outcome.append(limit.finish())
            raise
        finally:
            limit.finish()

    task = asyncio.create_task(attempt())
    await asyncio.sleep(0)
    task.cancel()  # the caller cancels ...
    (when,) = watch._buckets
    watch._expire(when)  # ... in the same tick as the limit fires
    with pytest.raises(asyncio.CancelledError):
        await task
    assert outcome == [False]
    watch.close()


async def test_a_limit_that_did_not_fire_is_simply_withdrawn():
    watch = DeadlineWatch(asyncio.get_running_loop())
    limit = watch.start(0.5)
    ((bucket, _),) = watch._buckets.values()
    assert limit in bucket
    assert limit.finish() is False
    assert limit.finish() is False
    assert not bucket
    watch.close()
    assert not watch._buckets
