"""The exception tree.

Every failure the client can produce is one of these::

    QoderError                      anything raised by qoder_async
    ├── ClientClosedError           the client was used after aclose()
    ├── InvalidParameterError       (also ValueError) WE refused an argument: nothing was sent
    │   └── ParameterTypeError      (also TypeError) argument of the wrong type
    └── APIError                    a request was attempted
        ├── APIConnectionError      no usable HTTP response (refused, reset, truncated)
        │   └── APITimeoutError     connect or read timed out
        ├── APIResponseValidationError   the SERVER's 2xx body is not what the API documents
        ├── TokenProviderError      the api_key callable failed
        ├── RateLimiterUnavailableError  the shared rate limiter (Redis) cannot be reached
        └── APIStatusError          non-2xx answer
            ├── BadRequestError     400: the SERVER refused the request
            ├── AuthenticationError     401
            ├── PermissionDeniedError   403
            ├── NotFoundError           404
            ├── ConflictError           409
            ├── UnprocessableEntityError 422
            ├── RateLimitError          429
            └── InternalServerError     >= 500

Error text is built from what the server said, truncated, and never contains the API key.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ClientClosedError",
    "ConflictError",
    "InternalServerError",
    "BadRequestError",
    "InvalidParameterError",
    "NotFoundError",
    "ParameterTypeError",
    "PermissionDeniedError",
    "QoderError",
    "RateLimitError",
    "RateLimiterUnavailableError",
    "TokenProviderError",
    "UnprocessableEntityError",
]

#: Longest excerpt of a server body or header copied into an exception message.
MAX_ECHO_CHARS = 500


def truncate(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """Shorten ``text`` to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters]"


class QoderError(Exception):
    """Base class of every exception raised by ``qoder_async``.

    Example::

        try:
            await client.sessions.create(agent="agent_1", environment_id="env_1")
        except qoder_async.QoderError as exc:
            log.error("qoder call failed: %s", exc)
    """


class ClientClosedError(QoderError):
    """The client (or the pool it shares) was closed; create a new :class:`AsyncQoder`.

    Example::

        except qoder_async.ClientClosedError: client = AsyncQoder()
    """


class InvalidParameterError(QoderError, ValueError):
    """An argument failed client-side validation; no request was sent.

    Not to be confused with :class:`BadRequestError` (the server refused a request) or
    :class:`APIResponseValidationError` (the server's answer was malformed).

    ``field`` names the offending argument (``"metadata"``, ``"events[0].content"``, ...).

    Example::

        try:
            await client.sessions.create(agent="nope", environment_id="env_1")
        except ValueError as exc:   # InvalidParameterError is a ValueError
            assert exc.field == "agent"
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class ParameterTypeError(InvalidParameterError, TypeError):
    """An argument has the wrong type; no request was sent. Also a ``TypeError``.

    Example::

        except TypeError as exc: print(exc)  # "environment_id: expected a env_... id string..."
    """


class APIError(QoderError):
    """A request was attempted and failed; ``request_id`` is set when the server sent one.

    Example::

        except qoder_async.APIError as exc: log.warning("%s (request %s)", exc, exc.request_id)
    """

    request_id: str | None

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id


class APIConnectionError(APIError):
    """No usable HTTP response: refused, reset, closed early, truncated body.

    ``retryable`` is ``False`` for failures another attempt cannot cure (a TLS certificate
    that does not verify).

    Example::

        except qoder_async.APIConnectionError as exc: retry_later(exc.retryable)
    """

    def __init__(
        self, message: str, *, request_id: str | None = None, retryable: bool = True
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.retryable = retryable


class APITimeoutError(APIConnectionError):
    """The connection or a read did not finish within the configured timeout.

    Example::

        except qoder_async.APITimeoutError: client = client.with_options(timeout=120)
    """


class TokenProviderError(APIError):
    """The ``api_key`` callable raised or returned something that is not a usable token.

    Example::

        except qoder_async.TokenProviderError as exc: alert("secrets backend", exc.__cause__)
    """


class RateLimiterUnavailableError(APIError):
    """The shared rate limiter could not be reached, so nothing was sent: the client fails
    closed rather than run unlimited (``rate_limit_fallback`` chooses a local limit instead).

    Example::

        except qoder_async.RateLimiterUnavailableError: retry_later()  # Redis is down
    """


class APIResponseValidationError(APIError):
    """A 2xx response whose body is not JSON or lacks what the API documents.

    The request went through; it is the server's answer that could not be read (or was
    larger than ``max_response_bytes``).

    ``status_code`` and a truncated ``body`` excerpt are kept for diagnosis.

    Example::

        except qoder_async.APIResponseValidationError as exc: log.error("%s", exc.body)
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: str = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.status_code = status_code
        self.body = body


