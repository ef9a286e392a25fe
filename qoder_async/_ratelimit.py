"""Rate limits on request starts: for one process, or for every process sharing one Redis.

The send path asks the client's limiter before every attempt of a write (first tries and
retries; reads too with ``rate_limit_reads=True``), and tells it when the API answers 429,
so that one process's ``Retry-After`` holds back every process sharing the limiter.

- :class:`LocalRateLimiter` spaces starts evenly, ``1 / per_second`` apart, in this process.
- :class:`RedisRateLimiter` does the same for every process and host that uses the same
  Redis and ``key``: GCRA in one atomic script (``_BOOK_START``), timed by Redis's clock.
  A 429's pause is a time in Redis that only ever moves later, and bookings queue behind it.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import anyio

from ._errors import InvalidParameterError, ParameterTypeError, RateLimiterUnavailableError
from ._validation import check_positive

__all__ = ["LocalRateLimiter", "RateLimiter", "RedisRateLimiter", "build_limiter"]

_log = logging.getLogger("qoder_async")

#: Waits between attempts to reach Redis while it is down: from this, doubling, to 1 s.
_FIRST_RECONNECT_WAIT = 0.05


@runtime_checkable
class RateLimiter(Protocol):
    """What the send path needs of a rate limiter; the built-in ones are below.

    Example::

        class Unlimited:
            async def acquire(self) -> None: ...
            async def pause(self, seconds: float) -> None: ...
            async def aclose(self) -> None: ...

        client = AsyncQoder(rate_limiter=Unlimited())
    """

    async def acquire(self) -> None:
        """Wait until one more request may start.

        Example::

            await limiter.acquire()  # the send path does this before every attempt
        """

    async def pause(self, seconds: float) -> None:
        """The API answered 429: hold every start for ``seconds``.

        Args:
            seconds: the ``Retry-After`` the API asked for (1 s when it named none).

        Example::

            await limiter.pause(2.0)
        """

    async def aclose(self) -> None:
        """Release the limiter's connections (a client closes only limiters it created).

        Example::

            await limiter.aclose()
        """


class LocalRateLimiter:
    """At most ``per_second`` starts per second in this process, spaced evenly.

    Each start books the next free slot (a token bucket of depth one), so a burst is spread
    out instead of sent at once, and a pause moves every booking behind it.

    Args:
        per_second: starts per second (2.5 is fine).

    Example::

        client = AsyncQoder(rate_limiter=LocalRateLimiter(20))  # or writes_per_second=20
    """

    def __init__(self, per_second: float) -> None:
        self.per_second = check_positive("per_second", per_second)
        self._interval = 1.0 / self.per_second
        self._next = 0.0
        self._resume_at = 0.0

    async def acquire(self) -> None:
        """Wait for this start's slot.

        Example::

            await limiter.acquire()
        """
        while True:
            now = time.monotonic()
            start = max(now, self._next, self._resume_at)
            self._next = start + self._interval
            if start > now:
                await anyio.sleep(start - now)
            if self._resume_at <= start:
                return
            # A pause began while this start waited and covers its slot: book again, behind
            # it, so that the starts after a pause are spaced like any others.

    async def pause(self, seconds: float) -> None:
        """Hold every start for ``seconds`` from now.

        Args:
            seconds: the ``Retry-After`` the API asked for.

        Example::

            await limiter.pause(2.0)
        """
        self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    async def aclose(self) -> None:
        """Nothing to release.

        Example::

            await LocalRateLimiter(20).aclose()
        """

    def __repr__(self) -> str:
        return f"LocalRateLimiter(per_second={self.per_second:g})"


#: GCRA with a burst of one, atomic in Redis: each call books the next free start for the
#: whole account and answers how long to wait for it. Times are the Redis server's (TIME),
#: in microseconds, so the hosts' clocks do not matter. KEYS[1]: the next free start (the
#: "theoretical arrival time"); KEYS[2]: the end of a pause a 429 asked for.
#: ARGV[1]: microseconds between starts; ARGV[2]: the end of this process's own last slot
#: (so that a Redis restarted empty never books over starts it already granted).
#: Returns the microseconds to wait and the slot.
_BOOK_START = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or 0),
                       tonumber(redis.call('GET', KEYS[2]) or 0), tonumber(ARGV[2]))
local ttl_ms = math.ceil((start + interval - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%d', start + interval), 'PX', ttl_ms)
return {start - now, start}
"""

#: Hold every start until now + ARGV[1] microseconds (a later pause is never shortened).
_PAUSE = """
local clock = redis.call('TIME')
local resume = tonumber(clock[1]) * 1000000 + tonumber(clock[2]) + tonumber(ARGV[1])
if resume > tonumber(redis.call('GET', KEYS[1]) or 0) then
    redis.call('SET', KEYS[1], string.format('%d', resume), 'PX', math.ceil(ARGV[1] / 1000) + 1000)
end
return 0
"""


