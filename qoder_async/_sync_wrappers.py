"""Blocking forms of what the async resources hand out, built by type, never by endpoint.

:func:`adapt` is the one rule: a coroutine is run on the client's loop (and its result
adapted in turn), a resource (or a download's :class:`BinaryResponse`) becomes a
:class:`SyncResource`, an :class:`AsyncPaginator` a :class:`SyncPaginator`, an
:class:`EventStream` a :class:`SyncEventStream`, any other async iterator a
:class:`SyncIterator`; everything else (models, ``RawResponse``) is returned as it is. A
resource added to the async client tomorrow is covered without a line here.

A :class:`SyncResource` does not hold its async resource: it holds how to reach it from the
client (``resolve``), so after ``os.fork()`` it reaches the child's new client.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, TypeVar

from ._binary import BinaryResponse
from ._models.event_base import Event
from ._pagination import AsyncPaginator, Page
from ._raw import RawResponse
from ._streaming import EventStream
from ._sync_loop import CLOSE_GRACE, LoopThread
from .resources._base import RawResponseView, Resource

__all__ = ["SyncEventStream", "SyncIterator", "SyncPaginator", "SyncResource", "adapt"]

T = TypeVar("T")
R = TypeVar("R")

#: Gives the loop thread and the async object a wrapper stands for, as of now.
Resolve = Callable[[], "tuple[LoopThread, Any]"]

_END: Any = object()


def adapt(runner: LoopThread, value: Any) -> Any:
    """The blocking form of ``value``, which an async resource method returned."""
    if inspect.iscoroutine(value):
        value = runner.run(value)
    if isinstance(value, AsyncPaginator):
        return SyncPaginator(runner, value)
    if isinstance(value, EventStream):
        return SyncEventStream(runner, value)
    if isinstance(value, (Resource, RawResponseView, BinaryResponse)):
        # An object whose async methods are called later: each becomes a blocking one.
        return SyncResource(lambda: (runner, value))
    if hasattr(value, "__anext__"):
        return SyncIterator(runner, value)
    return value


def _blocking(resolve: Resolve, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        runner, target = resolve()
        return adapt(runner, getattr(target, name)(*args, **kwargs))

    # The async method's name, docstring and signature (without ``self``) for help(),
    # taken from the function: the wrapper must not keep one client's resource alive.
    functools.update_wrapper(call, getattr(method, "__func__", method))
    try:
        call.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        pass  # a callable without one: help() shows (*args, **kwargs)
    return call


class SyncResource(Generic[R]):
    """The blocking form of an async resource: ``client.sessions``, ``client.sessions.events``,
    ``client.sessions.with_raw_response`` and every resource the async client has.

    Each method takes the async method's arguments (per-call ``RequestOptions`` included)
    and returns the same result, blocking: the same model classes (``Session``, ...), the
    same exceptions. ``list(...)`` gives a :class:`SyncPaginator`, ``stream(...)`` a
    :class:`SyncEventStream`, ``create_many(...)`` a :class:`SyncIterator` of
    ``BulkResult``. ``help(client.sessions.create)`` shows the async method's documentation.

    Args:
        resolve: gives ``(loop thread, async object)``; ``name``, if given, is then looked
            up on that object.
        name: the attribute of the resolved object this resource stands for.

    Example::

        session = client.sessions.create(agent="agent_01", environment_id="env_01")
        raw = client.sessions.with_raw_response.retrieve(session.id)
    """

    def __init__(self, resolve: Resolve, name: str | None = None) -> None:
        self._parent = resolve
        self._name = name
        self._cache: tuple[object, Any] = (None, None)

    def _resolve(self) -> tuple[LoopThread, R]:
        runner, owner = self._parent()
        name = self._name
        if name is None:
            return runner, owner
        cached = self._cache
        if cached[0] is owner:
            return runner, cached[1]
        target = getattr(owner, name)
        self._cache = (owner, target)  # one tuple: threads never see half an update
        return runner, target

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._resolve()[1], name)
        wrapped: Any
        if isinstance(value, (Resource, RawResponseView)):
            wrapped = SyncResource(self._resolve, name)
        elif callable(value):
            wrapped = _blocking(self._resolve, name, value)
        else:
            return value
        self.__dict__[name] = wrapped  # found directly from now on: __getattr__ runs once
        return wrapped

    def __dir__(self) -> list[str]:
        target = self._resolve()[1]
        return sorted({*super().__dir__(), *(n for n in dir(target) if not n.startswith("_"))})

    def __repr__(self) -> str:
        try:
            target = type(self._resolve()[1]).__name__
        except Exception:
            target = self._name or "resource"
        return f"<SyncResource {target}>"


class SyncIterator(Generic[T]):
    """The blocking form of an async iterator (``create_many``, ``pages()``, a raw list).

    Each ``next()`` runs one step of the async iterator on the client's loop. Use it in a
    ``with`` block (or call :meth:`close`) to release what it holds at once when you stop
    early: ``create_many`` then cancels the requests in flight. One thread at a time.

    Args:
        runner: the client's loop thread.
        iterator: the async iterator to drive.

    Example::

        items = [{"agent": "agent_01", "environment_id": "env_01"}] * 3
        with client.sessions.create_many(items, concurrency=4) as results:
            for result in results:
                print(result.index, result.ok)
    """

    def __init__(self, runner: LoopThread, iterator: AsyncIterator[T]) -> None:
        self._runner = runner
        self._iterator = iterator
        self._finished = False
        if hasattr(iterator, "aclose"):
            runner.track(self)

    def __iter__(self) -> SyncIterator[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        item = self._runner.run(_step(self._iterator))
        if item is _END:
            self._finished = True
            raise StopIteration
        return item  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop: close the async iterator in the loop (bounded wait). Safe to call twice.

        Example::

            results = client.sessions.create_many(items)
            first = next(results)
            results.close()  # the batch's requests in flight are cancelled
        """
        if self._finished:
            return
        self._finished = True
        if hasattr(self._iterator, "aclose") and self._runner.usable:
            self._runner.run_bounded(_aclose(self._iterator), CLOSE_GRACE)

    async def release(self) -> None:
        """In the loop, when the client closes: close the async iterator if still open.

        Example::

            await iterator.release()  # what Qoder.close() does for every open iterator
        """
        if not self._finished:
            self._finished = True
            await _aclose(self._iterator)

    def __enter__(self) -> SyncIterator[T]:
        if hasattr(self._iterator, "__aenter__"):
            self._runner.run(_aenter(self._iterator))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Left without close (a ``break`` in a ``for``): release in the loop, without
        # waiting, since __del__ may run in any thread, the loop's own included.
        if not getattr(self, "_finished", True) and hasattr(self._iterator, "aclose"):
            try:
                self._runner.spawn(_aclose(self._iterator))
            except Exception:
                pass  # nothing may escape __del__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} over {self._iterator!r}>"