class APIStatusError(APIError):
    """The server answered with a non-2xx status.

    Attributes: ``status_code``, ``type`` (the body's ``error.type``), ``code``
    (``error.code`` when present), ``message``, ``param``, ``request_id``, ``body``
    (the decoded JSON body, or the text excerpt when it was not JSON), ``headers``, and
    the ``method`` and ``path`` of the request. ``str(error)`` reads
    ``404 Not Found from GET /sessions/sess_1: session not found (request_id=req_1)``.

    Example::

        try:
            await client.sessions.retrieve("sess_missing")
        except qoder_async.NotFoundError as exc:
            print(exc.status_code, exc.type, exc.request_id)
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.method = method
        self.path = path
        self.status_code = status_code
        self.type = type
        self.code = code
        self.param = param
        self.body = body
        self.headers: Mapping[str, str] = headers if headers is not None else {}

    def __str__(self) -> str:
        try:
            reason = HTTPStatus(self.status_code).phrase
        except ValueError:
            reason = "HTTP error"
        text = f"{self.status_code} {reason}"
        if self.method and self.path:
            text += f" from {self.method} {self.path}"
        if self.type and self.type not in ("error", "api_error"):
            text += f" ({self.type})"
        text += f": {truncate(self.message)}"
        if self.status_code == 401:
            text += (
                "; check the token: the client reads api_key=, else $QODER_PAT, "
                "else $QODER_ACCESS_TOKEN"
            )
        if self.request_id:
            text += f" (request_id={self.request_id})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors need help to survive pickling (multiprocessing workers).
        return (
            _rebuild_status_error,
            (
                type(self),
                self.message,
                self.status_code,
                self.type,
                self.request_id,
                self.method,
                self.path,
            ),
        )


def _rebuild_status_error(
    cls: type[APIStatusError],
    message: str,
    status_code: int,
    type_: str | None,
    request_id: str | None,
    method: str | None = None,
    path: str | None = None,
) -> APIStatusError:
    return cls(
        message,
        status_code=status_code,
        type=type_,
        request_id=request_id,
        method=method,
        path=path,
    )


class BadRequestError(APIStatusError):
    """HTTP 400: the server rejected the request body or parameters.

    Arguments the client can check itself fail earlier, with :class:`InvalidParameterError`
    and nothing sent; this one means the server saw the request and refused it.
    (Formerly ``InvalidRequestError``; that name still works for one release, with a warning.)

    Example::

        except qoder_async.BadRequestError as exc: print(exc.param, exc.message)
    """


class AuthenticationError(APIStatusError):
    """HTTP 401: the token is missing, malformed, expired or revoked.

    Example::

        except qoder_async.AuthenticationError: rotate_token()
    """


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the token is valid but may not touch this resource.

    Example::

        except qoder_async.PermissionDeniedError as exc: print(exc.request_id)
    """


class NotFoundError(APIStatusError):
    """HTTP 404: the session, agent or environment does not exist.

    Example::

        except qoder_async.NotFoundError: session = None
    """


class ConflictError(APIStatusError):
    """HTTP 409: a state conflict, or an idempotency key reused with a different body.

    Example::

        except qoder_async.ConflictError as exc: print(exc.type, exc.message)
    """


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: the request was understood but cannot be processed.

    Example::

        except qoder_async.UnprocessableEntityError as exc: print(exc.body)
    """


class RateLimitError(APIStatusError):
    """HTTP 429: slow down; retried by the default policy, honouring ``Retry-After``.

    Example::

        except qoder_async.RateLimitError as exc: print(exc.headers.get("retry-after"))
    """


class InternalServerError(APIStatusError):
    """HTTP 5xx: the server or a gateway in front of it failed.

    Example::

        except qoder_async.InternalServerError as exc: print(exc.status_code, exc.request_id)
    """


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP status (``>= 500`` is :class:`InternalServerError`)."""
    if status >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status, APIStatusError)
