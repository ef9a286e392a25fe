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
import math
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import aiohttp
import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    InvalidParameterError,
    ParameterTypeError,
    TokenProviderError,
    status_error_class,
    truncate,
)
from ._hooks import ErrorInfo, Hooks, RequestInfo, ResponseInfo, RetryInfo
from ._pool import HttpPool
from ._raw import RawResponse
from ._retry import RetryPolicy, describe, run_retries

__all__ = [
    "NOT_GIVEN",
    "NotGiven",
    "Pipeline",
    "PipelineConfig",
    "RawPipeline",
    "TokenProvider",
    "parse_success",
]

T = TypeVar("T")

_log = logging.getLogger("qoder_async")

TokenProvider = Callable[[], str | Awaitable[str]]

#: Methods that change state and therefore carry an ``Idempotency-Key``.
_KEYED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_RETRY_HEADER = "X-Qoder-Retry-Count"
_FIRST_ATTEMPT = "0"
_CONNECT_TIMEOUT = 10.0
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode

# Idempotency keys come from os.urandom, 256 at a time: one syscall per key would cost a
# noticeable share of a request. The buffer is dropped in a forked child, so parent and
# child can never hand out the same key.
_key_buffer: list[str] = []
os.register_at_fork(after_in_child=_key_buffer.clear)


def new_idempotency_key() -> str:
    """A random UUID4 string."""
    if not _key_buffer:
        raw = os.urandom(16 * 256)
        for offset in range(0, len(raw), 16):
            b = bytearray(raw[offset : offset + 16])
            b[6] = (b[6] & 0x0F) | 0x40  # version 4
            b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
            h = b.hex()
            _key_buffer.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return _key_buffer.pop()


class NotGiven:
    """Sentinel for "argument not passed", distinct from an explicit ``None``."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven()


class _Secret:
    """Holds the API token; its repr never shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<redacted>"


def make_timeout(seconds: float | None) -> aiohttp.ClientTimeout:
    """A per-attempt timeout: ``seconds`` in total, of which at most 10 s to open a socket.

    ``sock_connect`` rather than ``connect``: the latter arms a timer on every request,
    even when a pooled connection is reused; the total bounds waiting for the pool anyway.
    """
    if seconds is None:
        return aiohttp.ClientTimeout(total=None, sock_connect=_CONNECT_TIMEOUT)
    return aiohttp.ClientTimeout(total=seconds, sock_connect=min(seconds, _CONNECT_TIMEOUT))


