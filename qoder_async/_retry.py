"""The retry policy, and the one loop that carries it out with tenacity.

Every second attempt of anything goes through :func:`retry_call`: a request after a
transport failure or a 408/429/5xx, the attempt after a 401 that asks a token provider for
a fresh token, and an event stream's reconnection after a drop. The success path never
builds it: the send path makes the first attempt directly, and only a failure hands over
to tenacity (tenacity keeps per-run state on its ``AsyncRetrying``, so one cannot be
shared between concurrent calls, and building one costs about as much as a request).
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

import attrs
import tenacity
from attrs import validators as v

from ._errors import APIConnectionError, APIError, APIStatusError, AuthenticationError

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "retry_after_seconds", "retry_call"]

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
        sleep: the coroutine function that waits between attempts (default
            ``asyncio.sleep``); batch runners and tests put their own pacing here.

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
    sleep: Callable[[float], Awaitable[None]] = attrs.field(
        default=asyncio.sleep, eq=False, repr=False, validator=v.is_callable()
    )

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that makes exactly one attempt.

        Example::

            client = AsyncQoder(retry=RetryPolicy.disabled())
        """
        return cls(max_retries=0)

    def is_retryable(self, error: BaseException) -> bool:
        """Whether ``error`` from one attempt deserves another attempt.

        Args:
            error: what the attempt raised.

        Example::

            assert RetryPolicy().is_retryable(InternalServerError("x", status_code=503))
        """
        if isinstance(error, APIStatusError):
            if error.status_code not in RETRYABLE_STATUSES:
                return False
            # A server that says "don't" knows better than the status code.
            return error.headers.get("x-should-retry", "").lower() != "false"
        return isinstance(error, APIConnectionError) and error.retryable

    def delay_for(self, retry_number: int, error: BaseException | None) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based) after ``error``.

        Args:
            retry_number: 1 for the first retry.
            error: what the failed attempt raised (its ``Retry-After`` wins when allowed).

        Example::

            RetryPolicy(initial_delay=0.5, jitter=0).delay_for(2, None)  # 1.0
        """
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
    """A short reason for a retry, for the log line."""
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code}"
    return type(error).__name__


class Attempts(Protocol):
    """What the loop reads and updates of one logical call (the send path's ``Call``)."""

    #: Number of the attempt that ran last (0 for the first).
    attempt: int
    #: Retries allowed since ``backoff_base``.
    max_retries: int
    #: The attempt the backoff counts from (a stream moves it up after each delivery).
    backoff_base: int
    #: A floor under every delay (a stream's SSE ``retry:``), in seconds.
    min_delay: float
    #: When the call must be over (``time.monotonic()``), or ``None``.
    deadline: float | None
    #: Whether a 401 may still be answered by asking the token provider again.
    refreshable: bool


async def retry_call(
    policy: RetryPolicy,
    call: Attempts,
    first_error: APIError,
    attempt: Callable[[], Awaitable[T]],
    announce: Callable[[float, BaseException], None],
) -> T:
    """Run ``attempt()`` again under ``policy`` after the call's last attempt raised
    ``first_error``; the last typed error surfaces, never ``tenacity.RetryError``.

    Tenacity sees ``first_error`` as the outcome of its own first try, so the first delay
    (``Retry-After`` included) is computed from it exactly as the later ones.
    """
    pending = [first_error]

    async def one_try() -> T:
        if pending:
            raise pending.pop()
        return await attempt()

    def refresh(error: BaseException | None) -> bool:
        return call.refreshable and isinstance(error, AuthenticationError)

    def should_retry(error: BaseException) -> bool:
        return refresh(error) or policy.is_retryable(error)

    def wait(state: tenacity.RetryCallState) -> float:
        error = _error_of(state)
        if refresh(error):
            return 0.0
        delay = policy.delay_for(call.attempt + 1 - call.backoff_base, error)
        return max(delay, call.min_delay)

    def stop(state: tenacity.RetryCallState) -> bool:
        if refresh(_error_of(state)):
            return False
        if call.attempt + 1 - call.backoff_base > call.max_retries:
            return True
        deadline = call.deadline
        return deadline is not None and time.monotonic() + (state.upcoming_sleep or 0) >= deadline

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = _error_of(state)
        if refresh(error):
            # One fresh token per call, and not charged to the retry budget.
            call.refreshable = False
            call.max_retries += 1
        if error is not None:
            announce(state.upcoming_sleep or 0.0, error)

    retrying = tenacity.AsyncRetrying(
        stop=stop,
        wait=wait,
        retry=tenacity.retry_if_exception(should_retry),
        before_sleep=before_sleep,
        sleep=policy.sleep,
        reraise=True,
    )
    return await retrying(one_try)


def _error_of(state: tenacity.RetryCallState) -> BaseException | None:
    outcome = state.outcome
    return None if outcome is None else outcome.exception()
