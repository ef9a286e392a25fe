"""Turning what the server sent (or failed to send) into results and typed errors.

Pure functions, no I/O: the pipeline and the event stream call them with a status, headers
and bytes, or with the aiohttp/OS exception an attempt raised.
"""

from __future__ import annotations

import asyncio
import json
import json.scanner
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    status_error_class,
    truncate,
)

__all__ = ["TRANSPORT_FAILURES", "parse_success", "status_error", "text_excerpt", "transport_error"]

T = TypeVar("T")

#: What an attempt can raise when no usable response arrived (mapped by transport_error).
TRANSPORT_FAILURES = (
    TimeoutError,
    asyncio.TimeoutError,
    aiohttp.ClientError,
    OSError,
    RuntimeError,
)


# The C scanner behind json.loads, called directly: json.loads adds encoding detection and
# two layers of Python calls, a tenth of decoding a typical response. Anything unusual (a
# BOM, UTF-16, surrounding whitespace, invalid JSON) goes through json.loads itself.
# (typeshed types make_scanner's argument as a scanner; it takes the decoder's settings.)
_scan_json: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]
)


def decode_json(raw: bytes) -> Any:
    """``json.loads(raw)``, faster for the compact UTF-8 bodies the API sends."""
    try:
        text = raw.decode()
        value, end = _scan_json(text, 0)
    except (StopIteration, ValueError):  # UnicodeDecodeError and JSONDecodeError included
        return json.loads(raw)  # decodes it the long way, or raises what json.loads raises
    if end != len(text):
        return json.loads(raw)
    return value


def parse_success(status: int, raw: bytes, request_id: str | None, parse: Callable[[Any], T]) -> T:
    """Decode and structure a 2xx body; any failure is an :class:`APIResponseValidationError`."""
    try:
        data = decode_json(raw) if raw else None
    except (ValueError, RecursionError) as exc:
        raise APIResponseValidationError(
            f"HTTP {status} response is not valid JSON: {truncate(text_excerpt(raw), 200)!r}",
            status_code=status,
            body=truncate(text_excerpt(raw)),
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
            body=truncate(text_excerpt(raw)),
            request_id=request_id,
        ) from exc
    if request_id is not None:
        try:
            object.__setattr__(result, "_request_id", request_id)
        except (AttributeError, TypeError):
            pass
    return result


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
    # A certificate that does not verify will not verify on the next attempt either.
    permanent = isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError))
    return APIConnectionError(
        f"{method} {path} failed: {truncate(_describe_transport(exc), 300)}",
        retryable=not permanent,
    )


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


def text_excerpt(raw: bytes) -> str:
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
    )


def _short(value: str | None) -> str | None:
    return None if value is None else truncate(value, 200)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
