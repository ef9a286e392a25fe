"""Per-attempt time limits that cost no event-loop timer per request.

aiohttp's ``ClientTimeout(total=…)`` arms a timer for every request and wraps every read
in a timer context; at thousands of requests a second that is a measurable share of a
request's CPU time (more than our whole header handling). Instead, attempts whose limits
end in the same second share one loop timer: starting an attempt adds it to its second's
bucket, finishing removes it, and when the bucket's timer fires every attempt still in
it is cancelled and later reported as a timeout.

Limits of 5 s or more end at the next whole second after the exact deadline (aiohttp
rounds the same way); shorter limits keep their exact deadline, with a timer of their
own. Telling our cancellation from the caller's needs ``Task.uncancel`` (Python 3.11);
on 3.10 the pipeline keeps using aiohttp's own total timeout.
"""

from __future__ import annotations

import asyncio
import math
import sys

__all__ = ["SUPPORTED", "AttemptLimit", "DeadlineWatch"]

#: Whether this Python can undo a cancellation it caused (``Task.uncancel``).
SUPPORTED = sys.version_info >= (3, 11)

# Below this many seconds a limit keeps its exact deadline instead of a shared second.
_ROUNDING_THRESHOLD = 5.0


class AttemptLimit:
    """One attempt's registration with a :class:`DeadlineWatch`."""

    __slots__ = ("_bucket", "_ours", "cancelling", "expired", "task")

    def __init__(self, task: asyncio.Task[object], bucket: set[AttemptLimit]):
        self.task = task
        # Cancellations already requested when the attempt started are the caller's.
        self.cancelling = 0
        if sys.version_info >= (3, 11):
            self.cancelling = task.cancelling()
        self.expired = False
        self._bucket: set[AttemptLimit] | None = bucket
        self._ours = False

    def finish(self) -> bool:
        """End the attempt; whether its limit cancelled it and nobody else did.

        Further calls return the same answer and change nothing. A limit that fired is
        withdrawn (``uncancel``) so that it never leaks out as a cancellation of the
        caller's task.
        """
        bucket = self._bucket
        if bucket is None:
            return self._ours
        self._bucket = None
        bucket.discard(self)
        if self.expired and sys.version_info >= (3, 11):
            self._ours = self.task.uncancel() <= self.cancelling
        return self._ours


class DeadlineWatch:
    """Cancels the attempts of one event loop that outlive their time limit.

    Usage (inside a task of ``loop``)::

        limit = watch.start(30.0)
        try:
            ...  # the attempt
        except asyncio.CancelledError:
            if limit.finish():
                raise TimeoutError from None
            raise
        finally:
            limit.finish()
    """

    __slots__ = ("_buckets", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._buckets: dict[float, tuple[set[AttemptLimit], asyncio.TimerHandle]] = {}

    def start(self, seconds: float) -> AttemptLimit:
        """Register the current task's attempt, to be cancelled ``seconds`` from now."""
        loop = self._loop
        when = loop.time() + seconds
        if seconds >= _ROUNDING_THRESHOLD:
            when = math.ceil(when)
        entry = self._buckets.get(when)
        if entry is None:
            bucket: set[AttemptLimit] = set()
            self._buckets[when] = (bucket, loop.call_at(when, self._expire, when))
        else:
            bucket = entry[0]
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("a request must run inside an asyncio task")
        limit = AttemptLimit(task, bucket)
        bucket.add(limit)
        return limit

    def _expire(self, when: float) -> None:
        bucket, _ = self._buckets.pop(when)
        for limit in bucket:
            limit.expired = True
            limit.task.cancel()

    def close(self) -> None:
        """Drop every pending timer (the loop may outlive the client)."""
        for _, handle in self._buckets.values():
            handle.cancel()
        self._buckets.clear()