class RedisRateLimiter:
    """At most ``per_second`` starts per second for every process using the same Redis and
    ``key``: the account-wide limit of many workers on many hosts.

    Starts are spaced ``1 / per_second`` apart for all of them together (GCRA, one atomic
    script in Redis, timed by the Redis server's clock), so no rolling second ever holds
    more than ``per_second`` starts, and each process waits for the start it booked
    instead of polling. A 429's ``Retry-After`` holds back every start not yet sent: new
    bookings go behind the pause, and a waiting start whose slot it covers books again.

    When Redis cannot be reached, :meth:`acquire` keeps trying for ``unavailable_timeout``
    seconds (a Redis restart pauses requests, it does not fail them), then raises
    :class:`RateLimiterUnavailableError`; nothing is ever sent unlimited. With
    ``fallback``, it uses that limiter instead, at once, logging a warning once per outage.

    Args:
        url: ``redis://[:password@]host:port/db``, ``rediss://...`` or ``unix:///path``.
        per_second: starts per second for all processes together.
        key: the name of the shared limit (one per account).
        fallback: a limiter for while Redis is down, or ``None`` to fail closed.
        unavailable_timeout: how long to wait for Redis before giving up, in seconds.

    Example::

        limiter = RedisRateLimiter("redis://127.0.0.1:6379/0", 20, key="acme-prod")
        client = AsyncQoder(rate_limiter=limiter)
    """

    def __init__(
        self,
        url: str,
        per_second: float,
        *,
        key: str = "default",
        fallback: RateLimiter | None = None,
        unavailable_timeout: float = 10.0,
    ) -> None:
        if not isinstance(url, str):
            raise ParameterTypeError("rate_limit_url", "expected a redis:// URL string")
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix"):
            # The URL may hold a password: name only its scheme.
            raise InvalidParameterError(
                "rate_limit_url", f"expected redis://, rediss:// or unix://, got {parts.scheme!r}"
            )
        if not isinstance(key, str) or not key or len(key) > 200:
            raise InvalidParameterError("rate_limit_key", "expected a non-empty str (<= 200)")
        if fallback is not None and not isinstance(fallback, RateLimiter):
            raise ParameterTypeError("rate_limit_fallback", "expected a RateLimiter")
        if isinstance(unavailable_timeout, bool) or not isinstance(
            unavailable_timeout, (int, float)
        ):
            raise ParameterTypeError("unavailable_timeout", "expected a number of seconds")
        try:
            import redis.asyncio  # noqa: F401
        except ImportError:  # pragma: no cover - the extra is installed in tests
            raise InvalidParameterError(
                "rate_limit_url", "needs the redis extra: pip install 'qoder-async[redis]'"
            ) from None
        self.per_second = check_positive("writes_per_second", per_second)
        self._interval_us = max(1, round(1_000_000 / self.per_second))
        self._url = url
        self._where = parts.hostname or parts.path or "redis"
        if parts.port:
            self._where += f":{parts.port}"
        self._key = key
        self._keys = [f"qoder_async:{{{key}}}:next", f"qoder_async:{{{key}}}:pause"]
        self._fallback = fallback
        self._unavailable_timeout = float(unavailable_timeout)
        self._outage = False
        self._last_slot = 0  # the Redis server's microseconds
        self._state: tuple[int, Any, Any, Any] | None = None  # pid, client, book, pause

    def _connect(self) -> tuple[Any, Any]:
        state = self._state
        if state is None or state[0] != os.getpid():
            # Built in the process (and the event loop) that uses it; a forked child builds
            # its own and leaves the parent's connections alone.
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(
                self._url, socket_connect_timeout=2.0, socket_timeout=2.0
            )
            book = client.register_script(_BOOK_START)
            pause = client.register_script(_PAUSE)
            state = self._state = (os.getpid(), client, book, pause)
        return state[2], state[3]

    async def acquire(self) -> None:
        """Book the next shared start and wait for it.

        Example::

            await limiter.acquire()
        """
        wait = _FIRST_RECONNECT_WAIT
        give_up_at = None
        while True:
            try:
                book, _ = self._connect()
                floor = self._last_slot + self._interval_us
                delay_us, slot = await book(keys=self._keys, args=[self._interval_us, floor])
                self._last_slot = max(self._last_slot, int(slot))
                if delay_us > 0:
                    await anyio.sleep(delay_us / 1_000_000)
                    if await self._paused_past(int(slot)):
                        continue  # a pause began while this start waited: book again, behind it
            except Exception as exc:
                if not _is_redis_failure(exc):
                    raise
                if self._fallback is not None:
                    self._report_outage(exc, "using the fallback limit")
                    await self._fallback.acquire()
                    return
                self._report_outage(exc, "waiting for it")
                now = time.monotonic()
                if give_up_at is None:
                    give_up_at = now + self._unavailable_timeout
                if now >= give_up_at:
                    raise RateLimiterUnavailableError(
                        f"the shared rate limiter at {self._where} is unreachable "
                        f"({type(exc).__name__}); nothing was sent"
                    ) from exc
                await anyio.sleep(min(wait, give_up_at - now))
                wait = min(wait * 2, 1.0)
                continue
            if self._outage:
                self._outage = False
                _log.warning("rate limiter: Redis at %s is back", self._where)
            return

    async def _paused_past(self, slot: int) -> bool:
        """Whether a pause published since ``slot`` was booked ends after it (``False`` if
        Redis cannot say: the slot was granted before it went away)."""
        state = self._state
        assert state is not None
        try:
            resume = await state[1].get(self._keys[1])
        except Exception as exc:
            if not _is_redis_failure(exc):
                raise
            return False
        return resume is not None and int(resume) > slot

    async def pause(self, seconds: float) -> None:
        """Hold every process's starts for ``seconds`` (a later pause is never shortened).

        Args:
            seconds: the ``Retry-After`` the API asked for.

        Example::

            await limiter.pause(2.0)
        """
        if self._fallback is not None:
            await self._fallback.pause(seconds)
        try:
            _, pause = self._connect()
            await pause(keys=self._keys[1:], args=[max(1, round(seconds * 1_000_000))])
        except Exception as exc:
            if not _is_redis_failure(exc):
                raise
            # Best effort: this process backs off on its own anyway.
            _log.info("rate limiter: could not publish a pause to %s: %s", self._where, exc)

    async def aclose(self) -> None:
        """Close this process's connections to Redis.

        Example::

            await limiter.aclose()
        """
        state, self._state = self._state, None
        if state is not None and state[0] == os.getpid():
            await state[1].aclose()

    def _report_outage(self, error: BaseException, action: str) -> None:
        if not self._outage:
            self._outage = True
            _log.warning(
                "rate limiter: Redis at %s is unreachable (%s); %s",
                self._where,
                type(error).__name__,
                action,
            )

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(at={self._where!r}, per_second={self.per_second:g}, "
            f"key={self._key!r})"
        )


