"""Batch-wide flow control for ``create_many``: attempts in flight, paced starts, pauses.

The allowed number of attempts in flight follows AIMD (as TCP's congestion window does):
halved when the API pushes back, grown by ``1/window`` per success, i.e. by one slot per
round of requests. A token bucket of depth one paces starts; its rate is halved too, and
grows back by a tenth of ``rate_limit`` per second of successes. Only a request sent after
the last cut can cut again, so a burst of 429s from requests that were already in flight
counts once.
"""

from __future__ import annotations

import contextvars
import math
import time
from collections.abc import Awaitable, Callable

import anyio

__all__ = ["Attempts", "Flow", "current_attempts"]

#: The paced rate never drops below this fraction of ``rate_limit``.
_MIN_RATE_FRACTION = 1 / 16
#: After a cut, the rate grows back by this fraction of ``rate_limit`` per second of successes.
_RATE_RECOVERY_PER_SECOND = 0.1


class Attempts:
    """One item's request state: its attempts so far, whether it holds a slot, and when its
    latest attempt started. The hooks see it through ``current_attempts`` (they run in the
    item's task)."""

    __slots__ = ("count", "holding", "sent_at")

    def __init__(self) -> None:
        self.count = 0
        self.holding = False
        self.sent_at = 0.0


current_attempts: contextvars.ContextVar[Attempts | None] = contextvars.ContextVar(
    "qoder_async_bulk_item", default=None
)


class Flow:
    """Batch-wide flow control: attempts in flight (AIMD), paced starts, Retry-After pauses."""

    def __init__(self, concurrency: int, rate: float | None, adaptive: bool) -> None:
        self.max_window = concurrency
        self.window = float(concurrency)
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.max_rate = rate
        self.rate = rate
        self.throttled = 0
        self._interval = 1.0 / rate if rate else 0.0
        self._next_start = 0.0
        self._resume_at = 0.0
        self._last_cut = -math.inf
        self._adaptive = adaptive

    def try_acquire(self, state: Attempts) -> bool:
        """Take a slot without waiting, when one is free and no pacing applies."""
        if self._interval or self._resume_at:
            return False
        try:
            self.limiter.acquire_on_behalf_of_nowait(state)
        except anyio.WouldBlock:
            return False
        state.holding = True
        state.count += 1
        state.sent_at = time.monotonic()
        return True

    async def acquire(self, state: Attempts) -> None:
        """Wait for a concurrency slot, then for the item's turn to start (every attempt)."""
        limiter = self.limiter
        try:
            limiter.acquire_on_behalf_of_nowait(state)
        except anyio.WouldBlock:
            await limiter.acquire_on_behalf_of(state)
        state.holding = True
        if self._interval or self._resume_at:
            await self._pace()
        state.count += 1
        state.sent_at = time.monotonic()

    def release(self, state: Attempts) -> None:
        state.holding = False
        self.limiter.release_on_behalf_of(state)

    async def _pace(self) -> None:
        # A token bucket of depth one (GCRA): each start books the next free slot, so starts
        # are spread evenly and a pause moves every booking behind it.
        now = time.monotonic()
        if self._resume_at <= now:
            self._resume_at = 0.0  # the pause is over: back to the fast path
            start = now
        else:
            start = self._resume_at
        if self._interval:
            if self._next_start > start:
                start = self._next_start
            self._next_start = start + self._interval
        if start > now:
            await anyio.sleep(start - now)

    async def backoff(self, delay: float, sleep: Callable[[float], Awaitable[None]]) -> None:
        """A retry's wait: give the slot back, sleep, then queue like a new start."""
        state = current_attempts.get()
        if state is None or not state.holding:
            await sleep(delay)
            return
        self.release(state)
        await sleep(delay)
        await self.acquire(state)

    def congested(self, state: Attempts | None) -> None:
        """The API pushed back: halve the window and the rate (once per round of requests)."""
        self.throttled += 1
        if not self._adaptive:
            return
        if state is not None and state.sent_at < self._last_cut:
            # Sent before the last cut: it reports the load that cut already answered.
            return
        self._last_cut = time.monotonic()
        self.window = max(1.0, self.window / 2.0)
        self.limiter.total_tokens = int(self.window)
        if self.rate is not None and self.max_rate is not None:
            self.rate = max(self.max_rate * _MIN_RATE_FRACTION, self.rate / 2.0)
            self._interval = 1.0 / self.rate

    def relieved(self) -> None:
        """A request went through: grow back additively (one slot per window of successes)."""
        window = self.window
        if window < self.max_window:
            grown = min(float(self.max_window), window + 1.0 / window)
            self.window = grown
            if int(grown) != int(window):
                self.limiter.total_tokens = int(grown)
        rate, max_rate = self.rate, self.max_rate
        if rate is not None and max_rate is not None and rate < max_rate:
            # Successes arrive at ``rate`` per second, so this adds a fixed amount per second.
            rate = min(max_rate, rate + max_rate * _RATE_RECOVERY_PER_SECOND / rate)
            self.rate = rate
            self._interval = 1.0 / rate

    def pause(self, seconds: float) -> None:
        """The server asked to wait: hold every new start until then."""
        self._resume_at = max(self._resume_at, time.monotonic() + seconds)
