"""pytest fixtures for code that uses qoder_async.

Enable with ``pytest_plugins = ["qoder_async.testing.pytest_plugin"]`` (or
``-p qoder_async.testing.pytest_plugin``); tests use the anyio plugin's ``anyio`` marker.

Fixtures:
    ``fake_qoder``: a started :class:`FakeQoderServer`.
    ``qoder_client``: an :class:`AsyncQoder` pointed at it, with fast retries, closed after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .._client import AsyncQoder
from .._retry import RetryPolicy
from ._server import FakeQoderServer

__all__ = ["anyio_backend", "fake_qoder", "qoder_client"]

#: Retries as in production, but without the waiting, so fault tests stay fast.
FAST_RETRY = RetryPolicy(initial_delay=0.001, max_delay=0.01)


@pytest.fixture
def anyio_backend() -> str:
    """qoder_async runs on asyncio (aiohttp); the anyio plugin is told so."""
    return "asyncio"


@pytest.fixture
async def fake_qoder() -> AsyncIterator[FakeQoderServer]:
    """A started fake server on 127.0.0.1."""
    async with FakeQoderServer() as server:
        yield server


@pytest.fixture
async def qoder_client(fake_qoder: FakeQoderServer) -> AsyncIterator[AsyncQoder]:
    """A client for ``fake_qoder`` with fast retries."""
    async with fake_qoder.client(retry=FAST_RETRY) as client:
        yield client
