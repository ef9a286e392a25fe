"""sessions.create_many against the fake server: one outcome per input, bounded and paced."""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections import Counter
from contextlib import aclosing

import anyio
import pytest
from conftest import AGENT, ENV

from qoder_async import (
    AsyncQoder,
    BulkProgress,
    BulkResult,
    ConflictError,
    Hooks,
    InternalServerError,
    InvalidParameterError,
    ParameterTypeError,
    RetryPolicy,
    Session,
    SessionCreateParams,
)
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio


def item(index: int) -> dict[str, object]:
    return {"agent": AGENT, "environment_id": ENV, "title": f"item {index}"}


def patient(server: FakeQoderServer, retries: int = 50) -> AsyncQoder:
    return server.client(
        retry=RetryPolicy(max_retries=retries, initial_delay=0.001, max_delay=0.005)
    )


async def collect(client: AsyncQoder, items: object, **options: object) -> list[BulkResult]:
    return [r async for r in client.sessions.create_many(items, **options)]  # type: ignore[arg-type]


def our_tasks() -> set[asyncio.Task[object]]:
    """Tasks of this process's client side (the fake server's connection handlers excluded)."""
    return {t for t in asyncio.all_tasks() if "RequestHandler" not in repr(t)}


def keys_sent(server: FakeQoderServer) -> Counter[str]:
    return Counter(r.headers["Idempotency-Key"] for r in server.requests_to("POST", "/sessions"))


BAD_ITEMS: dict[int, object] = {
    7: {"agent": "not-an-agent", "environment_id": ENV},
    100: {"agent": AGENT, "environment_id": ENV, "colour": "blue"},
    555: {"agent": AGENT},
    777: {"agent": AGENT, "environment_id": ENV, "metadata": {"n": 1}},
    999: ["not", "a", "mapping"],
}


async def test_one_result_per_item_through_transient_failures(fake_qoder) -> None:
    total = 1200
    items = [BAD_ITEMS.get(i, item(i)) for i in range(total)]
    # Consumed in this order by the first matching requests.
    fake_qoder.inject(Fault.status_error(409, error_type="conflict_error"), times=1)
    fake_qoder.inject(Fault.status_error(503, headers={"Retry-After": "0"}), times=25)
    fake_qoder.inject(Fault.reset(), times=10)
    fake_qoder.inject(Fault.drop_response(), times=10)
    fake_qoder.inject(Fault.status_error(500), times=10)
    async with patient(fake_qoder) as client:
        results = await collect(client, items, concurrency=16)

    assert sorted(r.index for r in results) == list(range(total))
    by_index = {r.index: r for r in results}
    for index, bad in BAD_ITEMS.items():
        result = by_index[index]
        assert isinstance(result.error, InvalidParameterError), result
        assert result.attempts == 0 and result.session is None and result.params is bad
    conflicts = [r for r in results if isinstance(r.error, ConflictError)]
    assert len(conflicts) == 1 and conflicts[0].attempts == 1
    ok = [r for r in results if r.ok]
    assert len(ok) == total - len(BAD_ITEMS) - 1
    for r in ok:
        assert isinstance(r.session, Session) and r.session.title == f"item {r.index}"
        assert r.params is items[r.index]
    # Every attempt the server saw belongs to an item and carried that item's key.
    sent = keys_sent(fake_qoder)
    assert sum(r.attempts for r in results) == sum(sent.values())
    assert all(sent[r.idempotency_key] == r.attempts for r in results if r.attempts)
    # Each of the 55 transient faults cost exactly one retry; the 409 was not retried.
    assert sum(r.attempts for r in results) == total - len(BAD_ITEMS) + 55
    # Lost responses were retried with the same key and replayed: no duplicate sessions.
    assert len(fake_qoder.sessions) == len(ok)
    assert len({r.session.id for r in ok if r.session}) == len(ok)


async def test_generated_keys_are_canonical_unique_uuid4_strings(fake_qoder, qoder_client) -> None:
    results = await collect(qoder_client, (item(i) for i in range(200)))
    keys = keys_sent(fake_qoder)
    assert all(r.ok for r in results) and len(keys) == 200 and set(keys.values()) == {1}
    for key in keys:
        parsed = uuid.UUID(key)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, key)


