"""A sans-I/O decoder for ``text/event-stream``, following the WHATWG HTML rules.

Bytes in, frames out; no sockets, no clock. What the rules require, and the published
transcripts exercise:

* UTF-8 with replacement of bad bytes; one leading BOM is dropped;
* lines end with CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of
  the next are one line break);
* ``:`` starts a comment; ``field: value`` loses one leading space; a line without a colon
  is a field with an empty value; unknown fields are ignored;
* ``data`` lines are joined with ``\\n``; a frame is dispatched at a blank line, and only
  if it had data;
* ``id`` containing NUL is ignored; an empty ``id`` resets the last event id; the id
  survives frames that carry none;
* ``retry`` is only taken when it is all ASCII digits;
* a last frame without its blank line is never dispatched (the connection broke mid-frame).
"""

from __future__ import annotations

import codecs
import re

import attrs

__all__ = ["FrameTooLargeError", "SSEDecoder", "ServerSentEvent"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

#: Largest frame (data, plus an unfinished line) accepted before giving up, in characters.
DEFAULT_MAX_FRAME_CHARS = 16 * 1024 * 1024


class FrameTooLargeError(ValueError):
    """A frame (or a single line) grew past the decoder's limit."""


@attrs.frozen
class ServerSentEvent:
    """One dispatched SSE frame.

    ``id`` is the ``id:`` field of this frame (``None`` when it had none, or only one
    containing NUL; ``""`` when it reset the id); ``last_event_id`` is the stream's last
    event id after this frame, as the rules carry it over frames without an id.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    last_event_id: str = ""
    retry: int | None = None


class SSEDecoder:
    """Feed it bytes as they arrive; it returns the frames they complete.

    Example::

        decoder = SSEDecoder()
        frames = decoder.feed(b"id: 1\\nevent: ping\\ndata: {}\\n\\n")
        assert frames[0].event == "ping" and decoder.last_event_id == "1"
    """

    __slots__ = (
        "_data",
        "_data_chars",
        "_event",
        "_frame_id",
        "_frame_retry",
        "_id_buffer",
        "_max",
        "_skip_lf",
        "_started",
        "_tail",
        "_tail_chars",
        "_utf8",
        "last_event_id",
        "retry",
    )

    def __init__(
        self, *, last_event_id: str = "", max_frame_chars: int = DEFAULT_MAX_FRAME_CHARS
    ) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._max = max_frame_chars
        self._started = False
        self._skip_lf = False
        self._tail: list[str] = []
        self._tail_chars = 0
        self._data: list[str] = []
        self._data_chars = 0
        self._event = ""
        self._frame_id: str | None = None
        self._frame_retry: int | None = None
        self._id_buffer = last_event_id
        #: The last event id the stream has dispatched (what ``Last-Event-ID`` resumes from).
        self.last_event_id = last_event_id
        #: The reconnection delay the server asked for, in milliseconds.
        self.retry: int | None = None

    @property
    def pending(self) -> bool:
        """Whether a frame (or line) was started and not finished."""
        return bool(self._tail or self._data or self._event or self._frame_id is not None)

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk`` and return the frames it completed, in order."""
        return self.feed_text(self._utf8.decode(chunk))

    def feed_text(self, text: str) -> list[ServerSentEvent]:
        """Like :meth:`feed`, for text that is already decoded."""
        if not text:
            return []
        if not self._started:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text[:1] == "\n":
                text = text[1:]
        if "\n" not in text and "\r" not in text:
            self._tail.append(text)
            self._tail_chars += len(text)
            self._check_size()
            return []
        if self._tail:
            text = "".join(self._tail) + text
            self._tail.clear()
            self._tail_chars = 0
        frames: list[ServerSentEvent] = []
        start = 0
        for match in _LINE_BREAK.finditer(text):
            self._line(text[start : match.start()], frames)
            start = match.end()
        rest = text[start:]
        if rest:
            self._tail.append(rest)
            self._tail_chars = len(rest)
            self._check_size()
        elif text[-1] == "\r":
            # Maybe the first half of a CRLF split across chunks.
            self._skip_lf = True
        return frames

    def end(self) -> None:
        """The body ended: an unfinished frame is discarded (never dispatched), by the rules."""
        self._utf8.reset()
        self._tail.clear()
        self._tail_chars = 0
        self._reset_frame()
        self._id_buffer = self.last_event_id

    def _check_size(self) -> None:
        if self._tail_chars + self._data_chars > self._max:
            raise FrameTooLargeError(f"an event-stream frame exceeds {self._max} characters")

    def _reset_frame(self) -> None:
        self._data = []
        self._data_chars = 0
        self._event = ""
        self._frame_id = None
        self._frame_retry = None

    def _line(self, line: str, frames: list[ServerSentEvent]) -> None:
        if not line:
            self._dispatch(frames)
            return
        if line[0] == ":":
            return
        colon = line.find(":")
        if colon < 0:
            field, value = line, ""
        else:
            field = line[:colon]
            value = line[colon + 1 :]
            if value[:1] == " ":
                value = value[1:]
        if field == "data":
            self._data.append(value)
            self._data_chars += len(value) + 1
            self._check_size()
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\x00" not in value:
                self._id_buffer = value
                self._frame_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self.retry = self._frame_retry = int(value)

    def _dispatch(self, frames: list[ServerSentEvent]) -> None:
        self.last_event_id = self._id_buffer
        if self._data:
            frames.append(
                ServerSentEvent(
                    self._event or "message",
                    "\n".join(self._data),
                    self._frame_id,
                    self.last_event_id,
                    self._frame_retry,
                )
            )
        self._reset_frame()
