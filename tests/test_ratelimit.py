"""Rate limits on request starts: in one process, and shared by clients through a real Redis.

Starts are read off the fake server's records (``received_at``), so every limit is checked
where the API would see it; each test would fail without the limiter it checks.
"""

from __future__ import annotations

import itertools
import logging

import anyio
import pytest
from conftest import AGENT, ENV, FAST_RETRY
from redis_server import RedisServer, free_port

from qoder_async import (
    InvalidParameterError,
    LocalRateLimiter,
    ParameterTypeError,
    Qoder,
    RateLimiter,
    RateLimitError,
    RateLimiterUnavailableError,
    RedisRateLimiter,
)
from qoder_async.testing import FakeQoderServer, Fault


def busiest_second(times: list[float]) -> int:
    """The most starts within any rolling second."""
    times = sorted(times)
    most, first = 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def create_times(server: FakeQoderServer) -> list[float]:
    return [r.received_at for r in server.requests_to("POST", "/sessions")]


async def create_concurrently(client: object, count: int) -> None:
    async with anyio.create_task_group() as group:
        for _ in range(count):
            group.start_soon(lambda: client.sessions.create(agent=AGENT, environment_id=ENV))  # type: ignore[attr-defined]


class Recording:
    """A RateLimiter that lets everything through and remembers what it was asked."""

    def __init__(self) -> None:
        self.acquired = 0
        self.pauses: list[float] = []
        self.closed = False

    async def acquire(self) -> None:
        self.acquired += 1

    async def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)

    async def aclose(self) -> None:
        self.closed = True


# -- in one process ----------------------------------------------------------------------


async def test_writes_per_second_spaces_the_starts(fake_qoder) -> None:
    async with fake_qoder.client(writes_per_second=20) as client:
        await create_concurrently(client, 30)
    assert len(create_times(fake_qoder)) == 30
    assert busiest_second(create_times(fake_qoder)) <= 21


async def test_every_attempt_of_a_write_is_limited_and_reads_only_when_asked(fake_qoder) -> None:
    limiter = Recording()
    assert isinstance(limiter, RateLimiter)
    fake_qoder.inject(Fault.status_error(503), method="POST", path="/sessions")
    async with fake_qoder.client(rate_limiter=limiter, retry=FAST_RETRY) as client:
        session = await client.sessions.create(agent=AGENT, environment_id=ENV)
        assert limiter.acquired == 2  # the first try and its retry
        await client.sessions.retrieve(session.id)
        await client.sessions.update(session.id, title="x")
        assert limiter.acquired == 3
    assert not limiter.closed  # the caller's limiter is the caller's to close
    async with fake_qoder.client(rate_limiter=limiter, rate_limit_reads=True) as client:
        await client.sessions.retrieve(session.id)
        assert limiter.acquired == 4


async def test_a_429_pauses_the_limiter_for_its_retry_after(fake_qoder) -> None:
    limiter = Recording()
    fault = Fault.status_error(429, error_type="rate_limit_error", headers={"Retry-After": "0.25"})
    fake_qoder.inject(fault, method="POST", path="/sessions")
    async with fake_qoder.client(rate_limiter=limiter, retry=FAST_RETRY) as client:
        await client.sessions.create(agent=AGENT, environment_id=ENV)
    assert limiter.pauses == [0.25]


@pytest.mark.parametrize(
    ("options", "error", "field"),
    [
        ({"writes_per_second": 0}, InvalidParameterError, "writes_per_second"),
        ({"writes_per_second": "20"}, ParameterTypeError, "writes_per_second"),
        ({"writes_per_second": True}, ParameterTypeError, "writes_per_second"),
        ({"rate_limit_url": "redis://127.0.0.1:1/0"}, InvalidParameterError, "rate_limit_url"),
        ({"rate_limit_reads": True}, InvalidParameterError, "rate_limit_reads"),
        (
            {"writes_per_second": 5, "rate_limit_fallback": 5},
            InvalidParameterError,
            "rate_limit_fallback",
        ),
        (
            {"writes_per_second": 5, "rate_limit_url": "http://127.0.0.1:1"},
            InvalidParameterError,
            "rate_limit_url",
        ),
        ({"rate_limiter": object()}, ParameterTypeError, "rate_limiter"),
        (
            {"rate_limiter": Recording(), "writes_per_second": 5},
            InvalidParameterError,
            "rate_limiter",
        ),
    ],
)
def test_bad_limit_options_are_refused_before_anything_runs(options, error, field) -> None:
    with pytest.raises(error) as caught:
        FakeQoderServer().client(**options)
    assert caught.value.field == field


# -- shared through Redis ----------------------------------------------------------------


async def test_clients_sharing_redis_share_one_limit(fake_qoder, redis) -> None:
    options = {"rate_limit_url": redis.url(), "rate_limit_key": "shared-1", "writes_per_second": 10}
    async with (
        fake_qoder.client(**options) as one,
        fake_qoder.client(**options) as two,
        anyio.create_task_group() as group,
    ):
        group.start_soon(create_concurrently, one, 15)
        group.start_soon(create_concurrently, two, 15)
    assert len(create_times(fake_qoder)) == 30
    # Each alone would allow 10 a second; together they must not pass 10 (+1 for jitter).
    assert busiest_second(create_times(fake_qoder)) <= 11


