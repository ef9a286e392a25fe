"""The one send path: every endpoint call and every event stream goes through :class:`Requester`.

::

    resource method ─ validates its arguments, names method, path, body, query, result
        │
    Requester.request ─ prepare(): headers, auth, idempotency key, per-call options (once)
        │
        ├─ _attempt() ─ rate limiter, token provider, hooks, Request ─▶ transport.send()
        │      2xx: read the body and parse it (or hand a stream its open response)
        │      other: read the body, raise the typed APIStatusError
        │
        └─ on an APIError: retry_call() (tenacity, RetryPolicy) runs _attempt() again
           for transport failures, 408/429/5xx and a 401 with a token provider

The first attempt builds no retry machinery. A stream prepares its call once and comes back
through :meth:`Requester.resend` after every drop, so reconnects follow the same policy.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

import attrs

from ._call import BODY_UNREAD, Call, ClientConfig, attempt_body, encode_body, redact
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    QoderError,
    TokenProviderError,
)
from ._hooks import ErrorInfo, RequestInfo, ResponseInfo, RetryInfo
from ._options import (
    check_extra_body,
    check_option_names,
    check_timeout,
    checked_extra_headers,
    checked_extra_query,
    scope_headers,
)
from ._raw import RawResponse
from ._responses import Parser, malformed, parse_success, status_error
from ._retry import describe, retry_after_seconds, retry_call
from ._transport import AsyncTransport, Request, Response
from ._types import NOT_GIVEN, NotGiven
from ._validation import check_idempotency_key, check_int_range, new_idempotency_key

__all__ = ["Call", "ClientConfig", "Requester"]

T = TypeVar("T")

_log = logging.getLogger("qoder_async")

#: Methods that change state and therefore carry an ``Idempotency-Key``.
_KEYED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_RETRY_HEADER = "X-Qoder-Retry-Count"
_EVENT_STREAM = "text/event-stream"


class Requester:
    """Sends the calls of one client (or one ``with_options`` view) through its transport."""

    def __init__(
        self,
        transport: AsyncTransport,
        config: ClientConfig,
        *,
        raw: bool = False,
        api_headers: bool = True,
    ):
        self.transport = transport
        self.config = config
        #: Whether a 2xx returns the :class:`RawResponse` instead of the parsed result.
        self.raw = raw
        self._base_url = config.base_url
        self._retry = config.retry
        self._hooks = config.hooks
        self._provider = config.token_provider
        self._max_bytes = config.max_response_bytes
        self._limiter = config.rate_limiter
        self._limit_reads = config.limit_reads
        headers = dict(config.headers)
        if config.token is not None:
            headers["Authorization"] = f"Bearer {config.token.value}"
        if api_headers:
            headers[_RETRY_HEADER] = "0"
        self._headers = headers
        self._raw_twin: Requester | None = None

    def with_raw_response(self) -> Requester:
        """A requester over the same transport and config whose calls return RawResponse."""
        twin = self._raw_twin
        if twin is None:
            twin = self._raw_twin = Requester(self.transport, self.config, raw=True)
        return twin

    def without_api_headers(self) -> Requester:
        """A requester over the same transport, timeout and retry policy that sends none of
        the API's headers (no ``Authorization``, defaults or retry count): for a URL the API
        hands out, such as a file's download URL."""
        config = attrs.evolve(self.config, token=None, token_provider=None, headers={})
        return Requester(self.transport, config, api_headers=False)

    # -- building -------------------------------------------------------------------------

    def prepare(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: tuple[str, ...] = (),
    ) -> Call:
        """Build the call once: headers, body, idempotency key, the call's options.

        ``path`` must already be validated and quoted by the resource that builds it;
        ``headers`` are the endpoint's own (the caller's ``extra_headers`` win over them);
        ``secrets`` are values of the body that responses are cleaned of (see ``redact``).
        """
        headers = {**self._headers, **headers} if headers else self._headers.copy()
        timeout = self.config.timeout
        max_retries = self._retry.max_retries
        key = extra_headers = None
        if options:
            check_option_names(options)
            # An option given as None is an option not given (timeout=None: no time limit).
            get = options.get
            if get("extra_body") is not None:
                body = {**(body or {}), **check_extra_body(options["extra_body"])}
            if get("extra_query") is not None:
                extra_query = checked_extra_query(options["extra_query"])
                query = {**query, **extra_query} if query else extra_query
            if get("extra_headers") is not None:
                extra_headers = checked_extra_headers(options["extra_headers"])
            if not isinstance(get("timeout", NOT_GIVEN), NotGiven):
                timeout = check_timeout(options["timeout"])
            if get("max_retries") is not None:
                max_retries = check_int_range("max_retries", options["max_retries"], 0, 100)
            if get("idempotency_key") is not None:
                key = check_idempotency_key(options["idempotency_key"])
            if get("workspace_id") is not None or get("betas") is not None:
                headers.update(scope_headers(get("workspace_id"), get("betas")))
        content = None if body is None else encode_body(body, headers)
        if method in _KEYED_METHODS:
            # Chosen once per logical call and reused by every retry, so a retried create
            # replays the stored response instead of creating a second session.
            if key is None:
                key = new_idempotency_key()
            headers["Idempotency-Key"] = key
        if extra_headers:
            headers.update(extra_headers)
        deadline = self._retry.deadline
        return Call(
            method,
            path,
            self._base_url + path,
            headers,
            query,
            content,
            key,
            timeout,
            max_retries,
            None if deadline is None else time.monotonic() + deadline,
            self._provider is not None,
            secrets=secrets,
        )

    def prepare_stream(
        self,
        path: str,
        *,
        query: Mapping[str, Any] | None,
        idle_timeout: float | None,
        max_reconnects: int,
    ) -> Call:
        """A long-lived ``GET`` of an event stream: no total time limit and no deadline,
        ``idle_timeout`` for every wait for bytes, ``max_reconnects`` retries per drop."""
        call = self.prepare("GET", path, query=query)
        call.headers["Accept"] = _EVENT_STREAM
        call.timeout = None
        call.read_timeout = idle_timeout
        call.max_retries = max_reconnects
        call.deadline = None
        return call

    # -- sending --------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        parse: Parser[T],
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: tuple[str, ...] = (),
    ) -> T:
        """Send one call and return ``parse(decoded body, request id)`` (or the raw response)."""
        call = self.prepare(
            method, path, body=body, query=query, options=options, headers=headers, secrets=secrets
        )
        try:
            try:
                result = await self._attempt(call, parse)
            except APIError as error:
                result = await self.resend(call, parse, error)
        except APIError as error:
            self._failed(call, error)
            raise
        return result  # type: ignore[no-any-return]

    async def open_stream(self, call: Call, parse: Parser[Any] | None = None) -> Response:
        """Open the stream of ``call``: the 2xx ``text/event-stream`` response, body unread
        (with ``parse=BODY_UNREAD``, any 2xx response: a download)."""
        try:
            response = await self._attempt(call, parse)
        except APIError as error:
            response = await self.resend(call, parse, error)
        return response  # type: ignore[no-any-return]

    async def resend(self, call: Call, parse: Parser[Any] | None, error: APIError) -> Any:
        """Attempt ``call`` again after ``error``, as long as the retry policy allows."""
        policy = self._retry
        if not policy.is_retryable(error) and not (
            call.refreshable and isinstance(error, AuthenticationError)
        ):
            raise error

        async def again() -> Any:
            call.attempt += 1
            return await self._attempt(call, parse)

        def announce(delay: float, cause: BaseException) -> None:
            self._announce_retry(call, delay, cause)

        return await retry_call(policy, call, error, again, announce)

    async def _attempt(self, call: Call, parse: Parser[Any] | None) -> Any:
        limiter = self._limiter
        if limiter is not None and (self._limit_reads or call.method in _KEYED_METHODS):
            await limiter.acquire()
        headers = call.headers
        attempt = call.attempt
        if attempt or self._provider is not None:
            # Each attempt's own headers: a transport may keep the Request it was given.
            headers = headers.copy()
            if attempt and _RETRY_HEADER in headers:  # not to hosts other than the API's
                headers[_RETRY_HEADER] = str(attempt)
            if self._provider is not None:
                await self._authorize(headers)
        timeout = call.timeout
        if call.deadline is not None:
            timeout = _within_deadline(call, timeout)
        hooks = self._hooks
        if hooks is not None and hooks.on_request is not None:
            _fire(
                hooks.on_request, RequestInfo(call.method, call.path, attempt, call.idempotency_key)
            )
        content: bytes | AsyncIterator[bytes] | None = None
        failures: list[QoderError] | None = None
        if callable(call.content):
            failures = []  # raised instead of the transport's error if the body itself failed
            content = attempt_body(call.content, failures)
        else:
            content = call.content
        started = time.perf_counter()
        try:
            response = await self.transport.send(
                Request(
                    call.method,
                    call.url,
                    call.path,
                    headers,
                    call.params,
                    content,
                    timeout,
                    call.read_timeout,
                )
            )
        except APIConnectionError:
            if failures:
                raise failures[0] from None
            raise
        keep_open = False
        try:
            status = response.status
            response_headers = response.headers
            request_id = response_headers.get("x-request-id") or response_headers.get("request-id")
            elapsed = time.perf_counter() - started
            if hooks is not None and hooks.on_response is not None:
                info = ResponseInfo(call.method, call.path, attempt, status, elapsed, request_id)
                _fire(hooks.on_response, info)
            if _log.isEnabledFor(logging.DEBUG):
                _log.debug(
                    "%s %s -> %s attempt=%d elapsed_ms=%.1f request_id=%s",
                    call.method,
                    call.path,
                    status,
                    attempt,
                    elapsed * 1000.0,
                    request_id,
                )
            success = 200 <= status < 300
            if success and (parse is None or parse is BODY_UNREAD):
                content_type = response_headers.get("Content-Type", "")
                media_type = content_type.partition(";")[0].strip().lower()
                if parse is BODY_UNREAD or media_type == _EVENT_STREAM:
                    keep_open = True  # a stream's or a download's body is read by its consumer
                    return response
            body = await self._read(response, call, request_id)
            if call.secrets:
                body = redact(body, call.secrets)
        finally:
            if not keep_open:
                response.close()
        if not success:
            if status == 429 and limiter is not None:
                # Every process sharing the limiter holds back, not only this one.
                wait = retry_after_seconds(response_headers)
                await limiter.pause(min(1.0 if wait is None else wait, self._retry.max_retry_after))
            raise status_error(status, body, response_headers, request_id, call.method, call.path)
        if parse is None:
            got = response_headers.get("Content-Type", "")
            problem = f"to GET {call.path} is not {_EVENT_STREAM} but {got!r:.80}"
            raise malformed(problem, status, body, request_id)
        if self.raw:
            return RawResponse(status, response_headers, request_id, elapsed, body, parse)
        return parse_success(status, body, request_id, parse)

    async def _read(self, response: Response, call: Call, request_id: str | None) -> bytes:
        body = await response.read(self._max_bytes)
        if body is None:
            length = response.headers.get("Content-Length")
            size = f" of {length} bytes" if length else ""
            raise APIResponseValidationError(
                f"{call.method} {call.path}: response body{size} exceeds "
                f"max_response_bytes={self._max_bytes}",
                status_code=response.status,
                request_id=request_id,
            )
        return body

    async def _authorize(self, headers: dict[str, str]) -> None:
        provider = self._provider
        assert provider is not None
        try:
            token = provider()
            if inspect.isawaitable(token):
                token = await token
        except Exception as exc:
            raise TokenProviderError(
                f"the api_key provider raised {type(exc).__name__}; no request was sent"
            ) from exc
        if not isinstance(token, str) or not token or "\n" in token or "\r" in token:
            raise TokenProviderError("the api_key provider must return a non-empty str token")
        headers["Authorization"] = f"Bearer {token}"

    # -- logging and hooks ----------------------------------------------------------------

    def _announce_retry(self, call: Call, delay: float, error: BaseException) -> None:
        # INFO, as openai does: a retry that succeeds is not a problem to warn about, and a
        # call that fails for good raises.
        _log.info(
            "%s %s: retrying in %.2f s (attempt %d failed: %s)",
            call.method,
            call.path,
            delay,
            call.attempt,
            describe(error),
        )
        hooks = self._hooks
        if hooks is not None and hooks.on_retry is not None:
            _fire(hooks.on_retry, RetryInfo(call.method, call.path, call.attempt, delay, error))

    def _failed(self, call: Call, error: APIError) -> None:
        hooks = self._hooks
        if hooks is not None and hooks.on_error is not None:
            _fire(hooks.on_error, ErrorInfo(call.method, call.path, call.attempt, error))


def _within_deadline(call: Call, timeout: float | None) -> float:
    assert call.deadline is not None
    remaining = call.deadline - time.monotonic()
    if remaining <= 0:
        raise APITimeoutError(f"{call.method} {call.path}: the call's deadline passed")
    return remaining if timeout is None or remaining < timeout else timeout


def _fire(hook: Callable[[Any], None], info: object) -> None:
    try:
        hook(info)
    except Exception as exc:
        # Observability must never break a request; the traceback still reaches the log.
        _log.error("a qoder_async hook raised %s; ignored", type(exc).__name__, exc_info=exc)
