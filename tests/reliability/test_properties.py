"""Property-based tests of everything that parses what a server sends.

Whatever bytes or JSON arrive, the parsers return a value or raise the library's own
errors; never a JSONDecodeError, KeyError, cattrs exception or RecursionError. The SSE
decoder gives the same frames however the bytes are split into chunks.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from qoder_async import APIError, APIResponseValidationError, APIStatusError, RetryPolicy, Session
from qoder_async._errors import status_error_class
from qoder_async._models._converter import structurer
from qoder_async._models.event_base import Event
from qoder_async._models.events import EVENT_TYPES
from qoder_async._pagination import page_parser
from qoder_async._responses import parse_success, status_error
from qoder_async._retry import retry_after_seconds
from qoder_async._sse import FrameTooLargeError, ServerSentEvent, SSEDecoder
from qoder_async._streaming import frame_event

parse_session = structurer(Session)
parse_event = structurer(Event)
parse_event_page = page_parser(parse_event)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=10,
)
#: Lighter values for the many fields of an object, so that generation stays quick.
field_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=4,
)
SESSION_FIELDS = [f.name for f in attrs.fields(Session) if not f.name.startswith("_")]
session_like = st.fixed_dictionaries(
    {}, optional=dict.fromkeys([*SESSION_FIELDS, "request_id", "next_page"], field_values)
)
timestamps = st.sampled_from(
    ["2026-05-18T03:40:48.888851795Z", "2026-05-18T03:40:48Z", "2026-05-18", "", "Z", "yesterday"]
)
event_like = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(EVENT_TYPES)) | st.text(max_size=12)},
    optional={
        "id": st.text(max_size=12),
        "content": field_values,
        "processed_at": timestamps | field_values,
        "created_at": timestamps,
        "stop_reason": field_values,
        "error": field_values,
        "usage": field_values,
        "name": field_values,
        "input": field_values,
        "event": field_values,
        "delta": field_values,
    },
)
bodies = (
    st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | session_like.map(lambda v: json.dumps(v).encode())
)


def _only_library_errors(parse: Any, raw: bytes) -> object:
    try:
        return parse_success(201, raw, "req_1", parse)
    except APIResponseValidationError as exc:
        error = exc
    assert error.status_code == 201
    assert len(str(error)) < 1_000
    return error


@settings(max_examples=150, deadline=None)
@given(raw=bodies)
def test_session_parser_returns_a_session_or_a_validation_error(raw: bytes) -> None:
    result = _only_library_errors(parse_session, raw)
    assert isinstance(result, (Session, APIResponseValidationError))


@settings(max_examples=150, deadline=None)
@given(payload=event_like)
def test_event_parser_never_fails_on_an_event_object(payload: dict[str, Any]) -> None:
    # Unknown types and unreadable shapes become UnknownEvent: a stream never dies on them.
    result = _only_library_errors(parse_event, json.dumps(payload).encode())
    assert isinstance(result, Event)


@settings(max_examples=150, deadline=None)
@given(
    envelope=st.fixed_dictionaries(
        {},
        optional={
            "data": st.lists(event_like, max_size=2) | field_values,
            "has_more": field_values,
            "first_id": field_values,
            "last_id": field_values,
            "next_page": field_values,
            "total": field_values,
        },
    )
)
def test_page_parser_returns_a_page_or_a_validation_error(envelope: dict[str, Any]) -> None:
    _only_library_errors(parse_event_page, json.dumps(envelope).encode())


def test_deeply_nested_json_is_a_validation_error_not_a_recursion_error() -> None:
    with pytest.raises(APIResponseValidationError):
        parse_success(200, b"[" * 100_000 + b"]" * 100_000, None, parse_session)
    error = status_error(500, b"[" * 100_000, {}, None)
    assert error.status_code == 500


headers = st.dictionaries(
    st.sampled_from(
        ["retry-after", "retry-after-ms", "x-request-id", "x-should-retry", "location"]
    ),
    st.text(max_size=40),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(status=st.integers(300, 599), raw=bodies, header_map=headers)
def test_any_error_response_maps_to_its_typed_error(status, raw, header_map) -> None:
    proxy = CIMultiDictProxy(CIMultiDict(header_map))
    error = status_error(status, raw, proxy, None)
    assert type(error) is status_error_class(status)
    assert isinstance(error, APIStatusError) and error.status_code == status
    assert len(str(error)) < 1_500 and len(repr(error)) < 1_500
    # And the retry policy can always decide what to do with it, within its bounds.
    policy = RetryPolicy()
    policy.is_retryable(error)
    assert 0 <= policy.delay_for(1, error) <= max(policy.max_delay, policy.max_retry_after)


@settings(max_examples=150, deadline=None)
@given(header_map=headers)
def test_retry_after_is_a_non_negative_number_or_none(header_map) -> None:
    value = retry_after_seconds(header_map)
    assert value is None or value >= 0


# -- the SSE decoder -------------------------------------------------------------------------

field_lines = st.one_of(
    st.builds(lambda v: f"data: {v}", st.text(max_size=20)),
    st.builds(lambda v: f"data:{v}", json_values.map(json.dumps)),
    st.builds(lambda v: f"event: {v}", st.sampled_from(["message", "ping", "heartbeat", "error"])),
    st.builds(lambda v: f"id: {v}", st.text(max_size=12)),
    st.builds(lambda v: f"retry: {v}", st.text("0123456789x", max_size=5)),
    st.builds(lambda v: f": {v}", st.text(max_size=20)),
    st.text(max_size=10),
)
frames_text = st.lists(st.lists(field_lines, min_size=1, max_size=5), max_size=6).flatmap(
    lambda frames: st.tuples(
        st.just(frames), st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=1)
    )
)


def _stream_bytes(frames: list[list[str]], newline: str) -> bytes:
    text = "".join(newline.join(lines) + newline + newline for lines in frames)
    return text.encode("utf-8")


def _decode(chunks: list[bytes]) -> tuple[list[ServerSentEvent], str]:
    decoder = SSEDecoder()
    frames: list[ServerSentEvent] = []
    for chunk in chunks:
        frames.extend(decoder.feed(chunk))
    return frames, decoder.last_event_id


@settings(max_examples=150, deadline=None)
@given(stream=frames_text, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_sse_chunk_boundaries_do_not_change_the_frames(stream, cuts) -> None:
    frames, [newline] = stream
    # A field line made of random text may itself contain line breaks; that is fine.
    data = _stream_bytes(frames, newline)
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert _decode(chunks) == _decode([data])
    byte_by_byte = [data[i : i + 1] for i in range(len(data))]
    assert _decode(byte_by_byte) == _decode([data])


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_sse_arbitrary_bytes_never_break_the_decoder(data, cuts) -> None:
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert _decode(chunks) == _decode([data])


def test_sse_frame_size_is_bounded() -> None:
    decoder = SSEDecoder(max_frame_chars=1_000)
    for _ in range(9):
        decoder.feed(b"data: " + b"x" * 100 + b"\n")
    with pytest.raises(FrameTooLargeError):
        decoder.feed(b"data: " + b"x" * 100 + b"\n")


@settings(max_examples=150, deadline=None)
@given(
    event=st.sampled_from(["message", "ping", "heartbeat", "error", *sorted(EVENT_TYPES)])
    | st.text(max_size=10),
    data=json_values.map(json.dumps) | event_like.map(json.dumps) | st.text(max_size=40),
    frame_id=st.none() | st.text(max_size=10),
)
def test_any_frame_becomes_an_event_or_a_library_error(event, data, frame_id) -> None:
    frame = ServerSentEvent(event=event, data=data, id=frame_id)
    result: object
    try:
        result = frame_event(frame, parse_event)
    except APIError as exc:
        result = exc
    if isinstance(result, APIError):
        assert len(str(result)) < 1_000
    else:
        assert result is None or isinstance(result, Event) or type(result).__name__ == "_Done"