class SyncEventStream(SyncIterator[Event]):
    """The blocking form of :class:`EventStream`: a context manager iterated with ``for``.

    Entering opens the connection (send after entering to miss nothing); leaving, or
    :meth:`close`, releases it. It resumes after drops exactly as the async stream does.

    Args:
        runner: the client's loop thread.
        stream: the :class:`EventStream` to drive.

    Example::

        with client.sessions.events.stream(session.id) as stream:
            client.sessions.events.send(session.id, [user_message("Hi")])
            for event in stream:
                if isinstance(event, SessionStatusIdleEvent):
                    break
    """

    def __init__(self, runner: LoopThread, stream: EventStream) -> None:
        super().__init__(runner, stream)
        self._stream = stream

    def __enter__(self) -> SyncEventStream:
        super().__enter__()
        return self

    @property
    def last_event_id(self) -> str | None:
        """The id the stream resumes after: the last complete event it yielded."""
        return self._stream.last_event_id

    @property
    def reconnects(self) -> int:
        """How many times the stream had to connect again."""
        return self._stream.reconnects

    @property
    def closed(self) -> bool:
        """Whether the stream ended (terminated session, :meth:`close`, or ``with`` exit)."""
        return self._finished or self._stream.closed


class SyncPaginator(Generic[T]):
    """The blocking form of :class:`AsyncPaginator`: every item of a list endpoint.

    Nothing is sent until you iterate; a page is fetched when the previous one is used up
    (one trip to the loop per page, not per item). Each ``for`` starts again from the first
    page.

    Args:
        runner: the client's loop thread.
        paginator: the :class:`AsyncPaginator` to drive.

    Example::

        for session in client.sessions.list(limit=100):
            print(session.id)
        for page in client.sessions.list().pages():
            print(len(page.data), page.has_more)
    """

    def __init__(self, runner: LoopThread, paginator: AsyncPaginator[T]) -> None:
        self._runner = runner
        self._paginator = paginator

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.data

    def pages(self) -> SyncIterator[Page[T]]:
        """Iterate over whole :class:`Page` objects instead of items.

        Example::

            for page in client.sessions.list(limit=50).pages():
                print(len(page.data), page.has_more)
        """
        return SyncIterator(self._runner, self._paginator.pages())

    def raw_pages(self) -> SyncIterator[RawResponse[Page[T]]]:
        """Iterate over the HTTP responses of the pages (status, headers, request id).

        Example::

            for raw in client.sessions.list().raw_pages():
                print(raw.status, raw.request_id)
        """
        return SyncIterator(self._runner, self._paginator.raw_pages())

    def __repr__(self) -> str:
        return f"<SyncPaginator over {self._paginator!r}>"


async def _step(iterator: AsyncIterator[Any]) -> Any:
    # A coroutine for the loop's task (an async generator's __anext__ is not one), and the
    # end as a value: StopAsyncIteration is not meant to cross into another thread's frames.
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return _END


async def _aenter(manager: Any) -> None:
    await manager.__aenter__()


async def _aclose(iterator: Any) -> None:
    await iterator.aclose()
