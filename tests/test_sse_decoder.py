"""The sans-I/O SSE decoder against the WHATWG rules and the published byte-exact transcripts."""

from __future__ import annotations

import pytest
from conftest import sample
from hypothesis import given, settings
from hypothesis import strategies as st

from qoder_async._sse import FrameTooLargeError, ServerSentEvent, SSEDecoder

TRANSCRIPTS = [
    "stream.cookbook.sse",
    "stream.deltas.v3.sse",
    "stream.sdk-test.go.sse",
    "stream.sdk-test.python.sse",
    "stream.sdk-test.ts.sse",
    "stream.v2-docs.sse",
    "stream.v2-quickstart.sse",
    "stream.v3-blog.sse",
]


def decode(raw: bytes) -> tuple[list[ServerSentEvent], SSEDecoder]:
    decoder = SSEDecoder()
    frames = decoder.feed(raw)
    decoder.end()
    return frames, decoder


def decode_in_chunks(raw: bytes, cuts: list[int]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    frames: list[ServerSentEvent] = []
    start = 0
    for cut in [*sorted(cuts), len(raw)]:
        frames.extend(decoder.feed(raw[start:cut]))
        start = cut
    decoder.end()
    return frames


# -- the published transcripts ---------------------------------------------------------


def test_python_sdk_transcript() -> None:
    frames, decoder = decode(sample("stream.sdk-test.python.sse"))
    assert [(f.id, f.event) for f in frames] == [
        ("one", "agent.message"),
        ("two", "event_delta"),
        ("two", "event_delta"),
    ]
    # two data lines joined with "\n"; CRLF and LF mixed; UTF-8 text intact
    assert frames[0].data == '{"content":\n[{"type":"text","text":"你好"}]}'
    assert [f.data for f in frames[1:]] == ['{"text":"a"}', '{"text":"b"}']
    # the unterminated "incomplete" frame is never dispatched, and its id never counts
    assert decoder.last_event_id == "two"


def test_go_sdk_transcript() -> None:
    frames, decoder = decode(sample("stream.sdk-test.go.sse"))
    assert [(f.id, f.event, f.data) for f in frames] == [
        (None, "ping", "{}"),
        ("shared", "event_start", '{"type":"event_start","id":"shared"}'),
        ("shared", "event_delta", '{"type":"event_delta","id":"shared"}'),
        ("final", "agent.message", frames[3].data),
    ]
    # the file ends without a blank line: the future.event frame is not emitted
    assert all(f.event != "future.event" for f in frames)
    assert decoder.last_event_id == "final"


def test_ts_sdk_transcript() -> None:
    raw = sample("stream.sdk-test.ts.sse")
    assert raw.startswith(b"\xef\xbb\xbf")
    frames, decoder = decode(raw)
    first, nul_id, reset = frames
    assert (first.id, first.event, first.retry) == ("first", "delta", 1200)
    assert first.data == '{\n"text":"hello"}'
    # "id: bad\0id" is ignored: no id on the frame, the last id carries over
    assert nul_id.id is None and nul_id.last_event_id == "first" and nul_id.event == "message"
    # an empty id: resets the last event id
    assert reset.id == "" and reset.last_event_id == ""
    assert decoder.last_event_id == "" and decoder.retry == 1200


def test_cookbook_transcript() -> None:
    frames, _ = decode(sample("stream.cookbook.sse"))
    assert [f.event for f in frames] == [
        "agent.message",
        "span.model_request_end",
        "session.status_idle",
    ]
    assert {f.id for f in frames} == {"<EVENT_ID>"}


def test_v2_quickstart_has_no_ids_and_a_named_heartbeat() -> None:
    frames, decoder = decode(sample("stream.v2-quickstart.sse"))
    assert len(frames) == 10
    assert all(f.id is None for f in frames) and decoder.last_event_id == ""
    assert frames[2].event == "heartbeat" and frames[2].data == "{}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("stream.deltas.v3.sse", ["event_start", "event_delta"]),
        ("stream.v2-docs.sse", ["user.message", "agent.message"]),
        ("stream.v3-blog.sse", ["agent.message", "event_start"]),
    ],
)
def test_small_transcripts(name: str, expected: list[str]) -> None:
    frames, _ = decode(sample(name))
    assert [f.event for f in frames] == expected
    assert all(f.id and f.id.startswith("evt_") for f in frames)


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_every_split_point_decodes_the_same(name: str) -> None:
    raw = sample(name)
    whole, _ = decode(raw)
    for cut in range(len(raw) + 1):
        assert decode_in_chunks(raw, [cut]) == whole, cut


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_byte_by_byte_decodes_the_same(name: str) -> None:
    raw = sample(name)
    whole, _ = decode(raw)
    assert decode_in_chunks(raw, list(range(1, len(raw)))) == whole


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(TRANSCRIPTS),
    st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
)
def test_random_chunking_decodes_the_same(name: str, cuts: list[int]) -> None:
    raw = sample(name)
    whole, _ = decode(raw)
    assert decode_in_chunks(raw, [c % (len(raw) + 1) for c in cuts]) == whole


