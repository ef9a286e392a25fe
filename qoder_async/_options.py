"""Per-call options: timeouts as aiohttp wants them, and checks of caller headers and query."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import aiohttp

from ._errors import InvalidParameterError, ParameterTypeError

__all__ = [
    "CONNECT_TIMEOUT",
    "check_timeout",
    "checked_extra_headers",
    "checked_extra_query",
    "make_timeout",
]

#: Longest wait to open a TCP (and TLS) connection, whatever the total timeout.
CONNECT_TIMEOUT = 10.0
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def make_timeout(seconds: float | None, *, watched: bool) -> aiohttp.ClientTimeout:
    """aiohttp's part of a per-attempt limit of ``seconds``: at most 10 s to open a socket.

    ``watched``: a :class:`~qoder_async._deadlines.DeadlineWatch` enforces the total, so
    aiohttp gets none (its total arms a timer per request). ``sock_connect`` rather than
    ``connect``: the latter arms a timer on every request, even when a pooled connection
    is reused; the total bounds waiting for the pool anyway.
    """
    if seconds is None:
        return aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT)
    total = None if watched else seconds
    return aiohttp.ClientTimeout(total=total, sock_connect=min(seconds, CONNECT_TIMEOUT))


def check_timeout(value: object, field: str = "timeout") -> float | None:
    """Seconds as a positive finite number, or ``None`` for no limit."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterTypeError(field, f"expected seconds as a number, or None, got {value!r:.40}")
    if not 0 < value < math.inf:
        raise InvalidParameterError(field, f"must be a positive finite number, got {value!r}")
    return float(value)


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
