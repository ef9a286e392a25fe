"""What one call is made of, before the send path (:mod:`._send`) sends it: the client's
configuration, the state a logical call keeps across its attempts, and its body.

A body is JSON built from a mapping, or an :class:`EncodedBody` that an endpoint encoded
itself (a multipart upload). Its content is ``bytes``, or, for a body too large to hold in
memory, a :data:`BodySource`: a zero-argument callable returning a fresh async iterator of
chunks. Every attempt calls it again, so a retry sends the whole body from its first byte,
under the same ``Idempotency-Key``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

import attrs

from ._errors import InvalidParameterError, QoderError
from ._hooks import Hooks
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy
from ._types import Secret, TokenProvider

__all__ = [
    "BODY_UNREAD",
    "BodySource",
    "Call",
    "ClientConfig",
    "EncodedBody",
    "attempt_body",
    "encode_body",
    "redact",
]

#: A streamed body: each call returns a new async iterator over all of its bytes.
BodySource = Callable[[], AsyncIterator[bytes]]

_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


@attrs.frozen
class ClientConfig:
    """Everything the send path needs; ``with_options`` evolves a copy."""

    base_url: str
    token: Secret | None
    token_provider: TokenProvider | None
    timeout: float | None
    retry: RetryPolicy
    headers: Mapping[str, str]
    max_response_bytes: int
    hooks: Hooks | None
    #: Asked before every attempt of a write (of every request with ``limit_reads``).
    rate_limiter: RateLimiter | None = None
    limit_reads: bool = False


@attrs.define
class Call:
    """One logical call: the same headers and idempotency key for every attempt, and the
    state the retry loop keeps across them (see :class:`._retry.Attempts`)."""

    method: str
    path: str
    url: str
    # The token and secrets a body may carry are never shown in a repr.
    headers: dict[str, str] = attrs.field(repr=False)
    params: Mapping[str, Any] | None
    content: bytes | BodySource | None = attrs.field(repr=False)
    idempotency_key: str | None
    timeout: float | None
    max_retries: int
    deadline: float | None
    refreshable: bool
    read_timeout: float | None = None
    attempt: int = 0
    backoff_base: int = 0
    min_delay: float = 0.0
    #: Values the body carries that no response body may echo back (see :func:`redact`).
    secrets: tuple[str, ...] = attrs.field(default=(), repr=False)


@attrs.frozen
class EncodedBody:
    """A request body the endpoint encoded itself, sent as it is with its own headers.

    Args:
        content: the bytes, or a :data:`BodySource` producing exactly ``length`` bytes.
        content_type: sent as ``Content-Type`` (a multipart form names its boundary here).
        length: sent as ``Content-Length``.

    Example::

        EncodedBody(b"a,b\\n", "text/csv", 4)
    """

    # A multipart body holds whole files: never shown in a repr.
    content: bytes | BodySource = attrs.field(repr=False)
    content_type: str
    length: int


def encode_body(body: Any, headers: dict[str, str]) -> bytes | BodySource:
    """The content to send for ``body``, setting its ``Content-Type`` (and, for an
    :class:`EncodedBody`, its ``Content-Length``) in ``headers``: JSON unless encoded.

    Args:
        body: a JSON-ready value, or an :class:`EncodedBody`.
        headers: the call's headers, completed here.

    Example::

        headers = {}
        encode_body({"name": "ci"}, headers)  # b'{"name":"ci"}'; headers has Content-Type
    """
    if isinstance(body, EncodedBody):
        headers["Content-Type"] = body.content_type
        headers["Content-Length"] = str(body.length)
        return body.content
    try:
        content = _encode_json(body).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError("body", f"not JSON-serialisable: {exc}") from None
    headers["Content-Type"] = "application/json"
    return content


async def attempt_body(source: BodySource, failures: list[QoderError]) -> AsyncIterator[bytes]:
    """One attempt's pass over a streamed body.

    A failure of the body's own (a file that changed size while it was read) reaches the
    transport as a body that broke off, which it reports as a connection error; it is kept
    in ``failures`` so that the send path raises it instead.

    Args:
        source: the body's :data:`BodySource`, called once here.
        failures: where a :class:`QoderError` the source raised is recorded.

    Example::

        failures = []
        content = attempt_body(encoded.content, failures)  # what the transport sends
    """
    chunks = source()
    try:
        async for chunk in chunks:
            yield chunk
    except QoderError as exc:
        failures.append(exc)
        raise
    finally:
        # Close the source (its open file) now, also when the transport stops early.
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


def redact(raw: bytes, secrets: Iterable[str]) -> bytes:
    """``raw`` with each secret replaced by ``<redacted>``, as text and as JSON escapes it.

    The send path applies it to every response body of a call that carries secrets, before
    anything (an error, a hook, a raw response) is built from it: a server that echoes the
    request in an error must not put a credential into an exception message.

    Args:
        raw: a response body.
        secrets: the values to take out of it.

    Example::

        redact(b'{"error": "bad token s3cret"}', ["s3cret"])  # b'{"error": "bad token <redacted>"}'
    """
    for secret in secrets:
        if not secret:
            continue
        forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
        for form in forms:
            raw = raw.replace(form.encode(), b"<redacted>")
    return raw


def _body_unread(data: Any, request_id: str | None) -> Any:
    raise AssertionError("BODY_UNREAD marks a call whose body is read by its caller")


#: The parser that asks for the 2xx response itself, its body unread (a download): the
#: send path hands the response back instead of calling it.
BODY_UNREAD: Callable[[Any, str | None], Any] = _body_unread
