"""What every part of the fake server speaks: the API root, the error envelope, ids, times,
JSON bodies and a hard connection reset.

It imports nothing else from this package, so every other module can build on it.
"""

from __future__ import annotations

import json
import socket
import struct
import uuid
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

__all__ = [
    "API_PREFIX",
    "ApiError",
    "bad_request",
    "conflict",
    "error_body",
    "idempotency_key",
    "json_object",
    "json_response",
    "new_id",
    "now_rfc3339",
    "reset_connection",
]

API_PREFIX = "/api/v1/cloud"


class ApiError(Exception):
    """Raised by handlers; turned into the error envelope by the middleware."""

    def __init__(self, status: int, error_type: str, message: str, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.param = param


def bad_request(message: str, param: str | None = None) -> ApiError:
    """A 400 ``invalid_request_error``."""
    return ApiError(400, "invalid_request_error", message, param)


def conflict(message: str) -> ApiError:
    """A 409 ``conflict_error``."""
    return ApiError(409, "conflict_error", message)


def error_body(error_type: str, message: str, request_id: str, param: str | None = None) -> bytes:
    """The documented error envelope."""
    error: dict[str, Any] = {"type": error_type, "message": message}
    if param is not None:
        error["param"] = param
    return json.dumps({"type": "error", "request_id": request_id, "error": error}).encode()


def now_rfc3339() -> str:
    """The current UTC time the way the API writes it (microseconds, ``Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id(prefix: str) -> str:
    """A fresh object id such as ``evt_<32 hex digits>``."""
    return f"{prefix}_{uuid.uuid4().hex}"


def idempotency_key(request: web.Request) -> str | None:
    """The request's idempotency key, under either header name the API accepts."""
    return request.headers.get("Idempotency-Key") or request.headers.get("X-Idempotency-Key")


def json_object(body: bytes) -> dict[str, Any]:
    """``body`` decoded as a JSON object, or the 400 the API answers instead."""
    try:
        data = json.loads(body)
    except ValueError:
        raise bad_request("Request body must be valid JSON.") from None
    if not isinstance(data, dict):
        raise bad_request("Request body must be a JSON object.")
    return data


def json_response(payload: Any) -> web.Response:
    """A 200 with ``payload`` as its JSON body."""
    return web.Response(body=json.dumps(payload).encode(), content_type="application/json")


def reset_connection(request: web.Request) -> None:
    """Abort the request's connection with a TCP RST (no FIN, no pending bytes)."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
