"""Shared test setup: ids, a fast retry policy, sample payloads, and leak checks.

``filterwarnings = error`` turns ``ResourceWarning`` into failures; but "Task was destroyed
but it is pending!", the log half of "Unclosed client session" and "Event loop is closed"
reach the ``asyncio`` logger through the loop's exception handler, not the warnings
machinery. They are collected here and fail the test after its teardown (and after the
garbage collection that makes ``__del__`` speak), so a leak is pinned on the test that leaked.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_server import RedisServer

from qoder_async import RetryPolicy

#: The agent and environment every test creates its sessions with (the ids of the
#: published samples). Test modules import them: ``from conftest import AGENT, ENV``.
AGENT = "agent_019e390add9f7bac9b6cc806db46fcbd"
ENV = "env_019e2590d33f711fabf42f2857cecd8a"

#: Retries that do not slow the suite down: the default attempt count, millisecond delays.
FAST_RETRY = RetryPolicy(initial_delay=0.001, max_delay=0.01)

#: The published payloads, copied verbatim from shared/api/samples (test_samples checks
#: that the copy still matches when shared/ sits beside the repository).
SAMPLES = Path(__file__).resolve().parent / "samples"
SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "api" / "samples"


@pytest.fixture(autouse=True)
def _collect_garbage():
    # Unclosed sessions/connectors warn from __del__; collect now so that the warning
    # (an error under filterwarnings=error) is pinned on the test that leaked.
    yield
    gc.collect()


def sample(name: str) -> bytes:
    """The exact bytes of one published sample."""
    return (SAMPLES / name).read_bytes()


_COMPLAINTS = ("Task was destroyed", "Unclosed", "Event loop is closed", "never retrieved")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_collector = _Collector()
logging.getLogger("asyncio").addHandler(_collector)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    _collector.messages.clear()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    result = yield
    complaints = [m for m in _collector.messages if any(c in m for c in _COMPLAINTS)]
    _collector.messages.clear()
    if complaints:
        pytest.fail(f"asyncio complained during {item.nodeid}: {complaints}", pytrace=False)
    return result


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    """A real ``redis-server`` on loopback for one test module (skipped, or failed in CI,
    where none is installed: see ``redis_server``)."""
    server = RedisServer().start()
    yield server
    server.stop()