async def test_a_429_seen_by_one_client_holds_back_the_other(fake_qoder, redis) -> None:
    options = {"rate_limit_url": redis.url(), "rate_limit_key": "shared-2", "writes_per_second": 50}
    fault = Fault.status_error(429, error_type="rate_limit_error", headers={"Retry-After": "1"})
    fake_qoder.inject(fault, method="POST", path="/sessions")
    async with (
        fake_qoder.client(max_retries=0, **options) as one,
        fake_qoder.client(**options) as two,
    ):
        with pytest.raises(RateLimitError):
            await one.sessions.create(agent=AGENT, environment_id=ENV)
        await two.sessions.create(agent=AGENT, environment_id=ENV)
    throttled, after = create_times(fake_qoder)
    assert after - throttled >= 0.9


async def test_an_unreachable_redis_fails_closed_with_a_typed_error(fake_qoder) -> None:
    limiter = RedisRateLimiter(
        f"redis://:s3cret-pw@127.0.0.1:{free_port()}/0", 5, unavailable_timeout=0.3
    )
    async with fake_qoder.client(rate_limiter=limiter, retry=FAST_RETRY) as client:
        with pytest.raises(RateLimiterUnavailableError) as caught:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
    await limiter.aclose()
    assert fake_qoder.requests_to("POST", "/sessions") == []
    assert "unreachable" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value) + repr(limiter)


async def test_the_local_fallback_applies_while_redis_is_unreachable(fake_qoder, caplog) -> None:
    caplog.set_level(logging.WARNING, "qoder_async")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    options = {"rate_limit_url": dead, "writes_per_second": 50, "rate_limit_fallback": 10}
    async with fake_qoder.client(**options) as client:
        await create_concurrently(client, 15)
    assert busiest_second(create_times(fake_qoder)) <= 11
    outages = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outages) == 1  # once per outage, not once per request


async def test_a_redis_restart_pauses_creation_and_the_limit_holds(fake_qoder) -> None:
    redis = RedisServer().start()

    async def one_at_a_time(client: object) -> None:  # a worker: book, send, book again
        for _ in range(10):
            await client.sessions.create(agent=AGENT, environment_id=ENV)  # type: ignore[attr-defined]

    try:
        options = {"rate_limit_url": redis.url(), "writes_per_second": 10}
        async with fake_qoder.client(**options) as client, anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(one_at_a_time, client)
            await anyio.sleep(1.0)
            await anyio.to_thread.run_sync(redis.stop)
            await anyio.sleep(1.5)
            await anyio.to_thread.run_sync(redis.start)  # empty: the window starts over
    finally:
        redis.stop()
    times = sorted(create_times(fake_qoder))
    assert len(times) == 30  # none failed, none sent twice
    assert max(b - a for a, b in itertools.pairwise(times)) >= 1.0  # paused while down
    assert busiest_second(times) <= 11


def test_the_blocking_client_takes_the_same_limit(fake_qoder_threaded, redis) -> None:
    client = Qoder(
        api_key=fake_qoder_threaded.token,
        base_url=fake_qoder_threaded.base_url,
        rate_limit_url=redis.url(),
        rate_limit_key="sync-1",
        writes_per_second=5,
    )
    with client:
        for _ in range(8):
            client.sessions.create(agent=AGENT, environment_id=ENV)
    assert busiest_second(create_times(fake_qoder_threaded)) <= 6


async def starts_around_a_pause(limiter: RateLimiter, pauser: RateLimiter) -> list[float]:
    """Five starts booked at 10/s, then a 1 s pause published (by ``pauser``) right after the
    first: the times, from the first booking, at which each start was let through."""
    began = anyio.current_time()
    starts: list[float] = []

    async def start() -> None:
        await limiter.acquire()
        starts.append(anyio.current_time() - began)

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(start)
        await anyio.sleep(0.05)  # the first went at once; the others wait for their slots
        await pauser.pause(1.0)
    return sorted(starts)


def assert_held_back_and_spaced(starts: list[float]) -> None:
    assert starts[0] < 0.05
    later = starts[1:]
    assert all(t >= 1.0 for t in later), starts  # none slipped through during the pause
    gaps = [b - a for a, b in itertools.pairwise(later)]
    assert all(gap >= 0.09 for gap in gaps), starts  # and they are spaced, not a burst


@pytest.mark.anyio
async def test_a_pause_holds_back_starts_that_were_already_waiting() -> None:
    limiter = LocalRateLimiter(10)
    assert_held_back_and_spaced(await starts_around_a_pause(limiter, limiter))


@pytest.mark.anyio
async def test_a_pause_from_another_process_holds_back_waiting_starts(redis) -> None:
    one = RedisRateLimiter(redis.url(), 10, key="pause-1")
    other = RedisRateLimiter(redis.url(), 10, key="pause-1")  # another process's limiter
    try:
        assert_held_back_and_spaced(await starts_around_a_pause(one, other))
    finally:
        await one.aclose()
        await other.aclose()
