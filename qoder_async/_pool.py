"""Ownership of the aiohttp connection pool.

The ``ClientSession`` is created lazily, inside the running loop that first needs it (an
aiohttp session made outside a loop binds to the wrong one). A session the caller passes
in is theirs: we use it and never close it. After ``os.fork()`` the child must not share
the parent's sockets, so a pid change makes us start a fresh pool there.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import aiohttp

from ._deadlines import DeadlineWatch
from ._errors import ClientClosedError, QoderError

__all__ = ["HttpPool"]

_log = logging.getLogger("qoder_async")

# Sessions inherited across fork(): closing them in the child would also shut the parent's
# TLS streams, and letting them be collected would warn "Unclosed client session". Keep them.
_ABANDONED_AFTER_FORK: list[aiohttp.ClientSession] = []

# Bumped in every forked child; comparing it is cheaper than os.getpid() (a system call)
# on every request.
_fork_generation = [0]

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


def _forked() -> None:
    _fork_generation[0] += 1


os.register_at_fork(after_in_child=_forked)


class HttpPool:
    """One pooled ``aiohttp.ClientSession``, shared by a client and its ``with_options`` views."""

    def __init__(
        self,
        *,
        max_connections: int,
        http_session: aiohttp.ClientSession | None,
        ssl_option: ssl.SSLContext | bool,
        trace_configs: Sequence[aiohttp.TraceConfig] | None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self._max_connections = max_connections
        self._ssl = ssl_option
        self._trace_configs = list(trace_configs) if trace_configs else None
        self._owned = http_session is None
        #: Headers the pool's own session sends on every request (none on a borrowed one,
        #: which must not be changed); a request's own headers override them.
        self.session_headers: Mapping[str, str] = (
            MappingProxyType(dict(default_headers or {})) if self._owned else _NO_HEADERS
        )
        self._session = http_session
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Time limits of the attempts running in the pool's loop (set with the loop).
        self.deadlines: DeadlineWatch | None = None
        self._generation = _fork_generation[0]
        self.closed = False

    @property
    def owned(self) -> bool:
        """Whether the pool's session was created here (and so is closed here)."""
        return self._owned

    def session(self) -> aiohttp.ClientSession:
        """The session to send with, created on first use inside the running loop."""
        if self.closed:
            raise ClientClosedError("the client is closed; create a new AsyncQoder")
        session = self._session
        loop = asyncio.get_running_loop()
        if session is not None and self._loop is loop and self._generation == _fork_generation[0]:
            return session
        return self._slow_session(loop)

    def _slow_session(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        if self._generation != _fork_generation[0]:
            self._after_fork()
        session = self._session
        if session is None:
            session = self._session = self._create()
            self._bind(loop)
            return session
        if not self._owned:
            if session.closed:
                raise ClientClosedError("the injected aiohttp ClientSession is closed")
            self._bind(loop)
            return session
        if self._loop is not loop:
            closed = self._loop is not None and self._loop.is_closed()
            other = "a closed event loop" if closed else "another event loop"
            raise QoderError(
                f"this AsyncQoder's connection pool belongs to {other}; "
                "create the client inside the loop that uses it (one client per loop)"
            )
        return session

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.deadlines is not None:
            self.deadlines.close()
        self._loop = loop
        self.deadlines = DeadlineWatch(loop)

    def _after_fork(self) -> None:
        self._generation = _fork_generation[0]
        if self._owned and self._session is not None:
            _ABANDONED_AFTER_FORK.append(self._session)
            _log.debug("process forked: starting a fresh connection pool in pid %s", os.getpid())
            self._session = None
            self._loop = None

    def _create(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            limit_per_host=0,
            ttl_dns_cache=300,
            use_dns_cache=True,
            ssl=self._ssl,
        )
        return aiohttp.ClientSession(
            connector=connector,
            trace_configs=self._trace_configs,
            # No cookies: the API sets none, and a jar would leak state between callers.
            cookie_jar=aiohttp.DummyCookieJar(),
            headers=dict(self.session_headers),
            auto_decompress=True,
        )

    def in_flight(self) -> int:
        """Connections currently checked out of the pool (0 when idle)."""
        session = self._session
        if session is None or session.closed:
            return 0
        connector = session.connector
        if connector is None:
            return 0
        # ``_acquired_per_host`` is only maintained when ``limit_per_host`` is set (it is 0 here).
        return len(connector._acquired)

    async def aclose(self) -> None:
        """Close the session if we own it; an injected one is left to its owner."""
        if self.closed:
            return
        self.closed = True
        session, self._session = self._session, None
        if session is not None and self._owned and not session.closed:
            await session.close()
