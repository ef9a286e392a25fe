"""RFC 3339 parsing on every supported Python (3.10's fromisoformat rejects "Z")."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from qoder_async._models._timestamps import parse_portable, parse_timestamp

UTC = timezone.utc
CASES = [
    ("2026-05-18T03:40:48.888851795Z", datetime(2026, 5, 18, 3, 40, 48, 888851, UTC)),
    ("2026-05-18T15:26:15.747298Z", datetime(2026, 5, 18, 15, 26, 15, 747298, UTC)),
    ("2026-05-18T03:40:50.321Z", datetime(2026, 5, 18, 3, 40, 50, 321000, UTC)),
    ("2026-05-18T15:26:35.5596Z", datetime(2026, 5, 18, 15, 26, 35, 559600, UTC)),
    ("2026-05-18T12:00:00Z", datetime(2026, 5, 18, 12, 0, 0, 0, UTC)),
    ("2026-05-18t12:00:00z", datetime(2026, 5, 18, 12, 0, 0, 0, UTC)),
    ("2026-05-18T12:00:00", datetime(2026, 5, 18, 12, 0, 0, 0, UTC)),
    (
        "2026-05-18T12:00:00.5+05:30",
        datetime(2026, 5, 18, 12, 0, 0, 500000, timezone(timedelta(hours=5, minutes=30))),
    ),
    (
        "2026-05-18T12:00:00-0800",
        datetime(2026, 5, 18, 12, 0, tzinfo=timezone(timedelta(hours=-8))),
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
@pytest.mark.parametrize("parse", [parse_timestamp, parse_portable])
def test_parses(parse, text: str, expected: datetime) -> None:
    value = parse(text)
    assert value == expected
    assert value.tzinfo is not None


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T00:00:00Z", "2026-05-18", "", "12:00"])
def test_rejects_with_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_portable(text)


def test_rejects_non_strings_with_type_error() -> None:
    with pytest.raises(TypeError):
        parse_timestamp(1747539648)


def test_naive_datetime_becomes_utc() -> None:
    assert parse_timestamp(datetime(2026, 1, 1)).tzinfo is UTC
