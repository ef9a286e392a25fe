"""Per-call options: one typed bag every endpoint accepts, checked in one place."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from ._errors import InvalidParameterError, ParameterTypeError
from ._types import NotGiven

__all__ = [
    "RequestOptions",
    "check_extra_body",
    "check_option_names",
    "check_timeout",
    "scope_headers",
    "checked_extra_headers",
    "checked_extra_query",
]

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class RequestOptions(TypedDict, total=False):
    """Options every endpoint method takes as keyword arguments, for that one call.

    Keys:
        timeout: seconds per attempt, ``None`` for no limit (default: the client's).
        max_retries: retries for this call (default: the client's ``RetryPolicy``).
        idempotency_key: the ``Idempotency-Key`` of a write (default: a fresh UUID4,
            repeated by every retry).
        extra_headers: headers added to the request (``Authorization`` is refused).
        extra_query: query parameters added to the URL.
        extra_body: JSON fields merged into the body of a write.
        workspace_id: sent as ``qoder-workspace-id`` for this call.
        betas: beta feature ids, sent comma-joined as ``x-qoder-beta`` for this call.

    Example::

        session = await client.sessions.retrieve(
            "sess_01", timeout=5, extra_headers={"X-Trace": "abc"}
        )
    """

    timeout: float | NotGiven | None
    max_retries: int
    idempotency_key: str
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, Any]
    extra_body: Mapping[str, Any]
    workspace_id: str
    betas: Sequence[str]


_KNOWN = frozenset(RequestOptions.__annotations__)


def check_option_names(options: Mapping[str, Any]) -> None:
    """A misspelt per-call option fails loudly instead of being ignored."""
    unknown = set(options) - _KNOWN
    if unknown:
        name = sorted(unknown)[0]
        raise ParameterTypeError(name, "unexpected keyword argument for this method")


def check_extra_body(body: object) -> dict[str, Any]:
    """JSON fields merged into a write's body: a mapping with str keys."""
    if not isinstance(body, Mapping) or not all(isinstance(k, str) for k in body):
        raise ParameterTypeError("extra_body", "expected a mapping with str keys")
    return dict(body)


def check_timeout(value: object, field: str = "timeout") -> float | None:
    """Seconds as a positive finite number, or ``None`` for no limit."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterTypeError(field, f"expected seconds as a number, or None, got {value!r:.40}")
    if not 0 < value < math.inf:
        raise InvalidParameterError(field, f"must be a positive finite number, got {value!r}")
    return float(value)


def checked_extra_headers(
    headers: Mapping[str, str], field: str = "extra_headers"
) -> dict[str, str]:
    """Caller headers: str names and values, no line breaks, and no silent ``Authorization``."""
    if not isinstance(headers, Mapping):
        raise ParameterTypeError(field, f"expected a mapping, got {type(headers).__name__}")
    out: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ParameterTypeError(field, "header names and values must be str")
        if any(c in value for c in "\r\n\x00"):
            raise InvalidParameterError(field, f"header {name!r:.60} contains a line break")
        if _HEADER_NAME.fullmatch(name) is None:
            raise InvalidParameterError(field, f"{name!r:.60} is not a valid header name")
        if name.lower() == "authorization":
            raise InvalidParameterError(
                field,
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


def scope_headers(workspace_id: object, betas: object) -> dict[str, str]:
    """The ``qoder-workspace-id`` and ``x-qoder-beta`` headers, checked (``None``: not sent)."""
    headers: dict[str, str] = {}
    if workspace_id is not None:
        if not isinstance(workspace_id, str) or not workspace_id.isprintable() or not workspace_id:
            raise InvalidParameterError("workspace_id", "expected a non-empty printable str")
        headers["qoder-workspace-id"] = workspace_id
    if betas is not None:
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence):
            raise ParameterTypeError("betas", "expected a list of beta ids")
        if not all(isinstance(beta, str) and beta for beta in betas):
            raise ParameterTypeError("betas", "expected a list of beta ids")
        if any("," in beta or not beta.isprintable() for beta in betas):
            raise InvalidParameterError("betas", "beta ids must be printable and contain no comma")
        if betas:
            headers["x-qoder-beta"] = ",".join(betas)
    return headers
