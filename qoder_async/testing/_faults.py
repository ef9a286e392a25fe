"""Faults the fake server can inject into the next matching requests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["Fault"]


def _encode(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


@attrs.frozen
class Fault:
    """What to do instead of (or before) the normal handling of a request.

    Build one with the class methods and pass it to :meth:`FakeQoderServer.inject`.

    Example::

        server.inject(Fault.status(503, headers={"Retry-After": "0"}), times=2)
        server.inject(Fault.reset())
        server.inject(Fault.respond(200, b"<html>oops</html>", content_type="text/html"))
    """

    kind: str
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    content_type: str | None = "application/json"
    seconds: float = 0.0
    declared_length: int | None = None

    @classmethod
    def status_error(
        cls,
        status: int,
        *,
        error_type: str = "api_error",
        message: str = "injected failure",
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """A documented error envelope with ``status`` (``request_id`` is filled in)."""
        body = {"type": "error", "error": {"type": error_type, "message": message}}
        return cls("status", status=status, body=_encode(body), headers=dict(headers or {}))

    @classmethod
    def respond(
        cls,
        status: int,
        body: bytes | str | Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = "application/json",
    ) -> Fault:
        """Answer with exactly these bytes (samples are served verbatim this way)."""
        return cls(
            "respond",
            status=status,
            body=_encode(body),
            headers=dict(headers or {}),
            content_type=content_type,
        )

    @classmethod
    def reset(cls) -> Fault:
        """Drop the connection (TCP RST) before any byte of the response is sent."""
        return cls("reset")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before handling the request normally (slow headers)."""
        return cls("delay", seconds=seconds)

    @classmethod
    def truncated(cls, body: bytes, *, declared_length: int, status: int = 200) -> Fault:
        """Send headers announcing ``declared_length`` bytes, then fewer, then close."""
        return cls("truncated", status=status, body=body, declared_length=declared_length)

    @classmethod
    def trickle(cls, body: bytes, *, seconds_per_chunk: float, status: int = 200) -> Fault:
        """Send ``body`` one byte at a time, ``seconds_per_chunk`` apart (slow body)."""
        return cls("trickle", status=status, body=body, seconds=seconds_per_chunk)

    @classmethod
    def drop_response(cls) -> Fault:
        """Handle the request normally (the session *is* created), then reset the connection
        instead of answering: the client cannot know whether its request took effect."""
        return cls("drop_response")

    @classmethod
    def close_after_response(cls) -> Fault:
        """Handle normally, then close the keep-alive connection without telling the client."""
        return cls("close_after")