async def test_requests_in_flight_never_exceed_concurrency(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.delay(0.02), times=120)
    results = await collect(qoder_client, (item(i) for i in range(120)), concurrency=8)
    assert all(r.ok for r in results)
    assert fake_qoder.max_in_flight == 8
    assert qoder_client.transport.in_flight() == 0


async def test_rate_limit_paces_every_start(fake_qoder, qoder_client) -> None:
    count, rate = 30, 150.0
    started = time.monotonic()
    results = await collect(qoder_client, [item(i) for i in range(count)], rate_limit=rate)
    elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    assert elapsed >= (count - 1) / rate
    assert elapsed < 5.0


async def test_rate_limit_paces_retries_too(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.status_error(503, headers={"Retry-After": "0"}), times=10)
    started = time.monotonic()
    results = await collect(
        qoder_client, [item(i) for i in range(10)], rate_limit=100.0, adaptive=False
    )
    elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    attempts = sum(r.attempts for r in results)
    assert attempts == len(fake_qoder.requests) == 20
    assert elapsed >= (attempts - 1) / 100.0


@pytest.mark.parametrize("ordered", [False, True])
async def test_a_generator_is_not_drained_ahead(fake_qoder, qoder_client, ordered) -> None:
    pulled = 0

    def generate():
        nonlocal pulled
        for i in range(1_000_000):
            pulled += 1
            yield item(i)

    fake_qoder.inject(Fault.delay(0.005), times=10)
    seen = 0
    ahead = 8 + 4  # the window: concurrency, plus half as many again (at least 4)
    async with aclosing(
        qoder_client.sessions.create_many(generate(), concurrency=8, ordered=ordered)
    ) as results:
        async for _ in results:
            seen += 1
            assert pulled <= seen + ahead
            if seen == 100:
                break
    assert pulled <= 100 + ahead


@pytest.mark.parametrize("ordered", [False, True])
async def test_results_the_consumer_dropped_are_freed_within_the_window(
    fake_qoder, qoder_client, ordered
) -> None:
    # The batch holds each result it yielded until a worker finishes its next item; that
    # hold must stay bounded by the window and end with the batch.
    window = 8 + 4
    alive: list[weakref.ref[BulkResult]] = []
    async for r in qoder_client.sessions.create_many(
        (item(i) for i in range(300)), concurrency=8, ordered=ordered
    ):
        alive.append(weakref.ref(r))
        del r
        assert sum(ref() is not None for ref in alive) <= window + 1
    assert len(alive) == 300
    assert all(ref() is None for ref in alive)


async def test_ordered_yields_in_input_order(fake_qoder, qoder_client) -> None:
    for delay in (0.05, 0.0, 0.03, 0.0, 0.01, 0.04):
        fake_qoder.inject(Fault.delay(delay), times=3)
    items = [item(i) for i in range(200)]
    results = await collect(qoder_client, items, concurrency=6, ordered=True)
    assert [r.index for r in results] == list(range(200))
    unordered = await collect(qoder_client, items[:12], concurrency=6)
    assert sorted(r.index for r in unordered) == list(range(12))


@pytest.mark.parametrize("adaptive", [True, False])
async def test_a_429_storm_slows_the_whole_batch(fake_qoder, adaptive) -> None:
    concurrency, warmup, storm = 32, 96, 100
    fake_qoder.inject(Fault.delay(0.015), times=warmup)
    # Slow 429s, so that the requests in flight during the storm are visible at the server.
    fake_qoder.inject(
        Fault.trickle(b'{"type":"error"}', seconds_per_chunk=0.0005, status=429), times=storm
    )
    samples: list[tuple[int, int]] = []
    reports: list[BulkProgress] = []

    async def sample() -> None:
        while True:
            samples.append((len(fake_qoder.requests), fake_qoder.in_flight))
            await asyncio.sleep(0.001)

    async with patient(fake_qoder, retries=100) as client, anyio.create_task_group() as tg:
        tg.start_soon(sample)
        results = await collect(
            client,
            (item(i) for i in range(600)),
            concurrency=concurrency,
            adaptive=adaptive,
            on_progress=reports.append,
            progress_interval=0.01,
        )
        tg.cancel_scope.cancel()

    assert all(r.ok for r in results)
    assert max(n for count, n in samples if count <= warmup) == concurrency
    # After the first round of 429s has come back, the storm meets a smaller batch.
    late_storm = [n for count, n in samples if warmup + 2 * concurrency < count <= warmup + storm]
    assert late_storm
    final = reports[-1]
    assert final.finished and final.throttled == storm
    if adaptive:
        assert max(late_storm) <= 8
        assert min(p.concurrency for p in reports) <= 2
        assert final.concurrency > min(p.concurrency for p in reports)
    else:
        assert max(late_storm) > 16
        assert {p.concurrency for p in reports} == {concurrency}


