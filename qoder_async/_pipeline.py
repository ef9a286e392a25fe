"""The one request path every endpoint goes through.

``Pipeline.request`` owns, for every call: headers (auth, user agent, workspace, betas,
idempotency key, attempt counter), the per-attempt timeout and the call's deadline,
retries, the mapping of every aiohttp/OS failure to the :mod:`qoder_async._errors` tree,
the response size limit, JSON decoding and model structuring, logging and hooks.

The first attempt runs straight through with prepared headers and a prepared timeout;
retry machinery is only built when that attempt fails in a retryable way.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import aiohttp
import attrs

from ._deadlines import SUPPORTED as _WATCHED_DEADLINES
from ._errors import (
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    InvalidParameterError,
    TokenProviderError,
    truncate,
)
from ._hooks import ErrorInfo, Hooks, RequestInfo, ResponseInfo, RetryInfo
from ._idempotency import new_idempotency_key
from ._options import (
    CONNECT_TIMEOUT,
    check_timeout,
    checked_extra_headers,
    checked_extra_query,
    make_timeout,
)
from ._pool import HttpPool
from ._raw import RawResponse
from ._responses import (
    TRANSPORT_FAILURES,
    parse_success,
    status_error,
    text_excerpt,
    transport_error,
)
from ._retry import RetryPolicy, describe, run_retries
from ._types import NOT_GIVEN, NotGiven, Secret, TokenProvider

__all__ = [
    "NOT_GIVEN",
    "NotGiven",
    "Pipeline",
    "PipelineConfig",
    "RawPipeline",
    "request_headers",
]

T = TypeVar("T")

_log = logging.getLogger("qoder_async")

#: Methods that change state and therefore carry an ``Idempotency-Key``.
_KEYED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_RETRY_HEADER = "X-Qoder-Retry-Count"
_FIRST_ATTEMPT = "0"


_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


@attrs.frozen
class PipelineConfig:
    """Everything a pipeline needs to build a request; ``with_options`` evolves a copy."""

    base_url: str
    token: Secret | None
    token_provider: TokenProvider | None
    timeout: float | None
    retry: RetryPolicy
    headers: Mapping[str, str]
    max_response_bytes: int
    hooks: Hooks | None


def request_headers(config: PipelineConfig) -> dict[str, str]:
    """The headers every request of ``config`` starts from (before per-call ones)."""
    headers = dict(config.headers)
    if config.token is not None:
        headers["Authorization"] = f"Bearer {config.token.value}"
    headers[_RETRY_HEADER] = _FIRST_ATTEMPT
    return headers


class _Call:
    """One logical call: the same headers (and idempotency key) for every attempt."""

    __slots__ = ("data", "headers", "idempotency_key", "method", "path", "query", "started", "url")

    def __init__(
        self,
        method: str,
        path: str,
        url: str,
        headers: dict[str, str],
        data: aiohttp.BytesPayload | None,
        query: Mapping[str, Any] | None,
        idempotency_key: str | None,
        started: float,
    ) -> None:
        self.method = method
        self.path = path
        self.url = url
        self.headers = headers
        self.data = data
        self.query = query
        self.idempotency_key = idempotency_key
        self.started = started


class Pipeline:
    """Sends requests for one client (or one ``with_options`` view of it) over a shared pool."""

    #: Whether a 2xx returns the :class:`RawResponse` instead of the parsed result.
    keeps_raw = False

    def __init__(self, pool: HttpPool, config: PipelineConfig) -> None:
        self.pool = pool
        self.config = config
        self._base_url = config.base_url
        self._retry = config.retry
        self._hooks = config.hooks
        self._max_bytes = config.max_response_bytes
        self._provider = config.token_provider
        self._timeout_seconds = config.timeout
        self._timeout = make_timeout(config.timeout, watched=_WATCHED_DEADLINES)
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._raw: RawPipeline | None = None
        # The pool's session already sends the root client's headers; each request only
        # carries what differs (aiohttp walks every per-request header in Python, twice).
        shared = pool.session_headers
        headers = {k: v for k, v in request_headers(config).items() if shared.get(k) != v}
        self._plain_headers = headers

    # -- building -----------------------------------------------------------------------

    def _prepare(
        self,
        method: str,
        path: str,
        body: Any,
        query: Mapping[str, Any] | None,
        idempotency_key: str | None,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, Any] | None,
    ) -> _Call:
        headers = self._plain_headers.copy()
        data = None
        if body is not None:
            try:
                encoded = _encode_json(body).encode()
            except (TypeError, ValueError) as exc:
                raise InvalidParameterError("body", f"not JSON-serialisable: {exc}") from None
            # The payload carries its Content-Type (one header fewer for aiohttp to walk) and,
            # being bytes, can be sent again by every retry.
            data = aiohttp.BytesPayload(encoded, content_type="application/json")
        if method in _KEYED_METHODS:
            # Chosen once per logical call and reused by every retry, so a retried create
            # replays the stored response instead of creating a second session.
            if idempotency_key is None:
                idempotency_key = new_idempotency_key()
            headers["Idempotency-Key"] = idempotency_key
        if extra_headers is not None:
            headers.update(checked_extra_headers(extra_headers))
        if extra_query is not None:
            extra_query = checked_extra_query(extra_query)
            query = {**query, **extra_query} if query else extra_query
        return _Call(
            method,
            path,
            self._base_url + path,
            headers,
            data,
            query,
            idempotency_key,
            time.monotonic(),
        )

    async def _authorize(self, headers: dict[str, str]) -> None:
        provider = self._provider
        if provider is None:
            return
        try:
            token = provider()
            if inspect.isawaitable(token):
                token = await token
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise TokenProviderError(
                f"the api_key provider raised {type(exc).__name__}; no request was sent"
            ) from exc
        if not isinstance(token, str) or not token or "\n" in token or "\r" in token:
            raise TokenProviderError("the api_key provider must return a non-empty str token")
        headers["Authorization"] = f"Bearer {token}"

    # -- the call -----------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
    ) -> T:
        """Send one logical call and return ``parse(decoded JSON body)``.

        ``path`` must already be validated and quoted by the resource that builds it.
        """
        call = self._prepare(method, path, body, query, idempotency_key, extra_headers, extra_query)
        seconds = self._timeout_seconds
        if not isinstance(timeout, NotGiven):
            seconds = check_timeout(timeout)
        try:
            return await self._attempt(call, 0, parse, seconds)
        except APIError as exc:
            first_error = exc
        try:
            if isinstance(first_error, AuthenticationError) and self._provider is not None:
                # A rotated token: ask the provider once more before giving up. Announced like
                # any retry, so logs, hooks and attempt counts see it.
                self._announce_retry(call, 1, 0.0, first_error)
                await self._sleep(0.0)  # a retry without a delay, seen by whoever paces sleeps
                return await self._attempt(call, 1, parse, seconds)
            policy = self._retry
            if policy.max_retries == 0 or not policy.is_retryable(first_error):
                raise first_error

            async def attempt(number: int) -> T:
                return await self._attempt(call, number, parse, seconds)

            return await run_retries(
                policy,
                first_error,
                call.started,
                attempt,
                lambda n, delay, error: self._announce_retry(call, n, delay, error),
                self._sleep,
            )
        except APIError as exc:
            self._fail(call, exc)
            raise

    async def _attempt(
        self,
        call: _Call,
        attempt: int,
        parse: Callable[[Any], T],
        seconds: float | None,
    ) -> T:
        headers = call.headers
        if attempt:
            headers[_RETRY_HEADER] = str(attempt)
        if self._provider is not None:
            await self._authorize(headers)
        deadline = self._retry.deadline
        if deadline is not None:
            seconds = self._deadline_seconds(call, deadline, seconds)
        client_timeout = self._timeout
        if seconds != self._timeout_seconds:
            client_timeout = make_timeout(seconds, watched=_WATCHED_DEADLINES)
        hooks = self._hooks
        if hooks is not None and hooks.on_request is not None:
            _fire(
                hooks.on_request, RequestInfo(call.method, call.path, attempt, call.idempotency_key)
            )
        session = self.pool.session()
        limit = None
        if seconds is not None and _WATCHED_DEADLINES:
            watch = self.pool.deadlines
            assert watch is not None  # bound together with the session
            limit = watch.start(seconds)
        started = time.perf_counter()
        try:
            async with session.request(
                call.method,
                call.url,
                data=call.data,
                params=call.query,
                headers=headers,
                timeout=client_timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                response_headers = response.headers
                length = response.content_length
                if length is not None and length <= self._max_bytes:
                    raw = await response.read()
                else:
                    raw = await self._read_body(response, status)
        except APIError:
            raise
        except asyncio.CancelledError:
            if limit is not None and limit.finish():
                raise APITimeoutError(
                    f"{call.method} {call.path} timed out after {seconds:g} s (attempt {attempt})"
                ) from None
            if self.pool.closed and not _cancel_requested():
                # aclose() cancels aiohttp's waiters for a free connection: nobody cancelled
                # this task, so it must not end as if it had been.
                raise ClientClosedError(
                    "the client was closed while the request waited for a connection"
                ) from None
            raise
        except TRANSPORT_FAILURES as exc:
            error = transport_error(exc, call.method, call.path, attempt, closed=self.pool.closed)
            if error is None:
                raise
            raise error from exc
        finally:
            if limit is not None:
                limit.finish()
        request_id = response_headers.get("x-request-id") or response_headers.get("request-id")
        if hooks is not None and hooks.on_response is not None:
            _fire(
                hooks.on_response,
                ResponseInfo(
                    call.method,
                    call.path,
                    attempt,
                    status,
                    time.perf_counter() - started,
                    request_id,
                ),
            )
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "%s %s -> %s attempt=%d elapsed_ms=%.1f request_id=%s",
                call.method,
                call.path,
                status,
                attempt,
                (time.perf_counter() - started) * 1000.0,
                request_id,
            )
        if 200 <= status < 300:
            if self.keeps_raw:
                elapsed = time.perf_counter() - started
                # RawPipeline's callers are promised a RawResponse in place of T.
                return RawResponse(  # type: ignore[return-value]
                    status, response_headers, request_id, elapsed, raw, parse
                )
            return parse_success(status, raw, request_id, parse)
        raise status_error(status, raw, response_headers, request_id)

    def _deadline_seconds(self, call: _Call, deadline: float, seconds: float | None) -> float:
        remaining = call.started + deadline - time.monotonic()
        if remaining <= 0:
            raise APITimeoutError(f"{call.method} {call.path}: the {deadline:g} s deadline passed")
        return remaining if seconds is None or remaining < seconds else seconds

    async def _read_body(self, response: aiohttp.ClientResponse, status: int) -> bytes:
        limit = self._max_bytes
        length = response.content_length
        if length is not None and length <= limit:
            return await response.read()
        if length is not None:
            raise APIResponseValidationError(
                f"response body of {length} bytes exceeds max_response_bytes={limit}",
                status_code=status,
                request_id=response.headers.get("x-request-id"),
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                # Leaving the ``async with`` drops the connection instead of draining the rest.
                raise APIResponseValidationError(
                    f"response body exceeds max_response_bytes={limit}",
                    status_code=status,
                    request_id=response.headers.get("x-request-id"),
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def open_stream(
        self,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "text/event-stream",
        read_timeout: float | None = None,
        attempt: int = 0,
    ) -> aiohttp.ClientResponse:
        """Open a streaming ``GET`` and return the response with its body still unread.

        Headers, auth (token provider included), hooks and error mapping are those of
        :meth:`request`; retrying is left to the caller, which resumes from its own cursor.
        ``read_timeout`` bounds every wait for bytes (a heartbeat watchdog), not the whole
        body. A non-2xx answer raises its typed error, a 2xx of another content type than
        ``accept`` raises :class:`APIResponseValidationError`; the caller closes the response.
        """
        request_headers = self._plain_headers.copy()
        request_headers["Accept"] = accept
        if attempt:
            request_headers[_RETRY_HEADER] = str(attempt)
        if headers:
            request_headers.update(checked_extra_headers(headers))
        if self._provider is not None:
            await self._authorize(request_headers)
        hooks = self._hooks
        if hooks is not None and hooks.on_request is not None:
            _fire(hooks.on_request, RequestInfo("GET", path, attempt, None))
        session = self.pool.session()
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=CONNECT_TIMEOUT, sock_read=read_timeout
        )
        started = time.perf_counter()
        response: aiohttp.ClientResponse | None = None
        try:
            response = await session.request(
                "GET",
                self._base_url + path,
                params=query,
                headers=request_headers,
                timeout=timeout,
                allow_redirects=False,
            )
            status = response.status
            request_id = response.headers.get("x-request-id") or response.headers.get("request-id")
            if hooks is not None and hooks.on_response is not None:
                elapsed = time.perf_counter() - started
                info = ResponseInfo("GET", path, attempt, status, elapsed, request_id)
                _fire(hooks.on_response, info)
            if 200 <= status < 300 and response.content_type == accept:
                return response
            raw = await self._read_body(response, status)
        except APIError:
            if response is not None:
                response.close()
            raise
        except asyncio.CancelledError:
            if response is not None:
                response.close()
            if self.pool.closed and not _cancel_requested():
                raise ClientClosedError(
                    "the client was closed while the stream was opening"
                ) from None
            raise
        except TRANSPORT_FAILURES as exc:
            if response is not None:
                response.close()
            error = transport_error(exc, "GET", path, attempt, closed=self.pool.closed)
            if error is None:
                raise
            raise error from exc
        response.close()
        if 200 <= status < 300:
            raise APIResponseValidationError(
                f"GET {path}: expected {accept}, got {response.content_type!r:.80}",
                status_code=status,
                body=truncate(text_excerpt(raw)),
                request_id=request_id,
            )
        raise status_error(status, raw, response.headers, request_id)

    def raw(self) -> RawPipeline:
        """A pipeline over the same pool and config whose calls return :class:`RawResponse`."""
        raw = self._raw
        if raw is None:
            raw = self._raw = RawPipeline(self.pool, self.config)
        return raw

    # -- retries, logging, hooks ----------------------------------------------------------

    def _announce_retry(
        self, call: _Call, attempt: int, delay: float, error: BaseException
    ) -> None:
        _log.warning(
            "%s %s: retrying in %.2f s (attempt %d failed: %s)",
            call.method,
            call.path,
            delay,
            attempt - 1,
            describe(error),
        )
        hooks = self._hooks
        if hooks is not None and hooks.on_retry is not None:
            _fire(hooks.on_retry, RetryInfo(call.method, call.path, attempt - 1, delay, error))

    def _fail(self, call: _Call, error: APIError) -> None:
        hooks = self._hooks
        if hooks is not None and hooks.on_error is not None:
            attempt = int(call.headers.get(_RETRY_HEADER, "0"))
            _fire(hooks.on_error, ErrorInfo(call.method, call.path, attempt, error))


def _fire(hook: Callable[[Any], None], info: object) -> None:
    try:
        hook(info)
    except Exception as exc:
        # Observability must never break a request; the traceback still reaches the log.
        _log.error("a qoder_async hook raised %s; ignored", type(exc).__name__, exc_info=exc)


def _cancel_requested() -> bool:
    """Whether the current task was asked to cancel (always assumed so on Python 3.10)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return cancelling is None or cancelling() > 0


class RawPipeline(Pipeline):
    """Like :class:`Pipeline`, but a successful call returns the :class:`RawResponse`."""

    keeps_raw = True
