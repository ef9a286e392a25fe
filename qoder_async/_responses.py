"""Turning what the server sent (or failed to send) into results and typed errors.

Pure functions, no I/O: the send path calls them with a status, headers and bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ._errors import APIResponseValidationError, APIStatusError, status_error_class, truncate

__all__ = ["Parser", "malformed", "parse_success", "status_error", "text_excerpt"]

T = TypeVar("T")

#: A result parser: structures a decoded 2xx body, given the response's request id.
Parser = Callable[[Any, str | None], T]


def parse_success(status: int, raw: bytes, request_id: str | None, parse: Parser[T]) -> T:
    """Decode and structure a 2xx body; any failure is an :class:`APIResponseValidationError`."""
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, RecursionError) as exc:
        excerpt = truncate(text_excerpt(raw), 200)
        raise malformed(f"is not valid JSON: {excerpt!r}", status, raw, request_id) from exc
    try:
        return parse(data, request_id)
    except Exception as exc:
        # cattrs raises a zoo of exception types for bad shapes; callers get one.
        reason = truncate(_validation_reason(exc), 300)
        raise malformed(
            f"does not match the documented shape: {reason}", status, raw, request_id
        ) from exc


def malformed(
    problem: str, status: int, raw: bytes, request_id: str | None
) -> APIResponseValidationError:
    """The error for a 2xx response whose body ``problem`` (a phrase) says what is wrong."""
    return APIResponseValidationError(
        f"HTTP {status} response {problem}",
        status_code=status,
        body=truncate(text_excerpt(raw)),
        request_id=request_id,
    )


def text_excerpt(raw: bytes) -> str:
    """The body as text, whatever its encoding, for messages."""
    return raw.decode("utf-8", errors="replace")


def _validation_reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing required field {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}"


def status_error(
    status: int,
    raw: bytes,
    headers: Mapping[str, str],
    request_id: str | None,
    method: str | None = None,
    path: str | None = None,
) -> APIStatusError:
    """Map a non-2xx response to its typed error, whatever the body looks like."""
    body: object
    error_type = code = param = None
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        body = truncate(text_excerpt(raw))
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
        excerpt = " ".join(text_excerpt(raw).split())
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
        method=method,
        path=path,
    )


def _short(value: str | None) -> str | None:
    return None if value is None else truncate(value, 200)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
