"""Faults the fake server can inject into the next matching requests, and their effects."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from typing import Any

import attrs
from aiohttp import web

from ._wire import reset_connection

__all__ = ["FAULT_KEY", "STREAM_FAULTS", "Fault", "FaultRules", "apply_fault", "break_stream"]

#: Fault kinds the event stream applies itself, after a number of frames.
STREAM_FAULTS = frozenset({"cut_stream", "stall_stream"})
# Where the middleware leaves the request's fault for handlers that apply it themselves.
FAULT_KEY: Any = (
    web.RequestKey("qoder_fault", object) if hasattr(web, "RequestKey") else "qoder_fault"
)
_PARTIAL_FRAME = b'id: evt_partial\nevent: agent.message\ndata: {"type":"agent.mes'


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
    count: int = 0

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

    @classmethod
    def cut_stream(cls, *, after_events: int, partial_frame: bool = False) -> Fault:
        """On an event stream: reset the connection right after ``after_events`` frames
        (heartbeats not counted); with ``partial_frame``, half a frame is written first."""
        return cls("cut_stream", count=after_events, body=_PARTIAL_FRAME if partial_frame else b"")

    @classmethod
    def stall_stream(cls, *, after_events: int) -> Fault:
        """On an event stream: after ``after_events`` frames, go silent (no heartbeats either)
        while keeping the connection open, until the client gives up on it."""
        return cls("stall_stream", count=after_events)


@attrs.define
class _Rule:
    fault: Fault
    remaining: int | None  # None: no limit
    method: str | None
    path: str | None
    probability: float = 1.0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or self.path == path
        )


class FaultRules:
    """The pending faults of a server, in the order they were injected."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []

    def add(
        self,
        fault: Fault,
        times: int | None,
        method: str | None,
        path: str | None,
        probability: float = 1.0,
    ) -> None:
        """Apply ``fault`` to the next ``times`` requests matching ``method``/``path`` (each
        with ``probability``; ``times=None``: for as long as the rule stays)."""
        self._rules.append(_Rule(fault, times, method, path, probability))

    def clear(self) -> None:
        """Forget every pending fault."""
        self._rules.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if a rule matches; spends one use of that rule."""
        for rule in self._rules:
            if rule.matches(method, path):
                if rule.probability < 1.0 and random.random() >= rule.probability:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                return rule.fault
        return None


async def apply_fault(
    fault: Fault, request: web.Request, request_id: str
) -> web.StreamResponse | None:
    """Apply ``fault`` before the handler runs: the response to send instead, or ``None`` to
    go on handling the request (faults that act afterwards, or on the stream, also do)."""
    kind = fault.kind
    if kind == "delay":
        await asyncio.sleep(fault.seconds)
        return None
    if kind in ("close_after", "drop_response") or kind in STREAM_FAULTS:
        return None
    if kind == "reset":
        reset_connection(request)
        raise asyncio.CancelledError
    if kind == "truncated":
        await _write_raw(
            request,
            fault.status,
            {"Content-Length": str(fault.declared_length)},
            fault.body,
        )
        raise asyncio.CancelledError
    if kind == "trickle":
        return await _trickle(request, fault)
    headers = {"x-request-id": request_id, **fault.headers}
    body = fault.body
    if kind == "status" and body:
        envelope = json.loads(body)
        envelope["request_id"] = request_id
        body = json.dumps(envelope).encode()
    response = web.Response(status=fault.status, body=body, headers=headers)
    if fault.content_type is not None:
        response.content_type = fault.content_type
    return response


async def break_stream(request: web.Request, response: web.StreamResponse, fault: Fault) -> None:
    """Apply a stream fault once its frame count is reached: never returns normally."""
    if fault.kind == "stall_stream":
        # Connected but silent (no heartbeats either) until the client gives up.
        await asyncio.Event().wait()
    if fault.body:
        await response.write(fault.body)
    reset_connection(request)
    raise asyncio.CancelledError


async def _write_raw(
    request: web.Request, status: int, headers: Mapping[str, str], body: bytes
) -> None:
    transport = request.transport
    if transport is None:
        return
    head = f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    transport.write(head.encode() + body)
    await asyncio.sleep(0.01)
    transport.close()


async def _trickle(request: web.Request, fault: Fault) -> web.StreamResponse:
    response = web.StreamResponse(status=fault.status)
    response.content_type = "application/json"
    response.content_length = len(fault.body)
    await response.prepare(request)
    for index in range(len(fault.body)):
        await response.write(fault.body[index : index + 1])
        await asyncio.sleep(fault.seconds)
    await response.write_eof()
    return response
