"""pytest fixtures for code that uses qoder_async.

Enable with ``pytest_plugins = ["qoder_async.testing.pytest_plugin"]`` (or
``-p qoder_async.testing.pytest_plugin``). Nothing else is needed: an ``async def`` test that
uses one of these fixtures and has no async marker of its own gets anyio's ``anyio`` marker
(anyio ships the pytest plugin that runs it, on asyncio), so it runs with no other async
plugin installed, and beside pytest-asyncio in its default strict mode. A test marked
``@pytest.mark.asyncio`` is left to pytest-asyncio, which then also runs ``fake_qoder`` and
``qoder_client`` in its event loop (in strict mode too, as if they were
``@pytest_asyncio.fixture``; pytest-asyncio 1.1 or later); in pytest-asyncio's auto mode every
``async def`` test is such a test.

Fixtures:
    ``fake_qoder``: a started :class:`FakeQoderServer`, in the test's event loop.
    ``qoder_client``: an :class:`AsyncQoder` pointed at it, with fast retries, closed after.
    ``fake_qoder_threaded``: a started :class:`FakeQoderServer` whose event loop runs in a
        thread of its own, so that plain (sync) test functions can call it.
    ``qoder_sync_client``: a :class:`Qoder` (the blocking client) pointed at
        ``fake_qoder_threaded``, with fast retries, closed after.

``fake_qoder`` cannot serve a sync test: its loop only runs while the test awaits, and a
blocking call never does. ``fake_qoder_threaded`` serves from its own thread instead; read
and script it (``requests``, ``inject``, ``events.reply``) from the test as usual.

Example::

    def test_create(qoder_sync_client, fake_qoder_threaded):
        session = qoder_sync_client.sessions.create(agent="agent_1", environment_id="env_1")
        assert session.id in fake_qoder_threaded.sessions
"""

from __future__ import annotations

import inspect
import types
from collections.abc import AsyncIterator, Generator, Iterator

import pytest

from .._client import AsyncQoder
from .._retry import RetryPolicy
from .._sync import Qoder
from .._sync_loop import CLOSE_GRACE, LoopThread
from ._server import FakeQoderServer

__all__ = [
    "anyio_backend",
    "pytest_collection_modifyitems",
    "pytest_pycollect_makeitem",
    "pytest_fixture_setup",
    "fake_qoder",
    "fake_qoder_threaded",
    "qoder_client",
    "qoder_sync_client",
]

#: The fixtures whose async tests are marked for anyio when they carry no async marker.
_ASYNC_FIXTURES = frozenset({"fake_qoder", "qoder_client"})
_ASYNC_MARKERS = ("anyio", "asyncio", "trio")


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Mark an ``async def`` test that names this plugin's fixtures among its arguments (and
    carries no async marker) for anyio, before it is parametrized, as anyio's own auto mode
    does: so its other parameters are kept."""
    if not (
        isinstance(collector, (pytest.Module, pytest.Class))
        and collector.istestfunction(obj, name)
        and inspect.iscoroutinefunction(obj)
    ):
        return
    marks = [*getattr(obj, "pytestmark", ()), *collector.iter_markers()]
    if any(mark.name in _ASYNC_MARKERS for mark in marks) or _asyncio_auto_mode(collector.config):
        return
    if _ASYNC_FIXTURES.intersection(inspect.signature(obj).parameters):
        pytest.mark.usefixtures("anyio_backend")(obj)
        pytest.mark.anyio(obj)


def _asyncio_auto_mode(config: pytest.Config) -> bool:
    # pytest-asyncio's auto mode takes every async test; the asyncio marker comes later.
    if config.pluginmanager.get_plugin("asyncio") is None:
        return False
    mode = config.getoption("asyncio_mode", None) or config.getini("asyncio_mode")
    return str(mode) == "auto"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the other ``async def`` tests that use this plugin's fixtures (through fixtures
    of their own) to run under anyio."""
    for item in items:
        function = getattr(item, "function", None)
        if function is None or not inspect.iscoroutinefunction(function):
            continue
        if any(item.get_closest_marker(name) for name in _ASYNC_MARKERS):
            continue
        if _ASYNC_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.anyio)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    """Let pytest-asyncio run ``fake_qoder`` / ``qoder_client`` for its tests, and only those.

    In strict mode pytest-asyncio runs (and, at call time, accepts) only async fixtures
    marked as its own, so for a test it runs, the fixture function is so marked with
    pytest-asyncio's ``fixture`` decorator. Any other test (anyio's) is given an unmarked
    copy of it for its setup, so pytest-asyncio never takes it over from anyio.
    """
    func = fixturedef.func
    asyncio_plugin = request.config.pluginmanager.get_plugin("asyncio")
    if (
        asyncio_plugin is None
        or fixturedef.argname not in _ASYNC_FIXTURES
        or not isinstance(func, types.FunctionType)
        or func.__module__ != __name__
    ):
        return (yield)
    if request.node.get_closest_marker("asyncio") and "anyio_backend" not in request.fixturenames:
        asyncio_plugin.fixture(func)
        return (yield)
    unmarked = types.FunctionType(
        func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fixturedef, "func", unmarked)
        return (yield)


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


@pytest.fixture
def fake_qoder_threaded() -> Iterator[FakeQoderServer]:
    """A started fake server on 127.0.0.1, served by an event loop in its own thread."""
    runner = LoopThread("fake-qoder-server", persistent=True)
    server = FakeQoderServer()
    try:
        runner.run(server.start())
        yield server
        runner.run(server.close())
    finally:
        runner.shutdown(None, wait=CLOSE_GRACE)


@pytest.fixture
def qoder_sync_client(fake_qoder_threaded: FakeQoderServer) -> Iterator[Qoder]:
    """A blocking :class:`Qoder` for ``fake_qoder_threaded`` with fast retries."""
    server = fake_qoder_threaded
    with Qoder(api_key=server.token, base_url=server.base_url, retry=FAST_RETRY) as client:
        yield client