# -- the rules, one by one ------------------------------------------------------------


def frames_of(text: str) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    out = decoder.feed(text.encode())
    decoder.end()
    return out


def test_one_leading_space_is_removed_no_more() -> None:
    assert [f.data for f in frames_of("data:x\n\ndata:  y\n\n")] == ["x", " y"]


def test_a_line_without_colon_is_a_field_with_an_empty_value() -> None:
    [frame] = frames_of("data\n\n")
    assert frame.data == ""


def test_a_frame_without_data_is_not_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: x\nid: 7\n\n") == []
    assert decoder.last_event_id == "7"  # the id still counts


def test_unknown_fields_and_comments_are_ignored() -> None:
    [frame] = frames_of(": hello\nfoo: bar\ndata: 1\n\n")
    assert (frame.event, frame.data) == ("message", "1")


@pytest.mark.parametrize("value", ["12a", "-5", "1.5", "١٢", ""])
def test_retry_must_be_ascii_digits(value: str) -> None:
    decoder = SSEDecoder()
    decoder.feed(f"retry: {value}\ndata: x\n\n".encode())
    assert decoder.retry is None


@pytest.mark.parametrize("eol", ["\n", "\r", "\r\n"])
def test_every_line_ending(eol: str) -> None:
    text = eol.join(["id: 1", "event: e", "data: a", "data: b", "", ""])
    [frame] = frames_of(text)
    assert (frame.id, frame.event, frame.data) == ("1", "e", "a\nb")


def test_crlf_split_across_chunks_is_one_line_break() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n\r") == [ServerSentEvent("message", "a", None, "", None)]
    assert decoder.feed(b"\ndata: b\n\n")[0].data == "b"


def test_the_id_carries_over_frames_without_one() -> None:
    frames = frames_of("id: 1\ndata: a\n\ndata: b\n\n")
    assert [(f.id, f.last_event_id) for f in frames] == [("1", "1"), (None, "1")]


def test_only_one_leading_bom_is_dropped() -> None:
    assert frames_of("\ufeffdata: a\n\n")[0].data == "a"
    # a second BOM belongs to the field name, which is then unknown
    assert frames_of("\ufeff\ufeffdata: a\n\n") == []


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    decoder = SSEDecoder()
    [frame] = decoder.feed(b"data: \xff\xfe ok\n\n")
    assert frame.data == "\ufffd\ufffd ok"


def test_end_discards_a_pending_frame() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 9\ndata: half") == []
    assert decoder.pending
    decoder.end()
    assert not decoder.pending and decoder.last_event_id == ""
    assert decoder.feed(b"\n\n") == []  # the discarded half does not come back


def test_initial_last_event_id() -> None:
    decoder = SSEDecoder(last_event_id="evt_5")
    [frame] = decoder.feed(b"data: x\n\n")
    assert frame.last_event_id == "evt_5"


@pytest.mark.parametrize("chunk", [b"data: " + b"x" * 200 + b"\n", b"x" * 200])
def test_frames_are_bounded(chunk: bytes) -> None:
    decoder = SSEDecoder(max_frame_chars=100)
    with pytest.raises(FrameTooLargeError):
        decoder.feed(chunk)


def test_many_data_lines_are_bounded() -> None:
    decoder = SSEDecoder(max_frame_chars=100)
    for _ in range(25):  # 4 characters each: exactly at the limit
        decoder.feed(b"data: abc\n")
    with pytest.raises(FrameTooLargeError):
        decoder.feed(b"data: abc\n")
