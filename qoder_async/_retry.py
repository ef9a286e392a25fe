"""The retry policy, and the glue that lets tenacity carry it out.

The success path never touches this module's tenacity parts: the pipeline makes the
first attempt directly and only builds an ``AsyncRetrying`` once that attempt failed in a
retryable way (tenacity keeps per-run state on the instance, so one cannot be shared
between concurrent calls, and building one costs more than a whole request).
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

import attrs
import tenacity
from attrs import validators as v

from ._errors import APIConnectionError, APIError, APIStatusError

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy"]

T = TypeVar("T")

#: Statuses worth another attempt: the request did not take effect, or we were told to wait.
#: 400, 401, 403, 404, 409 and 422 are deliberately absent: repeating them cannot help.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number, got {type(value).__name__}")
    if not 0 <= value < math.inf:
        raise ValueError(f"{attribute.name} must be a non-negative finite number, got {value!r}")


def _optional_positive(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number of seconds or None")
    if not 0 < value < math.inf:
        raise ValueError(f"{attribute.name} must be a positive finite number of seconds or None")


@attrs.frozen
class RetryPolicy:
    """How failed requests are retried.

    Retried: transport failures (refused, reset, disconnected, stale keep-alive connection,
    timeouts) and HTTP 408, 429, 500, 502, 503, 504. Never retried: any other status.
    The delay is the server's ``retry-after-ms`` / ``Retry-After`` when it is at most
    ``max_retry_after`` seconds, otherwise ``min(initial_delay * 2**n, max_delay)`` minus up
    to ``jitter`` of it. ``deadline`` (seconds) bounds the whole call, sleeps included.

    Args:
        max_retries: attempts after the first one (0 disables retries).
        initial_delay: backoff before the first retry, in seconds.
        max_delay: cap of the exponential backoff, in seconds.
        max_retry_after: longest server-requested delay honoured, in seconds.
        deadline: total time budget of one call, or ``None``.
        jitter: fraction (0..1) of each backoff delay that is randomised away.

    Example::

        client = AsyncQoder(retry=RetryPolicy(max_retries=5, deadline=30.0))
        no_retries = AsyncQoder(retry=RetryPolicy.disabled())
    """

    max_retries: int = attrs.field(default=2, validator=[v.instance_of(int), _non_negative])
    initial_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    deadline: float | None = attrs.field(default=None, validator=_optional_positive)
    jitter: float = attrs.field(default=0.25, validator=[_non_negative, v.le(1.0)])

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that makes exactly one attempt."""
        return cls(max_retries=0)

    def is_retryable(self, error: BaseException) -> bool:
        """Whether ``error`` from one attempt deserves another attempt."""
        if isinstance(error, APIStatusError):
            if error.status_code not in RETRYABLE_STATUSES:
                return False
            # A server that says "don't" knows better than the status code.
            return error.headers.get("x-should-retry", "").lower() != "false"
        return isinstance(error, APIConnectionError) and error.retryable

    def delay_for(self, retry_number: int, error: BaseException | None) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based) after ``error``."""
        if isinstance(error, APIStatusError):
            requested = retry_after_seconds(error.headers)
            if requested is not None and requested <= self.max_retry_after:
                return requested
        backoff = min(self.initial_delay * 2.0 ** (retry_number - 1), self.max_delay)
        return backoff * (1.0 - self.jitter * random.random())


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The delay a response asks for: ``retry-after-ms``, else ``Retry-After`` (seconds or date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    header = headers.get("retry-after")
    if header is None:
        return None
    try:
        seconds = float(header)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
        return max(seconds, 0.0)
    return seconds if seconds >= 0 else None


def describe(error: BaseException) -> str:
    """A short reason for a retry, for the WARNING log line."""
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code}"
    return type(error).__name__


class _Stop(tenacity.stop.stop_base):
    """Stop after ``max_retries`` retries, or when the next sleep would cross the deadline."""

    def __init__(self, policy: RetryPolicy, started: float) -> None:
        self._attempts = policy.max_retries + 1
        self._deadline = None if policy.deadline is None else started + policy.deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        if retry_state.attempt_number >= self._attempts:
            return True
        if self._deadline is None:
            return False
        sleep = retry_state.upcoming_sleep or 0.0
        return time.monotonic() + sleep >= self._deadline


async def run_retries(
    policy: RetryPolicy,
    first_error: APIError,
    started: float,
    attempt: Callable[[int], Awaitable[T]],
    before_sleep: Callable[[int, float, BaseException], None],
    sleep: Callable[[float], Awaitable[None]],
) -> T:
    """Retry ``attempt(n)`` (n = 1, 2, ...) under ``policy`` after attempt 0 raised ``first_error``.

    Tenacity sees ``first_error`` as the outcome of its own first try, so it computes the first
    delay from it (``Retry-After`` included) exactly as for the later ones. With
    ``reraise=True`` the last typed error surfaces, never ``tenacity.RetryError``.
    """
    pending: list[APIError] = [first_error]
    counter = [0]

    async def one_try() -> T:
        if pending:
            raise pending.pop()
        counter[0] += 1
        return await attempt(counter[0])

    def wait(retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        return policy.delay_for(retry_state.attempt_number, error)

    def announce(retry_state: tenacity.RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if error is not None:
            before_sleep(retry_state.attempt_number, retry_state.upcoming_sleep, error)

    retrying = tenacity.AsyncRetrying(
        stop=_Stop(policy, started),
        wait=wait,
        retry=tenacity.retry_if_exception(policy.is_retryable),
        before_sleep=announce,
        sleep=sleep,
        reraise=True,
    )
    return await retrying(one_try)
