"""What the commands share: exit statuses, usage errors, the client, error records."""

from __future__ import annotations

import os
from typing import Any

from .._client import AsyncQoder
from .._errors import APIStatusError, InvalidParameterError

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "error_record",
    "make_client",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A usage or configuration problem, reported as one line with exit status 2."""


def make_client(base_url: str | None, **options: Any) -> AsyncQoder:
    """An :class:`AsyncQoder` configured from the environment; problems are usage errors."""
    if not (os.environ.get("QODER_PAT") or os.environ.get("QODER_ACCESS_TOKEN")):
        raise UsageError("no API key: set QODER_PAT (or QODER_ACCESS_TOKEN)")
    try:
        return AsyncQoder(base_url=base_url, **options)
    except InvalidParameterError as exc:
        raise UsageError(str(exc)) from None


def error_record(error: BaseException, prefix: str = "") -> dict[str, Any]:
    """``{"type", "status_code", "message", "request_id"}`` for an output line or a message."""
    message = error.message if isinstance(error, APIStatusError) else str(error)
    return {
        "type": type(error).__name__,
        "status_code": getattr(error, "status_code", None),
        "message": prefix + message,
        "request_id": getattr(error, "request_id", None),
    }
