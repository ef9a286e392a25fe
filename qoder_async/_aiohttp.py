"""The production transport: aiohttp behind the :class:`AsyncTransport` seam.

One pooled ``aiohttp.ClientSession``, created lazily inside the running loop (an aiohttp
session made outside a loop binds to the wrong one), closed only if this transport created
it, and dropped in a forked child; aiohttp and OS failures become qoder_async errors here,
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import ssl
import urllib.request
import warnings
import weakref
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from ._errors import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    ParameterTypeError,
    QoderError,
    truncate,
)
from ._transport import Request, Response

__all__ = ["AiohttpTransport"]

_log = logging.getLogger("qoder_async")

#: Longest wait to open a TCP (and TLS) connection, whatever the total timeout.
CONNECT_TIMEOUT = 10.0
_CHUNK = 65536

# Sessions inherited across fork(): closing them in the child would also shut the parent's
# TLS streams, and letting them be collected would warn "Unclosed client session". Keep them.
_ABANDONED_AFTER_FORK: list[aiohttp.ClientSession] = []
_LIVE: weakref.WeakSet[AiohttpTransport] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for transport in list(_LIVE):
        transport._forget_pool()


os.register_at_fork(after_in_child=_after_fork_in_child)


@functools.lru_cache(maxsize=64)
def _client_timeout(total: float | None, read: float | None) -> aiohttp.ClientTimeout:
    connect = CONNECT_TIMEOUT if total is None else min(total, CONNECT_TIMEOUT)
    # sock_connect rather than connect: the latter arms a timer even for a pooled connection.
    return aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)


class AiohttpTransport:
    """The production transport: one pooled ``aiohttp.ClientSession``.

    The session is created on first use inside the running loop (an aiohttp session made
    outside a loop binds to the wrong one), and after ``os.fork()`` the child starts a
    fresh one instead of sharing the parent's sockets. A session you pass in is yours: it is
    used as it is and never closed here.

    Args:
        max_connections: size of the connection pool.
        http_session: an ``aiohttp.ClientSession`` you own.
        verify_ssl: ``False`` or an ``ssl.SSLContext`` changes TLS verification.
        trace_configs: ``aiohttp.TraceConfig`` objects for the session we create.
        proxy: ``None`` (the default) honours ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``
            from the environment, as httpx and the official SDK do; a URL sends every https
            request through that proxy; ``False`` ignores the environment. Requests go
            through the proxy's ``CONNECT`` tunnel, so the token never reaches the proxy;
            plain ``http://`` requests (loopback) never use a proxy.

    Example::

        transport = AiohttpTransport(max_connections=200)
        async with AsyncQoder(transport=transport) as client:
            ...
            print(transport.in_flight())
    """

    def __init__(
        self,
        *,
        max_connections: int = 100,
        http_session: aiohttp.ClientSession | None = None,
        verify_ssl: bool | ssl.SSLContext = True,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        proxy: str | bool | None = None,
    ) -> None:
        self._max_connections = max_connections
        if proxy is True or not (proxy is None or proxy is False or isinstance(proxy, str)):
            raise ParameterTypeError("proxy", "expected a proxy URL, None or False")
        # Read once: the environment's proxies for this client's life (as httpx does).
        self._proxies: dict[str, str] = (
            {} if proxy is False else urllib.request.getproxies_environment()
        )
        if isinstance(proxy, str):
            self._proxies = {"https": proxy}
        self._explicit_proxy = isinstance(proxy, str)
        self._proxy_by_origin: dict[tuple[str, str | None], str | None] = {}
        self._ssl = verify_ssl
        self._trace_configs = list(trace_configs) if trace_configs else None
        self._owned = http_session is None
        self._session = http_session
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False
        _LIVE.add(self)

    @property
    def owns_session(self) -> bool:
        """Whether the ``ClientSession`` is created (and so closed) by this transport."""
        return self._owned

    @property
    def http_session(self) -> aiohttp.ClientSession | None:
        """The ``ClientSession`` in use; ``None`` until the first request creates it."""
        return self._session

    def in_flight(self) -> int:
        """Connections currently checked out of the pool (0 when idle).

        Example::

            assert client.transport.in_flight() == 0  # nothing leaked
        """
        session = self._session
        connector = None if session is None or session.closed else session.connector
        # ``_acquired`` is the only count aiohttp keeps when limit_per_host is 0.
        return 0 if connector is None else len(connector._acquired)

    async def send(self, request: Request) -> Response:
        """Send ``request``; aiohttp and OS failures come out as qoder_async errors.

        Args:
            request: the attempt to send.

        Example::

            response = await AiohttpTransport().send(request)
        """
        session = self._current_session()
        proxy = self._proxy_for(request.url) if self._proxies else None
        try:
            response = await session.request(
                request.method,
                request.url,
                params=request.params,
                data=request.content,
                headers=request.headers,
                timeout=_client_timeout(request.timeout, request.read_timeout),
                allow_redirects=False,
                proxy=proxy,
            )
        except asyncio.CancelledError:
            if self.closed and not _cancel_requested():
                # aclose() cancels aiohttp's waiters for a free connection: nobody cancelled
                # this task, so it must not end as if it had been.
                raise ClientClosedError(
                    "the client was closed while the request waited for a connection"
                ) from None
            raise
        except _FAILURES as exc:
            raise self._error(exc, request) from exc
        return _AiohttpResponse(response, request, self)

    def _proxy_for(self, url: str) -> str | None:
        """The proxy for ``url``, unless ``NO_PROXY`` exempts its host.

        Only https requests go through a proxy (inside its ``CONNECT`` tunnel): through a
        proxy, a plain ``http://`` request would hand it the ``Authorization`` header in clear.
        """
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname)
        if origin not in self._proxy_by_origin:
            exempt = not self._explicit_proxy and urllib.request.proxy_bypass(parts.hostname or "")
            tunnelled = parts.scheme == "https" and not exempt
            self._proxy_by_origin[origin] = self._proxies.get("https") if tunnelled else None
        return self._proxy_by_origin[origin]

    def _current_session(self) -> aiohttp.ClientSession:
        if self.closed:
            raise ClientClosedError("the client is closed; create a new AsyncQoder")
        session = self._session
        loop = asyncio.get_running_loop()
        if session is not None and self._loop is loop:
            return session
        if session is None:
            session = self._session = self._create()
        elif not self._owned:
            if session.closed:
                raise ClientClosedError("the injected aiohttp ClientSession is closed")
        elif self._loop is not loop:
            closed = self._loop is not None and self._loop.is_closed()
            other = "a closed event loop" if closed else "another event loop"
            raise QoderError(
                f"this client's connection pool belongs to {other}; "
                "create the client inside the loop that uses it (one client per loop)"
            )
        self._loop = loop
        return session

    def _create(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, limit_per_host=0, ttl_dns_cache=300, ssl=self._ssl
        )
        return aiohttp.ClientSession(
            connector=connector,
            trace_configs=self._trace_configs,
            # No cookies: the API sets none, and a jar would leak state between callers.
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    def _forget_pool(self) -> None:
        if self._owned and self._session is not None:
            _ABANDONED_AFTER_FORK.append(self._session)
            self._session = None
            self._loop = None

    def _error(self, exc: BaseException, request: Request) -> QoderError:
        if isinstance(exc, aiohttp.ClientResponseError):
            _redact_request_info(exc)
        where = f"{request.method} {request.path}"
        if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
            limit = request.timeout if request.read_timeout is None else request.read_timeout
            after = f" after {limit:g} s" if limit is not None else ""
            return APITimeoutError(f"{where} timed out{after}")
        if self.closed:
            return ClientClosedError("the client was closed while the request was in flight")
        if not isinstance(exc, (aiohttp.ClientError, OSError)):
            # A RuntimeError of an open pool is a bug somewhere, not a network failure.
            raise exc
        # A certificate that does not verify will not verify on the next attempt either.
        permanent = isinstance(
            exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)
        )
        text = str(exc)
        reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        return APIConnectionError(
            f"{where} failed: {truncate(reason, 300)}", retryable=not permanent
        )

    def __del__(self, _warn: Any = warnings.warn) -> None:
        # Say what the user must fix, once, instead of aiohttp's bare "Unclosed client
        # session"; closing the session on its loop is what keeps aiohttp quiet.
        session, loop = self._session, self._loop
        if not self._owned or session is None or session.closed:
            return
        _warn(
            "an AsyncQoder was never closed: use `async with AsyncQoder() as client:` "
            "or `await client.aclose()`",
            ResourceWarning,
            source=self,
        )
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(_close_later, session)

    async def aclose(self) -> None:
        """Close the session if this transport created it; an injected one is left open.

        Example::

            await transport.aclose()
        """
        if self.closed:
            return
        self.closed = True
        session, self._session = self._session, None
        if session is not None and self._owned and not session.closed:
            await session.close()


class _AiohttpResponse:
    __slots__ = ("_request", "_response", "_transport", "headers", "status")

    def __init__(
        self, response: aiohttp.ClientResponse, request: Request, transport: AiohttpTransport
    ) -> None:
        self._response = response
        self._request = request
        self._transport = transport
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers

    async def read(self, limit: int) -> bytes | None:
        response = self._response
        length = response.content_length
        try:
            if length is not None:
                return await response.read() if length <= limit else None
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > limit:
                    return None
                chunks.append(chunk)
            return b"".join(chunks)
        except _FAILURES as exc:
            raise self._transport._error(exc, self._request) from exc

    async def read_chunk(self) -> bytes:
        try:
            return await self._response.content.readany()
        except _FAILURES as exc:
            raise self._transport._error(exc, self._request) from exc

    def close(self) -> None:
        response = self._response
        if response.content.at_eof():
            response.release()
        else:
            response.close()


#: What aiohttp raises when no usable response arrived (RuntimeError: a session closed under us).
_FAILURES = (TimeoutError, asyncio.TimeoutError, aiohttp.ClientError, OSError, RuntimeError)


#: Sessions of clients that were never closed, kept alive until their loop has closed them.
_CLOSING: set[asyncio.Task[None]] = set()


def _close_later(session: aiohttp.ClientSession) -> None:
    task = asyncio.ensure_future(session.close())
    _CLOSING.add(task)
    task.add_done_callback(_CLOSING.discard)


def _redact_request_info(exc: aiohttp.ClientResponseError) -> None:
    # aiohttp keeps the request headers, Authorization included, in the exception's
    # request_info and shows them in its repr; the exception stays chained to ours.
    info = exc.request_info
    if "Authorization" not in info.headers:
        return
    headers = CIMultiDict(info.headers)
    headers["Authorization"] = "<redacted>"
    exc.request_info = aiohttp.RequestInfo(
        info.url, info.method, CIMultiDictProxy(headers), info.real_url
    )


def _cancel_requested() -> bool:
    """Whether the current task was asked to cancel (always assumed so on Python 3.10)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return cancelling is None or cancelling() > 0