def check_timeout(value: object, field: str = "timeout") -> float | None:
    """Seconds as a positive finite number, or ``None`` for no limit."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterTypeError(field, f"expected seconds as a number, or None, got {value!r:.40}")
    if not 0 < value < math.inf:
        raise InvalidParameterError(field, f"must be a positive finite number, got {value!r}")
    return float(value)


@attrs.frozen
class PipelineConfig:
    """Everything a pipeline needs to build a request; ``with_options`` evolves a copy."""

    base_url: str
    token: _Secret | None
    token_provider: TokenProvider | None
    timeout: float | None
    retry: RetryPolicy
    headers: Mapping[str, str]
    max_response_bytes: int
    hooks: Hooks | None


class _Call:
    """One logical call: the same headers (and idempotency key) for every attempt."""

    __slots__ = ("data", "headers", "idempotency_key", "method", "path", "query", "started", "url")

    def __init__(
        self,
        method: str,
        path: str,
        url: str,
        headers: dict[str, str],
        data: bytes | None,
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

    def __init__(self, pool: HttpPool, config: PipelineConfig) -> None:
        self.pool = pool
        self.config = config
        self._base_url = config.base_url
        self._retry = config.retry
        self._hooks = config.hooks
        self._max_bytes = config.max_response_bytes
        self._provider = config.token_provider
        self._timeout_seconds = config.timeout
        self._timeout = make_timeout(config.timeout)
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._raw: RawPipeline | None = None
        headers = dict(config.headers)
        if config.token is not None:
            headers["Authorization"] = f"Bearer {config.token.value}"
        headers[_RETRY_HEADER] = _FIRST_ATTEMPT
        self._plain_headers = headers
        self._json_headers = {**headers, "Content-Type": "application/json"}

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
        if body is None:
            headers = self._plain_headers.copy()
            data = None
        else:
            headers = self._json_headers.copy()
            try:
                data = _encode_json(body).encode()
            except (TypeError, ValueError) as exc:
                raise InvalidParameterError("body", f"not JSON-serialisable: {exc}") from None
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
        client_timeout = self._timeout
        if not isinstance(timeout, NotGiven):
            client_timeout = make_timeout(check_timeout(timeout))
        try:
            return await self._attempt(call, 0, parse, client_timeout)
        except APIError as exc:
            first_error = exc
        try:
            if isinstance(first_error, AuthenticationError) and self._provider is not None:
                # A rotated token: ask the provider once more before giving up.
                return await self._attempt(call, 1, parse, client_timeout)
            policy = self._retry
            if policy.max_retries == 0 or not policy.is_retryable(first_error):
                raise first_error

            async def attempt(number: int) -> T:
                return await self._attempt(call, number, parse, client_timeout)

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
        client_timeout: aiohttp.ClientTimeout,
    ) -> T:
        headers = call.headers
        if attempt:
            headers[_RETRY_HEADER] = str(attempt)
        if self._provider is not None:
            await self._authorize(headers)
        deadline = self._retry.deadline
        if deadline is not None:
            client_timeout = self._deadline_timeout(call, deadline, client_timeout)
        hooks = self._hooks
        if hooks is not None and hooks.on_request is not None:
            _fire(
                hooks.on_request, RequestInfo(call.method, call.path, attempt, call.idempotency_key)
            )
        session = self.pool.session()
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
            if self.pool.closed and not _cancel_requested():
                # aclose() cancels aiohttp's waiters for a free connection: nobody cancelled
                # this task, so it must not end as if it had been.
                raise ClientClosedError(
                    "the client was closed while the request waited for a connection"
                ) from None
            raise
        except (TimeoutError, asyncio.TimeoutError) as exc:
            raise APITimeoutError(
                f"{call.method} {call.path} timed out (attempt {attempt})"
            ) from exc
        except (aiohttp.ClientError, OSError, RuntimeError) as exc:
            if isinstance(exc, aiohttp.ClientResponseError):
                _redact_request_info(exc)
            if self.pool.closed:
                raise ClientClosedError(
                    "the client was closed while the request was in flight"
                ) from exc
            if isinstance(exc, RuntimeError) and not isinstance(exc, aiohttp.ClientError):
                raise
            raise APIConnectionError(
                f"{call.method} {call.path} failed: {truncate(_describe_transport(exc), 300)}"
            ) from exc
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
            return self._success(status, response_headers, raw, request_id, parse, started)
        raise status_error(status, raw, response_headers, request_id)

    def _deadline_timeout(
        self, call: _Call, deadline: float, client_timeout: aiohttp.ClientTimeout
    ) -> aiohttp.ClientTimeout:
        remaining = call.started + deadline - time.monotonic()
        if remaining <= 0:
            raise APITimeoutError(f"{call.method} {call.path}: the {deadline:g} s deadline passed")
        total = client_timeout.total
        if total is None or remaining < total:
            return make_timeout(remaining)
        return client_timeout

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
            total=None, sock_connect=_CONNECT_TIMEOUT, sock_read=read_timeout
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
        except (
            TimeoutError,
            asyncio.TimeoutError,
            aiohttp.ClientError,
            OSError,
            RuntimeError,
        ) as exc:
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
                body=truncate(_text(raw)),
                request_id=request_id,
            )
        raise status_error(status, raw, response.headers, request_id)

    def _success(
        self,
        status: int,
        headers: CIMultiDictProxy[str],
        raw: bytes,
        request_id: str | None,
        parse: Callable[[Any], T],
        started: float,
    ) -> T:
        """Turn a 2xx into the call's result (:class:`RawPipeline` keeps the response instead)."""
        return parse_success(status, raw, request_id, parse)

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


def parse_success(status: int, raw: bytes, request_id: str | None, parse: Callable[[Any], T]) -> T:
    """Decode and structure a 2xx body; any failure is an :class:`APIResponseValidationError`."""
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, RecursionError) as exc:
        raise APIResponseValidationError(
            f"HTTP {status} response is not valid JSON: {truncate(_text(raw), 200)!r}",
            status_code=status,
            body=truncate(_text(raw)),
            request_id=request_id,
        ) from exc
    try:
        result = parse(data)
    except Exception as exc:
        # cattrs raises a zoo of exception types for bad shapes; callers get one.
        raise APIResponseValidationError(
            f"HTTP {status} response does not match the documented shape: "
            f"{truncate(_validation_reason(exc), 300)}",
            status_code=status,
            body=truncate(_text(raw)),
            request_id=request_id,
        ) from exc
    if request_id is not None:
        try:
            object.__setattr__(result, "_request_id", request_id)
        except (AttributeError, TypeError):
            pass
    return result


def _fire(hook: Callable[[Any], None], info: object) -> None:
    try:
        hook(info)
    except Exception as exc:
        # Observability must never break a request; the traceback still reaches the log.
        _log.error("a qoder_async hook raised %s; ignored", type(exc).__name__, exc_info=exc)


