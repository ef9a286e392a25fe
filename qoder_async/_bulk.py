"""``sessions.create_many``: bulk creation with bounded concurrency and one outcome per input.

How a batch runs::

    async for r in ...  <-  results  <-  workers (``concurrency`` tasks in a task group)
                                          each: take a window slot, pull one item, validate it,
                                                flow.acquire(), sessions.create(...)

- **Window.** A worker takes a window slot before it pulls an item; the consumer gives the
  slot back when it receives that item's result. The window is ``concurrency`` plus half
  as much again (at least 4): the consumer takes the results finished in one loop
  iteration in the next, and a worker must not wait for it before it starts its next
  request (a stalled worker costs a wake-up and a collection, see ``_Engine``). That many
  items at most are between the input and the consumer: a generator of millions of items
  runs in constant memory, and the ``ordered`` reorder buffer never holds more.
- **Flow** (``_flow.Flow``). Attempts in flight are capped by a ``CapacityLimiter`` whose
  size follows AIMD: halved when the API answers 429/503 or a connection fails, grown by
  ``1/size`` per success. Starts are paced by a token bucket (also halved and recovered), and
  a ``Retry-After`` pauses every start, not just the one request that got it. A retry gives
  its slot back while it backs off and queues for its next attempt, so a throttled batch
  retries at the batch's pace instead of every task retrying into the overload on its own.
- **Driver.** The task group lives in a separate asyncio task: an async generator must not
  yield from inside a task group, whose cancel scope would then belong to whichever task is
  iterating. The generator's ``finally`` cancels and awaits the driver, so breaking out of
  the loop or cancelling the consumer stops every request and leaves no task behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any

import anyio
import attrs

from ._bulk_results import BulkProgress, BulkResult, RateMeter
from ._errors import APIConnectionError, APIStatusError, ParameterTypeError
from ._flow import Attempts, Flow, current_attempts
from ._hooks import ErrorInfo, Hooks, RetryInfo
from ._models.session import Session
from ._retry import retry_after_seconds
from ._send import Requester
from ._session_params import item_arguments
from ._validation import check_idempotency_key, check_positive, new_idempotency_key

__all__ = ["BulkProgress", "BulkResult", "Create", "KeyFn", "create_many"]

_log = logging.getLogger("qoder_async")

#: Answers that mean "too much load": the gateway's burst suppression (REFERENCE 2.4).
_CONGESTION = frozenset({429, 503})
#: Failures that still show the API coping with the load.
_ANSWERED = frozenset(range(400, 500)) - _CONGESTION

KeyFn = Callable[[int, Any], str]
#: ``sessions.create`` of the batch's own view of the client.
Create = Callable[..., Awaitable[Session]]


@attrs.frozen
class _Failure:
    """The input iterable raised: re-raised by the consumer after the results before it."""

    error: BaseException


def _chain(ours: Callable[[Any], None], theirs: Callable[[Any], None] | None) -> Any:
    if theirs is None:
        return ours

    def both(info: Any) -> None:
        ours(info)
        theirs(info)

    return both


class _Engine:
    """The state of one batch; run by the driver task, read by the consumer.

    Shared with the consumer (``_results``): ``ready``, the results it has not taken yet;
    ``consumer``, its wake-up while it waits for one; ``finished``, set once no result will
    follow; the ``window`` semaphore; and ``yielded``, the results it has been given.

    ``yielded`` keeps each result the consumer received until a worker finishes its next
    item, and the worker drops it there: CPython counts frees against the next
    young-generation collection only while that count is positive, so results built in one
    task and freed in another push collections up; freed where the next result is built,
    as in a plain loop of ``create`` calls, the count stays level (``benchmarks/README.md``
    has the figures). The deque is bounded by the window.
    """

    def __init__(
        self,
        requester: Requester,
        make_create: Callable[[Requester], Create],
        items: Iterable[Any] | AsyncIterable[Any],
        *,
        concurrency: int,
        rate_limit: float | None,
        adaptive: bool,
        key_fn: KeyFn | None,
        on_progress: Callable[[BulkProgress], None] | None,
        progress_interval: float,
    ) -> None:
        self.flow = flow = Flow(concurrency, rate_limit, adaptive)
        window = concurrency + max(4, concurrency // 2)
        self.ready: deque[BulkResult | _Failure] = deque()
        self.yielded: deque[BulkResult] = deque(maxlen=window)
        self.consumer: asyncio.Future[None] | None = None
        self.finished = False
        self.window = anyio.Semaphore(window)
        self._concurrency = concurrency
        self._key_fn = key_fn
        self._on_progress = on_progress
        self._interval = progress_interval
        self._iterator: Iterator[tuple[int, Any]] | None = None
        self._aiterator: AsyncIterator[Any] | None = None
        if isinstance(items, AsyncIterable):
            self._aiterator = aiter(items)
            self._pull_lock = anyio.Lock()
        else:
            self._iterator = enumerate(items)
        self._next_index = 0
        self._exhausted = False
        self._failure: BaseException | None = None
        self.succeeded = self.failed = self.retries = 0
        self._meter = RateMeter()

        # The batch's own view of the client: same transport and settings, plus hooks that
        # feed the flow control (the caller's hooks still fire), and retries that wait
        # through the flow. Only failures are observed, so the success path costs nothing
        # extra: every failed attempt is either retried (on_retry) or final (on_error).
        config = requester.config
        user = config.hooks or Hooks()
        hooks = Hooks(
            on_request=user.on_request,
            on_response=user.on_response,
            on_retry=_chain(self._on_retry, user.on_retry),
            on_error=_chain(self._on_error, user.on_error),
        )
        user_sleep = config.retry.sleep

        async def retry_sleep(delay: float) -> None:
            await flow.backoff(delay, user_sleep)

        retry = attrs.evolve(config.retry, sleep=retry_sleep)
        view = Requester(requester.transport, attrs.evolve(config, hooks=hooks, retry=retry))
        self._create = make_create(view)

    # -- hooks (called synchronously inside the item's task) ----------------------------

    def _pushed_back(self, error: BaseException) -> bool:
        """Whether a failed attempt says the API is overloaded; if so, slow the batch down."""
        if isinstance(error, APIConnectionError) or (
            isinstance(error, APIStatusError) and error.status_code in _CONGESTION
        ):
            self.flow.congested(current_attempts.get())
            return True
        return False

    def _on_retry(self, info: RetryInfo) -> None:
        self.retries += 1
        error = info.error
        if (
            self._pushed_back(error)
            and isinstance(error, APIStatusError)
            and retry_after_seconds(error.headers) is not None
        ):
            self.flow.pause(info.delay)

    def _on_error(self, info: ErrorInfo) -> None:
        self._pushed_back(info.error)

    # -- the work -----------------------------------------------------------------------

    async def run(self) -> None:
        """The driver: workers until the input is exhausted, then the end of the results."""
        try:
            async with anyio.create_task_group() as outer:
                if self._on_progress is not None:
                    outer.start_soon(self._tick)
                async with anyio.create_task_group() as workers:
                    for _ in range(self._concurrency):
                        workers.start_soon(self._worker)
                outer.cancel_scope.cancel()
            self._report(finished=True)
            if self._failure is not None:
                self.ready.append(_Failure(self._failure))
        finally:
            self.finished = True
            self.wake_consumer()

    async def _worker(self) -> None:
        # The item's whole life is inline here: this loop is the batch's hot path, so the
        # input and the hand-over to the consumer are plain ``next()`` and deque calls.
        # Items are validated by _prepare before they take a concurrency slot, then sent by
        # the public ``create`` of the batch's view of the client.
        flow, ready, yielded, items = self.flow, self.ready, self.yielded, self._iterator
        window = self.window
        prepare, create = self._prepare, self._create
        # One state per worker, visible to the hooks through the worker's own context.
        state = Attempts()
        current_attempts.set(state)
        while True:
            try:
                window.acquire_nowait()
            except anyio.WouldBlock:
                await window.acquire()
            if self._exhausted:
                window.release()
                return
            if items is not None:
                try:
                    index, item = next(items)
                except Exception as exc:
                    self._end_of_input(exc)
                    window.release()
                    return
            else:
                pulled = await self._apull()
                if pulled is None:
                    window.release()
                    return
                index, item = pulled
            try:
                arguments, key = prepare(index, item)
            except Exception as exc:
                self.failed += 1
                ready.append(BulkResult(index, item, error=exc))
            else:
                state.count = 0
                try:
                    if not flow.try_acquire(state):
                        await flow.acquire(state)
                    session = await create(**arguments, idempotency_key=key)
                except Exception as exc:
                    self.failed += 1
                    if isinstance(exc, APIStatusError) and exc.status_code in _ANSWERED:
                        flow.relieved()  # a 4xx other than 429 is an answer, not an overload
                    ready.append(BulkResult(index, item, None, exc, state.count, key))
                else:
                    flow.relieved()
                    self.succeeded += 1
                    ready.append(BulkResult(index, item, session, None, state.count, key))
                    del session  # not kept alive by this frame until its next response
                finally:
                    if state.holding:
                        flow.release(state)
            if yielded:
                yielded.popleft()  # see ``yielded`` in the class docstring
            if self.consumer is not None:
                self.wake_consumer()

    def _end_of_input(self, error: BaseException) -> None:
        self._exhausted = True
        if not isinstance(error, StopIteration | StopAsyncIteration):
            self._failure = error

    async def _apull(self) -> tuple[int, Any] | None:
        assert self._aiterator is not None
        # An async generator refuses a second __anext__ while one is pending.
        async with self._pull_lock:
            if self._exhausted:
                return None
            try:
                item = await self._aiterator.__anext__()
            except Exception as exc:
                self._end_of_input(exc)
                return None
            index = self._next_index
            self._next_index = index + 1
            return index, item

    def _prepare(self, index: int, item: Any) -> tuple[Mapping[str, Any], str]:
        """Check an item like ``create`` would, before it takes a slot; pick its key."""
        arguments, key = item_arguments(index, item)
        if key is None:
            if self._key_fn is None:
                return arguments, new_idempotency_key()
            key = self._key_fn(index, item)
        return arguments, check_idempotency_key(key)

    # -- the hand-over to the consumer ----------------------------------------------------

    async def results_arrived(self) -> None:
        """Wait until ``ready`` has a result or ``finished`` is set."""
        self.consumer = waiter = asyncio.get_running_loop().create_future()
        await waiter

    def wake_consumer(self) -> None:
        waiter = self.consumer
        if waiter is not None:
            self.consumer = None
            if not waiter.done():
                waiter.set_result(None)

    # -- progress -----------------------------------------------------------------------

    async def _tick(self) -> None:
        while True:
            await anyio.sleep(self._interval)
            self._report(finished=False)

    def _report(self, *, finished: bool) -> None:
        callback = self._on_progress
        if callback is None:
            return
        done = self.succeeded + self.failed
        rate, elapsed = self._meter.rate(done, finished=finished)
        flow = self.flow
        progress = BulkProgress(
            done=done,
            succeeded=self.succeeded,
            failed=self.failed,
            in_flight=flow.limiter.borrowed_tokens,
            rate=rate,
            retries=self.retries,
            throttled=flow.throttled,
            concurrency=int(flow.limiter.total_tokens),
            elapsed=elapsed,
            finished=finished,
        )
        try:
            callback(progress)
        except Exception as exc:
            # A progress display must never break the batch; the traceback reaches the log.
            _log.error("the create_many on_progress callback raised; ignored", exc_info=exc)


async def _results(engine_args: dict[str, Any], ordered: bool) -> AsyncIterator[BulkResult]:
    # Built here, inside the running loop, on the first iteration (anyio primitives bind to
    # the loop that creates them).
    engine = _Engine(**engine_args)
    driver = asyncio.get_running_loop().create_task(
        engine.run(), name="qoder_async create_many driver"
    )
    ready, yielded, window = engine.ready, engine.yielded, engine.window
    pending: dict[int, BulkResult] = {}
    next_index = 0
    joined = False
    try:
        while True:
            if ready:
                message = ready.popleft()
            elif engine.finished:
                break
            else:
                await engine.results_arrived()
                continue
            if isinstance(message, _Failure):
                raise message.error
            if not ordered:
                window.release()
                yielded.append(message)
                yield message
                continue
            # The slot is given back only when the result leaves the reorder buffer, which
            # therefore never holds more than the window.
            pending[message.index] = message
            while next_index in pending:
                result = pending.pop(next_index)
                next_index += 1
                window.release()
                yielded.append(result)
                yield result
        joined = True
        await driver  # raises what went wrong inside the engine, if anything did
    finally:
        if not driver.done():
            driver.cancel()
            # Shielded: under an anyio cancel scope every await would be cancelled again,
            # and the in-flight requests must be torn down before we return.
            with anyio.CancelScope(shield=True):
                await asyncio.wait([driver])
        yielded.clear()
        if not joined and not driver.cancelled() and driver.exception() is not None:
            _log.error("create_many: the batch failed", exc_info=driver.exception())


def create_many(
    requester: Requester,
    make_create: Callable[[Requester], Create],
    items: Iterable[Any] | AsyncIterable[Any],
    *,
    concurrency: int = 16,
    rate_limit: float | None = None,
    ordered: bool = False,
    key_fn: KeyFn | None = None,
    on_progress: Callable[[BulkProgress], None] | None = None,
    adaptive: bool = True,
    progress_interval: float = 0.5,
) -> AsyncIterator[BulkResult]:
    """Check the arguments now, and return the async iterator of results."""
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, (Iterable, AsyncIterable)):
        raise ParameterTypeError(
            "items", f"expected an iterable of create parameters, got {type(items).__name__}"
        )
    check_positive("concurrency", concurrency, integer=True)
    if rate_limit is not None:
        check_positive("rate_limit", rate_limit)
    check_positive("progress_interval", progress_interval)
    for field, flag in (("ordered", ordered), ("adaptive", adaptive)):
        if not isinstance(flag, bool):
            raise ParameterTypeError(field, f"expected True or False, got {flag!r:.40}")
    for field, function in (("key_fn", key_fn), ("on_progress", on_progress)):
        if function is not None and not callable(function):
            raise ParameterTypeError(field, "expected a callable or None")
    engine_args: dict[str, Any] = {
        "requester": requester,
        "make_create": make_create,
        "items": items,
        "concurrency": concurrency,
        "rate_limit": None if rate_limit is None else float(rate_limit),
        "adaptive": adaptive,
        "key_fn": key_fn,
        "on_progress": on_progress,
        "progress_interval": float(progress_interval),
    }
    return _results(engine_args, ordered)


attrs.resolve_types(_Failure)
