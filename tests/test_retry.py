"""What is retried, how often, after how long, and with which idempotency key."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from conftest import AGENT, ENV, FAST_RETRY

from qoder_async import (
    APIConnectionError,
    APITimeoutError,
    Hooks,
    InternalServerError,
    RateLimitError,
    RetryInfo,
    RetryPolicy,
)
from qoder_async._retry import retry_after_seconds
from qoder_async.testing import Fault

pytestmark = pytest.mark.anyio


def retries_seen(store: list[RetryInfo]) -> Hooks:
    return Hooks(on_retry=store.append)


async def create(client, **kw):
    return await client.sessions.create(agent=AGENT, environment_id=ENV, **kw)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_retryable_status_is_retried_then_succeeds(fake_qoder, qoder_client, status):
    fake_qoder.inject(Fault.status_error(status), times=2)
    session = await create(qoder_client)
    assert session.id.startswith("sess_")
    assert len(fake_qoder.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_never_retried_statuses_hit_the_server_exactly_once(fake_qoder, qoder_client, status):
    fake_qoder.inject(Fault.status_error(status), times=5)
    with pytest.raises(Exception) as caught:
        await create(qoder_client)
    assert caught.value.status_code == status
    assert len(fake_qoder.requests) == 1


async def test_same_key_and_counter_on_every_attempt(fake_qoder, qoder_client):
    fake_qoder.inject(Fault.status_error(503), times=2)
    await create(qoder_client)
    keys = [r.headers["Idempotency-Key"] for r in fake_qoder.requests]
    counts = [r.headers["X-Qoder-Retry-Count"] for r in fake_qoder.requests]
    assert len(set(keys)) == 1
    assert counts == ["0", "1", "2"]
    bodies = {r.body for r in fake_qoder.requests}
    assert len(bodies) == 1


async def test_caller_key_survives_retries(fake_qoder, qoder_client):
    fake_qoder.inject(Fault.reset(), times=2)
    await create(qoder_client, idempotency_key="order-42")
    assert [r.headers["Idempotency-Key"] for r in fake_qoder.requests] == ["order-42"] * 3


async def test_lost_response_is_retried_without_a_duplicate_session(fake_qoder, qoder_client):
    # The server creates the session but the answer never arrives; the retry carries the same
    # key, so the server replays the stored response instead of creating a second session.
    fake_qoder.inject(Fault.drop_response())
    session = await create(qoder_client)
    assert len(fake_qoder.requests) == 2
    assert list(fake_qoder.sessions) == [session.id]


async def test_connection_reset_is_retried(fake_qoder, qoder_client):
    fake_qoder.inject(Fault.reset())
    await create(qoder_client)
    assert len(fake_qoder.requests) == 2


async def test_truncated_body_is_retried(fake_qoder, qoder_client):
    fake_qoder.inject(Fault.truncated(b'{"id": "sess_', declared_length=500))
    await create(qoder_client)
    assert len(fake_qoder.requests) == 2


async def test_read_timeout_is_retried_then_raises_timeout(fake_qoder):
    fake_qoder.inject(Fault.delay(2.0), times=3)
    async with fake_qoder.client(timeout=0.2, retry=FAST_RETRY) as client:
        with pytest.raises(APITimeoutError):
            await create(client)
    assert len(fake_qoder.requests) == 3


async def test_exhausted_retries_raise_the_last_typed_error(fake_qoder, qoder_client):
    fake_qoder.inject(Fault.status_error(503, message="still down"), times=10)
    with pytest.raises(InternalServerError, match="still down"):
        await create(qoder_client)
    assert len(fake_qoder.requests) == 3  # 1 + max_retries(2)


async def test_refused_connection_exhausts_as_connection_error(fake_qoder):
    from qoder_async import AsyncQoder

    async with AsyncQoder(
        api_key="pt-x",
        base_url="http://127.0.0.1:9/v1",
        retry=RetryPolicy(max_retries=3, initial_delay=0.001),
    ) as client:
        seen: list[RetryInfo] = []
        client = client.with_options(hooks=retries_seen(seen))
        with pytest.raises(APIConnectionError):
            await create(client)
    assert len(seen) == 3


async def test_max_retries_zero_makes_one_attempt(fake_qoder):
    fake_qoder.inject(Fault.status_error(503), times=5)
    async with fake_qoder.client(retry=RetryPolicy.disabled()) as client:
        with pytest.raises(InternalServerError):
            await create(client)
    assert len(fake_qoder.requests) == 1


async def test_retry_after_ms_is_honoured(fake_qoder):
    seen: list[RetryInfo] = []
    fake_qoder.inject(Fault.status_error(429, headers={"retry-after-ms": "30"}))
    async with fake_qoder.client(retry=FAST_RETRY, hooks=retries_seen(seen)) as client:
        await create(client)
    assert [info.delay for info in seen] == [pytest.approx(0.03)]
    assert isinstance(seen[0].error, RateLimitError)


async def test_retry_after_seconds_is_honoured(fake_qoder):
    seen: list[RetryInfo] = []
    fake_qoder.inject(Fault.status_error(503, headers={"Retry-After": "0.05"}))
    async with fake_qoder.client(retry=FAST_RETRY, hooks=retries_seen(seen)) as client:
        await create(client)
    assert seen[0].delay == pytest.approx(0.05)


async def test_retry_after_beyond_the_cap_falls_back_to_backoff(fake_qoder):
    seen: list[RetryInfo] = []
    fake_qoder.inject(Fault.status_error(503, headers={"Retry-After": "3600"}))
    policy = RetryPolicy(initial_delay=0.01, max_delay=0.02, max_retry_after=5)
    async with fake_qoder.client(retry=policy, hooks=retries_seen(seen)) as client:
        await create(client)
    assert seen[0].delay <= 0.02


async def test_x_should_retry_false_vetoes(fake_qoder, qoder_client):
    fake_qoder.inject(Fault.status_error(503, headers={"x-should-retry": "false"}), times=3)
    with pytest.raises(InternalServerError):
        await create(qoder_client)
    assert len(fake_qoder.requests) == 1


def test_retry_after_parsing():
    future = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert retry_after_seconds(
        {"retry-after": format_datetime(future, usegmt=True)}
    ) == pytest.approx(30, abs=2)
    assert retry_after_seconds({"retry-after": "7"}) == 7
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({"retry-after": "-3"}) is None
    assert retry_after_seconds({}) is None


def test_backoff_is_exponential_capped_and_jittered():
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0, jitter=0.25)
    for n, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (9, 8.0)]:
        delay = policy.delay_for(n, None)
        assert ceiling * 0.75 <= delay <= ceiling


def test_policy_validates_its_fields():
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError):
        RetryPolicy(deadline=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=2)


async def test_deadline_bounds_the_whole_call(fake_qoder):
    fake_qoder.inject(Fault.status_error(503, headers={"Retry-After": "0.2"}), times=50)
    policy = RetryPolicy(max_retries=50, deadline=0.5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with fake_qoder.client(retry=policy) as client:
        with pytest.raises(InternalServerError):
            await create(client)
    # generous slack: the bound is what is asserted, not the speed of the machine
    assert loop.time() - started < 0.5 + 1.0
    assert 2 <= len(fake_qoder.requests) <= 4


async def test_deadline_caps_a_slow_attempt(fake_qoder):
    fake_qoder.inject(Fault.delay(5.0), times=5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with fake_qoder.client(timeout=30, retry=RetryPolicy(deadline=0.3)) as client:
        with pytest.raises(APITimeoutError):
            await create(client)
    assert loop.time() - started < 0.3 + 1.0


async def test_cancellation_is_never_retried_or_swallowed(fake_qoder, qoder_client):
    fake_qoder.inject(Fault.delay(5.0))
    task = asyncio.create_task(create(qoder_client))
    while not fake_qoder.requests:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    assert len(fake_qoder.requests) == 1


async def test_cancellation_during_backoff_sleep(fake_qoder):
    fake_qoder.inject(Fault.status_error(503, headers={"Retry-After": "5"}), times=3)
    async with fake_qoder.client() as client:
        task = asyncio.create_task(create(client))
        while not fake_qoder.requests:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len(fake_qoder.requests) == 1