def checked_extra_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Caller headers: str names and values, no line breaks, and no silent ``Authorization``."""
    if not isinstance(headers, Mapping):
        raise ParameterTypeError(
            "extra_headers", f"expected a mapping, got {type(headers).__name__}"
        )
    out: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ParameterTypeError("extra_headers", "header names and values must be str")
        if any(c in value for c in "\r\n\x00"):
            raise InvalidParameterError(
                "extra_headers", f"header {name!r:.60} contains a line break"
            )
        if _HEADER_NAME.fullmatch(name) is None:
            raise InvalidParameterError("extra_headers", f"{name!r:.60} is not a valid header name")
        if name.lower() == "authorization":
            raise InvalidParameterError(
                "extra_headers",
                "Authorization is set from api_key; pass api_key= (a str or a callable) instead",
            )
        out[name] = value
    return out


def checked_extra_query(query: Mapping[str, Any]) -> dict[str, Any]:
    """Caller query parameters: str names; str, int or float values (or lists of them)."""
    if not isinstance(query, Mapping):
        raise ParameterTypeError("extra_query", f"expected a mapping, got {type(query).__name__}")
    out: dict[str, Any] = {}
    for name, value in query.items():
        if not isinstance(name, str) or not name:
            raise ParameterTypeError("extra_query", "parameter names must be non-empty str")
        items = value if isinstance(value, (list, tuple)) else (value,)
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise ParameterTypeError(
                    f"extra_query[{name!r:.60}]",
                    f"values must be str, int or float, got {type(item).__name__}",
                )
            if isinstance(item, float) and not math.isfinite(item):
                raise InvalidParameterError(f"extra_query[{name!r:.60}]", "must be finite")
        out[name] = value
    return out


def transport_error(
    exc: BaseException, method: str, path: str, attempt: int, *, closed: bool
) -> APIError | ClientClosedError | None:
    """The qoder_async error for an aiohttp/OS failure (``None``: not ours, re-raise it)."""
    if isinstance(exc, aiohttp.ClientResponseError):
        _redact_request_info(exc)
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return APITimeoutError(f"{method} {path} timed out (attempt {attempt})")
    if closed:
        return ClientClosedError("the client was closed while the request was in flight")
    if isinstance(exc, RuntimeError) and not isinstance(exc, aiohttp.ClientError):
        return None
    if not isinstance(exc, (aiohttp.ClientError, OSError)):
        return None
    return APIConnectionError(f"{method} {path} failed: {truncate(_describe_transport(exc), 300)}")


def _cancel_requested() -> bool:
    """Whether the current task was asked to cancel (always assumed so on Python 3.10)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return cancelling is None or cancelling() > 0


def _redact_request_info(exc: aiohttp.ClientResponseError) -> None:
    # aiohttp keeps the request headers, Authorization included, in the exception's
    # request_info and shows them in its repr; the exception stays chained to ours.
    info = exc.request_info
    if "Authorization" not in info.headers:
        return
    headers = CIMultiDict(info.headers)
    headers["Authorization"] = "<redacted>"
    exc.request_info = aiohttp.RequestInfo(
        info.url, info.method, CIMultiDictProxy(headers), info.real_url
    )


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _describe_transport(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _validation_reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing required field {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}"


def status_error(
    status: int,
    raw: bytes,
    headers: CIMultiDictProxy[str] | Mapping[str, str],
    request_id: str | None,
) -> APIStatusError:
    """Map a non-2xx response to its typed error, whatever the body looks like."""
    body: object
    error_type = code = param = None
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        body = truncate(_text(raw))
    message = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = _str_or_none(error.get("message"))
            error_type = _str_or_none(error.get("type"))
            code = _str_or_none(error.get("code"))
            param = _str_or_none(error.get("param"))
        elif isinstance(error, str):
            message = error
        if message is None:
            message = _str_or_none(body.get("message"))
        if request_id is None:
            request_id = _str_or_none(body.get("request_id"))
    if message is None and 300 <= status < 400:
        location = truncate(headers.get("Location") or "", 200)
        message = (
            f"redirect to {location!r} not followed: redirects are never followed, so that "
            "the API key cannot reach another host; check base_url"
        )
    if message is None:
        excerpt = " ".join(_text(raw).split())
        message = f"non-JSON body: {truncate(excerpt, 200)!r}" if excerpt else "empty body"
    # A server can put megabytes in any of these; exception text stays short.
    return status_error_class(status)(
        truncate(message),
        status_code=status,
        type=_short(error_type),
        code=_short(code),
        param=_short(param),
        request_id=_short(request_id),
        body=body,
        headers=headers,
    )


def _short(value: str | None) -> str | None:
    return None if value is None else truncate(value, 200)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


class RawPipeline(Pipeline):
    """Like :class:`Pipeline`, but a successful call returns the :class:`RawResponse`."""

    def _success(
        self,
        status: int,
        headers: CIMultiDictProxy[str],
        raw: bytes,
        request_id: str | None,
        parse: Callable[[Any], T],
        started: float,
    ) -> T:
        elapsed = time.perf_counter() - started
        return RawResponse(status, headers, request_id, elapsed, raw, parse)  # type: ignore[return-value]
