"""RFC 3339 timestamps as the API writes them, on every supported Python.

Python 3.10's ``datetime.fromisoformat`` rejects a ``Z`` suffix and more than six
fractional digits; the API sends both (``2026-05-18T03:40:48.888851795Z``).
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone

__all__ = ["parse_optional_timestamp", "parse_portable", "parse_timestamp"]

# 3.11+ parses RFC 3339 (any fraction, "Z") natively, much faster than the regex path.
_NATIVE = sys.version_info >= (3, 11)
_fromisoformat = datetime.fromisoformat

# A pattern string: ``re`` keeps it compiled in its own cache for the (rare) portable path.
_RFC3339 = (
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)"  # date, time
    r"(?:[.,](\d+))?"  # any number of fractional digits
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?"  # offset
)


def parse_timestamp(value: object) -> datetime:
    """Parse an RFC 3339 string into a timezone-aware ``datetime``.

    Fractions beyond microseconds are truncated; a missing offset is taken as UTC.

    Example::

        >>> parse_timestamp("2026-05-18T03:40:48.888851795Z").isoformat()
        '2026-05-18T03:40:48.888851+00:00'
    """
    if type(value) is not str:  # checked first: every response timestamp is a str
        if isinstance(value, datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        if not isinstance(value, str):
            raise TypeError(f"expected an RFC 3339 string, got {type(value).__name__}")
    if _NATIVE and len(value) > 18 and value[10] in "Tt":
        try:
            parsed = _fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
    return parse_portable(value)


def parse_optional_timestamp(value: object, _: object = None) -> datetime | None:
    """:func:`parse_timestamp` for an optional field (``None`` stays ``None``); a cattrs hook.

    Example::

        >>> parse_optional_timestamp(None) is None
        True
    """
    return None if value is None else parse_timestamp(value)


def parse_portable(value: str) -> datetime:
    """The regex path of :func:`parse_timestamp`, which every supported Python can run."""
    match = re.fullmatch(_RFC3339, value.strip())
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {value[:64]!r}")
    date, clock, fraction, offset = match.groups()
    if len(clock) == 5:
        clock += ":00"
    micros = (fraction or "")[:6].ljust(6, "0")
    if offset is None or offset in ("Z", "z"):
        offset = "+00:00"
    elif len(offset) == 3:
        offset += ":00"
    elif ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    return datetime.fromisoformat(f"{date}T{clock}.{micros}{offset}")