def _is_redis_failure(error: BaseException) -> bool:
    from redis.exceptions import RedisError

    return isinstance(error, (RedisError, OSError))


def build_limiter(
    rate_limiter: object,
    writes_per_second: object,
    rate_limit_url: object,
    rate_limit_key: object,
    rate_limit_fallback: object,
    rate_limit_reads: object,
) -> tuple[RateLimiter | None, bool]:
    """The client's limiter from its constructor options, and whether the client owns it.

    Example::

        limiter, owned = build_limiter(None, 20, None, "default", None, False)
    """
    if not isinstance(rate_limit_reads, bool):
        raise ParameterTypeError("rate_limit_reads", "expected True or False")
    if rate_limiter is not None:
        if writes_per_second is not None or rate_limit_url is not None:
            raise InvalidParameterError(
                "rate_limiter", "give rate_limiter or writes_per_second/rate_limit_url, not both"
            )
        if not isinstance(rate_limiter, RateLimiter):
            raise ParameterTypeError(
                "rate_limiter", "expected a RateLimiter (acquire/pause/aclose)"
            )
        return rate_limiter, False
    if writes_per_second is None:
        for name, value in (
            ("rate_limit_url", rate_limit_url),
            ("rate_limit_fallback", rate_limit_fallback),
            ("rate_limit_reads", rate_limit_reads or None),
        ):
            if value is not None:
                raise InvalidParameterError(name, "needs writes_per_second (the limit to apply)")
        return None, False
    if rate_limit_url is None:
        if rate_limit_fallback is not None:
            raise InvalidParameterError("rate_limit_fallback", "only applies with rate_limit_url")
        return LocalRateLimiter(check_positive("writes_per_second", writes_per_second)), True
    fallback = None
    if rate_limit_fallback is not None:
        fallback = LocalRateLimiter(check_positive("rate_limit_fallback", rate_limit_fallback))
    limiter = RedisRateLimiter(
        rate_limit_url,  # type: ignore[arg-type]
        check_positive("writes_per_second", writes_per_second),
        key=rate_limit_key,  # type: ignore[arg-type]
        fallback=fallback,
    )
    return limiter, True
