"""Callbacks for metrics and tracing, fired by the send path once per attempt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["ErrorInfo", "Hooks", "RequestInfo", "ResponseInfo", "RetryInfo"]


@attrs.frozen
class RequestInfo:
    """An attempt is about to be sent. ``attempt`` is 0 for the first try.

    Example::

        Hooks(on_request=lambda info: print(info.method, info.path, info.attempt))
    """

    method: str
    path: str
    attempt: int
    idempotency_key: str | None


@attrs.frozen
class ResponseInfo:
    """An attempt got an HTTP response (any status); ``elapsed`` is in seconds.

    Example::

        Hooks(on_response=lambda info: histogram.observe(info.elapsed))
    """

    method: str
    path: str
    attempt: int
    status: int
    elapsed: float
    request_id: str | None


@attrs.frozen
class RetryInfo:
    """A retry is scheduled after ``delay`` seconds because of ``error``.

    Example::

        Hooks(on_retry=lambda info: print("retry in", info.delay, info.error))
    """

    method: str
    path: str
    attempt: int
    delay: float
    error: BaseException


@attrs.frozen
class ErrorInfo:
    """Hook payload: a call failed for good with ``error`` after ``attempt`` retries.

    About the client's own calls; the error a *session* reports in a ``session.error`` event
    is a :class:`SessionErrorInfo`, which has nothing to do with this.

    Example::

        Hooks(on_error=lambda info: errors.inc(type(info.error).__name__))
    """

    method: str
    path: str
    attempt: int
    error: BaseException


def _optional_callable(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{attribute.name} must be callable or None")


@attrs.frozen
class Hooks:
    """Synchronous callbacks; each is optional and must be quick (it runs on the event loop).

    A hook that raises is logged and ignored: observability never breaks a request.

    Example::

        latencies = []
        hooks = Hooks(on_response=lambda info: latencies.append(info.elapsed))
        async with AsyncQoder(hooks=hooks) as client: ...
    """

    on_request: Callable[[RequestInfo], None] | None = attrs.field(
        default=None, validator=_optional_callable
    )
    on_response: Callable[[ResponseInfo], None] | None = attrs.field(
        default=None, validator=_optional_callable
    )
    on_retry: Callable[[RetryInfo], None] | None = attrs.field(
        default=None, validator=_optional_callable
    )
    on_error: Callable[[ErrorInfo], None] | None = attrs.field(
        default=None, validator=_optional_callable
    )