async def test_retry_after_pauses_every_start(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.status_error(429, headers={"Retry-After": "0.3"}), times=1)
    started = time.monotonic()
    finished: list[float] = []
    async for r in qoder_client.sessions.create_many([item(i) for i in range(20)], concurrency=4):
        assert r.ok
        finished.append(time.monotonic() - started)
    assert len(finished) == 20
    assert sum(t < 0.25 for t in finished) <= 4  # the rest waited for the pause
    assert max(finished) >= 0.3


async def test_cancelling_the_consumer_cancels_every_request(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.delay(10), times=1000)
    before = our_tasks()
    got = []
    with anyio.move_on_after(0.3) as scope:
        async for r in qoder_client.sessions.create_many(
            (item(i) for i in range(100)), concurrency=8
        ):
            got.append(r)
    assert scope.cancelled_caught and got == []
    assert our_tasks() == before
    assert qoder_client.transport.in_flight() == 0
    with anyio.fail_after(5):
        while fake_qoder.in_flight:
            await asyncio.sleep(0.01)
    assert len(fake_qoder.requests) == 8


async def test_breaking_out_of_the_loop_cleans_up(fake_qoder, qoder_client) -> None:
    before = our_tasks()
    fake_qoder.inject(Fault.delay(0.0), times=1)
    fake_qoder.inject(Fault.delay(10), times=1000)
    async for r in qoder_client.sessions.create_many((item(i) for i in range(100)), concurrency=4):
        assert r.ok
        break
    # Without aclosing() the generator is closed by the event loop's finalizer, soon after.
    with anyio.fail_after(5):
        while our_tasks() != before or qoder_client.transport.in_flight():
            await asyncio.sleep(0.01)


async def test_deterministic_keys_make_a_rerun_replay(fake_qoder, qoder_client) -> None:
    def key(index: int, params: object) -> str:
        return f"batch-42-{index}"

    items = [item(i) for i in range(40)]
    first = await collect(qoder_client, items, key_fn=key)
    second = await collect(qoder_client, items, key_fn=key, concurrency=3)
    ids = {r.index: r.session.id for r in first if r.session}
    assert {r.index: r.session.id for r in second if r.session} == ids
    assert len(fake_qoder.sessions) == 40
    assert set(keys_sent(fake_qoder)) == {f"batch-42-{i}" for i in range(40)}
    assert all(r.idempotency_key == f"batch-42-{r.index}" for r in second)


async def test_an_items_own_key_wins_and_random_keys_otherwise(fake_qoder, qoder_client) -> None:
    items: list[object] = [
        {**item(0), "idempotency_key": "own-key-0"},
        SessionCreateParams(agent=AGENT, environment_id=ENV, idempotency_key="own-key-1"),
        item(2),
    ]
    results = await collect(qoder_client, items, key_fn=lambda i, p: f"derived-{i}", ordered=True)
    assert [r.idempotency_key for r in results] == ["own-key-0", "own-key-1", "derived-2"]
    plain = await collect(qoder_client, [item(0), item(1)])
    assert len({r.idempotency_key for r in plain}) == 2
    bad = await collect(qoder_client, [item(0)], key_fn=lambda i, p: "no spaces allowed")
    assert isinstance(bad[0].error, InvalidParameterError) and bad[0].attempts == 0


async def test_params_objects_from_an_async_iterable(fake_qoder, qoder_client) -> None:
    async def generate():
        for i in range(30):
            await asyncio.sleep(0)
            yield SessionCreateParams(
                agent=AGENT, environment_id=ENV, title=f"p{i}", metadata={"i": str(i)}
            )

    results = await collect(qoder_client, generate(), concurrency=5)
    assert sorted(r.index for r in results) == list(range(30)) and all(r.ok for r in results)
    bodies = sorted((r.json() for r in fake_qoder.requests), key=lambda b: int(b["title"][1:]))
    assert bodies[3] == {
        "agent": AGENT,
        "environment_id": ENV,
        "title": "p3",
        "metadata": {"i": "3"},
    }


