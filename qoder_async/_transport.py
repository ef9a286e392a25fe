"""The transport seam: how one HTTP request reaches the network and its response comes back.

The send path (:mod:`._send`) builds a :class:`Request` and hands it to an
:class:`AsyncTransport`; everything above the seam (auth, idempotency keys, retries, error
mapping of statuses, parsing) is the send path's, everything below it (sockets, TLS, the
connection pool) the transport's. A transport raises only qoder_async errors:
:class:`APIConnectionError` (or :class:`APITimeoutError`) when no usable response arrived,
:class:`ClientClosedError` when it was closed underneath a request.

:class:`AiohttpTransport` is the production transport: one pooled ``aiohttp.ClientSession``,
created lazily inside the running loop, closed only if it created it. A transport of your own
(tracing, recording, an in-memory fake) implements the two methods of the protocol;
:class:`AiohttpTransport` lives in :mod:`._aiohttp`.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

__all__ = ["AsyncTransport", "Request", "Response"]


@attrs.define
class Request:
    """One attempt of a call, as the transport sees it.

    ``timeout`` bounds the whole attempt, from asking for a connection to the last byte of
    the body; ``read_timeout`` bounds every single wait for bytes (a stream's watchdog).
    ``path`` is the API path (``/sessions/sess_1``), for messages; ``url`` is what is sent.
    ``content`` is the body: bytes, or an async iterable of chunks (a streamed upload, one
    fresh iterable per attempt) whose ``Content-Length`` is in ``headers``.

    Example::

        Request("GET", "https://api.example/v1/sessions", "/sessions", {"Accept": "*/*"})
    """

    method: str
    url: str
    path: str
    # Headers carry the token and bodies may carry secrets: neither is ever shown in a repr.
    headers: Mapping[str, str] = attrs.field(repr=False)
    params: Mapping[str, Any] | None = None
    content: bytes | AsyncIterable[bytes] | None = attrs.field(default=None, repr=False)
    timeout: float | None = None
    read_timeout: float | None = None


class Response(Protocol):
    """What a transport returns: the status and headers, and the body still to be read.

    The caller reads the body with :meth:`read` (all of it) or :meth:`read_chunk` (a stream)
    and then calls :meth:`close`, which hands a fully read connection back to the pool.

    Example::

        response = await transport.send(request)
        try:
            body = await response.read(16 * 1024 * 1024)
        finally:
            response.close()
    """

    status: int
    headers: Mapping[str, str]

    async def read(self, limit: int) -> bytes | None:
        """The whole body, or ``None`` (and the connection dropped) if it exceeds ``limit``.

        Args:
            limit: the most bytes accepted.

        Example::

            body = await response.read(1 << 20)
        """
        ...

    async def read_chunk(self) -> bytes:
        """The next bytes of the body as they arrive; ``b""`` at its end.

        Example::

            while chunk := await response.read_chunk():
                decoder.feed(chunk)
        """
        ...

    def close(self) -> None:
        """Release the connection (reused when the body was read to its end).

        Example::

            response.close()
        """
        ...


@runtime_checkable
class AsyncTransport(Protocol):
    """Sends requests: the seam between the send path and the network.

    Example::

        class Recording:
            def __init__(self, inner: AsyncTransport) -> None:
                self.inner, self.sent = inner, []

            async def send(self, request: Request) -> Response:
                self.sent.append((request.method, request.path))
                return await self.inner.send(request)

            async def aclose(self) -> None:
                await self.inner.aclose()

        client = AsyncQoder(transport=Recording(AiohttpTransport()))
    """

    async def send(self, request: Request) -> Response:
        """Send ``request`` and return its response with the body unread.

        Args:
            request: the attempt to send.

        Example::

            response = await transport.send(Request("GET", url, "/sessions", headers))
        """
        ...

    async def aclose(self) -> None:
        """Release every connection; called by the client's ``aclose``.

        Example::

            await transport.aclose()
        """
        ...
