"""What ``create_many`` reports: one result per input item, and progress snapshots."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import attrs

from ._models.session import Session

__all__ = ["BulkProgress", "BulkResult", "RateMeter"]

#: Seconds of history behind the ``rate`` of a progress report.
_RATE_WINDOW = 5.0


@attrs.frozen
class BulkResult:
    """The outcome of one input item of :meth:`AsyncSessionsAPI.create_many`.

    There is exactly one per item. ``index`` is the item's 0-based position in the input and
    ``params`` the item as given. On success ``session`` is set and ``error`` is ``None``;
    on failure ``error`` holds the exception: :class:`InvalidParameterError` for a bad item
    (nothing was sent), an :class:`APIStatusError` for a 4xx, the last error once retries
    are exhausted. ``attempts`` counts HTTP attempts (0 when nothing was sent) and
    ``idempotency_key`` is the key every attempt carried.

    Example::

        async for r in client.sessions.create_many(items):
            if r.ok:
                print(r.index, r.session.id)
            else:
                print(r.index, "failed after", r.attempts, "attempts:", r.error)
    """

    index: int
    params: Any
    session: Session | None = None
    error: Exception | None = None
    attempts: int = 0
    idempotency_key: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the session was created (``error`` is ``None``)."""
        return self.error is None


@attrs.frozen
class BulkProgress:
    """A snapshot of a running batch, passed to ``create_many(on_progress=...)``.

    ``done`` counts items with a result (``succeeded + failed``); ``in_flight`` the requests
    holding a concurrency slot; ``rate`` results per second over the last few seconds (the
    whole run's average in the last report, where ``finished`` is true). ``retries`` counts
    retried attempts, ``throttled`` the 429/503 answers and connection failures that made the
    batch slow down, and ``concurrency`` the number of requests currently allowed in flight.

    Example::

        def show(p: BulkProgress) -> None:
            print(f"{p.done} done, {p.failed} failed, {p.rate:.0f}/s")

        async for r in client.sessions.create_many(items, on_progress=show):
            ...
    """

    done: int
    succeeded: int
    failed: int
    in_flight: int
    rate: float
    retries: int
    throttled: int
    concurrency: int
    elapsed: float
    finished: bool = False


class RateMeter:
    """Results per second over the last few seconds (or the whole run, at its end)."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._samples: deque[tuple[float, int]] = deque([(self._started, 0)])

    def rate(self, done: int, *, finished: bool) -> tuple[float, float]:
        """``(rate, elapsed seconds)`` now that ``done`` results are in."""
        now = time.monotonic()
        samples = self._samples
        samples.append((now, done))
        while len(samples) > 2 and now - samples[0][0] > _RATE_WINDOW:
            samples.popleft()
        elapsed = now - self._started
        if finished:
            return (done / elapsed if elapsed > 0 else 0.0), elapsed
        since, done_then = samples[0]
        return ((done - done_then) / (now - since) if now > since else 0.0), elapsed


attrs.resolve_types(BulkResult)
attrs.resolve_types(BulkProgress)