async def test_a_failing_input_raises_after_the_items_before_it(fake_qoder, qoder_client) -> None:
    def generate():
        for i in range(10):
            yield item(i)
        raise RuntimeError("the queue went away")

    results: list[BulkResult] = []

    async def consume() -> None:
        async for r in qoder_client.sessions.create_many(generate(), concurrency=4):
            results.append(r)

    with pytest.raises(RuntimeError, match="queue went away"):
        await consume()
    assert sorted(r.index for r in results) == list(range(10))


async def test_retries_exhausted_is_that_items_result(fake_qoder) -> None:
    fake_qoder.inject(Fault.status_error(503), times=2)
    async with fake_qoder.client(retry=RetryPolicy(max_retries=1, initial_delay=0.001)) as client:
        results = await collect(client, [item(i) for i in range(3)], concurrency=1, ordered=True)
    assert isinstance(results[0].error, InternalServerError) and results[0].attempts == 2
    assert [(r.ok, r.attempts) for r in results[1:]] == [(True, 1), (True, 1)]


async def test_progress_reports_and_the_callers_hooks(fake_qoder) -> None:
    seen_requests: list[int] = []
    reports: list[BulkProgress] = []
    fake_qoder.inject(Fault.status_error(500), times=5)
    client = patient(fake_qoder).with_options(
        hooks=Hooks(on_request=lambda i: seen_requests.append(i.attempt))
    )
    async with client:
        items = [item(i) for i in range(50)] + [{"agent": "bad"}]
        results = await collect(client, items, on_progress=reports.append, progress_interval=0.01)
    final = reports[-1]
    assert final.finished and [p.finished for p in reports].count(True) == 1
    assert (final.done, final.succeeded, final.failed) == (51, 50, 1)
    assert final.retries == 5 == sum(r.attempts - 1 for r in results if r.attempts)
    assert final.in_flight == 0 and final.rate > 0
    assert len(seen_requests) == 55


async def test_a_progress_callback_that_raises_is_ignored(fake_qoder, qoder_client, caplog) -> None:
    def broken(progress: BulkProgress) -> None:
        raise ValueError("oops")

    results = await collect(qoder_client, [item(0)], on_progress=broken)
    assert results[0].ok
    assert "on_progress callback raised" in caplog.text


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"concurrency": 0}, InvalidParameterError),
        ({"concurrency": True}, ParameterTypeError),
        ({"concurrency": 2.5}, ParameterTypeError),
        ({"rate_limit": -1}, InvalidParameterError),
        ({"rate_limit": float("inf")}, InvalidParameterError),
        ({"ordered": "yes"}, ParameterTypeError),
        ({"key_fn": "batch-1"}, ParameterTypeError),
        ({"on_progress": 3}, ParameterTypeError),
    ],
)
async def test_bad_arguments_raise_at_the_call(fake_qoder, qoder_client, options, error) -> None:
    with pytest.raises(error):
        qoder_client.sessions.create_many([item(0)], **options)
    assert fake_qoder.requests == []


@pytest.mark.parametrize("items", ["agent_1", {"agent": AGENT, "environment_id": ENV}, 42])
async def test_items_must_be_an_iterable_of_items(qoder_client, items) -> None:
    with pytest.raises(ParameterTypeError, match="items"):
        qoder_client.sessions.create_many(items)


async def test_the_extra_attempt_after_a_401_with_a_token_provider_is_counted(fake_qoder) -> None:
    fake_qoder.token = "pt-valid"
    tokens = iter(["pt-expired", "pt-valid"])  # the provider rotates after the first call

    def provider() -> str:
        return next(tokens)

    item = {"agent": AGENT, "environment_id": "env_1"}
    async with fake_qoder.client(api_key=provider) as client:
        [result] = [r async for r in client.sessions.create_many([item], concurrency=1)]
    assert result.ok
    assert result.attempts == 2 == len(fake_qoder.requests)
    assert [r.headers["Authorization"] for r in fake_qoder.requests] == [
        "Bearer pt-expired",
        "Bearer pt-valid",
    ]
