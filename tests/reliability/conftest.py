"""Shared by the reliability suite: asyncio's own complaints fail the test that caused them.

``filterwarnings = error`` catches ``ResourceWarning``; but "Task was destroyed but it is
pending!", "Unclosed client session" (its log half) and "Event loop is closed" reach the
``asyncio`` logger through the loop's exception handler, not the warnings machinery. The
check runs after the test's fixtures are torn down (and ``tests/conftest.py`` has
collected the garbage), so a leak is pinned on the test that leaked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

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
