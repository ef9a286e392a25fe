"""``Qoder``: the blocking client, one :class:`AsyncQoder` driven through its own event loop.

Nothing here knows an endpoint. ``Qoder`` owns (through ``_Core``, shared by its
``with_options`` views) a :class:`LoopThread` and the root ``AsyncQoder`` built inside that
loop, whose connection pool lives there; ``client.sessions`` and every other resource is a
:class:`SyncResource` that reaches the async resource by name and turns what it returns into
its blocking form (``_sync_wrappers.adapt``).

Lifetime: ``close()`` (or ``with``) closes the pool and stops the thread with bounded waits;
a client nobody closed is stopped by ``_Core.__del__`` without blocking, or at exit. After
``os.fork()`` the child's first call starts a new thread and a new ``AsyncQoder`` from the
same options; the parent's loop, pool and sockets are left untouched (kept referenced so
that collecting them in the child cannot close anything or warn).
"""

from __future__ import annotations

import atexit
import functools
import os
import threading
import weakref
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from ._client import AsyncQoder
from ._errors import ClientClosedError
from ._sync_loop import CLOSE_GRACE, FORKS, LoopThread
from ._sync_wrappers import SyncResource
from ._transport import AsyncTransport
from .resources._base import Resource
from .resources.sessions import AsyncSessionsAPI

__all__ = ["Qoder"]

P = ParamSpec("P")
S = TypeVar("S")
R = TypeVar("R")

#: (loop thread, AsyncQoder) pairs inherited from the parent process: never closed nor freed.
_ABANDONED_AFTER_FORK: list[tuple[LoopThread, AsyncQoder]] = []
_LIVE: weakref.WeakSet[_Core] = weakref.WeakSet()


class _RestartLock:
    # A lock held by another thread at fork time stays held in the child: a fresh one there.
    lock = threading.Lock()


def _fresh_restart_lock() -> None:
    _RestartLock.lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_restart_lock)


def _same_parameters(
    source: Callable[Concatenate[Any, P], object],
) -> Callable[[Callable[Concatenate[S, ...], R]], Callable[Concatenate[S, P], R]]:
    """Give the decorated method ``source``'s parameters: for type checkers, and for
    ``help()``/``inspect.signature`` (through ``__wrapped__``); its own docstring stays."""

    def decorate(method: Callable[Concatenate[S, ...], R]) -> Callable[Concatenate[S, P], R]:
        return functools.update_wrapper(method, source, assigned=(), updated=())

    return decorate


async def _construct(options: dict[str, Any]) -> AsyncQoder:
    return AsyncQoder(**options)


class _Core:
    """What a ``Qoder`` and its views share: the options, the loop thread, the root client."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        self._state: tuple[LoopThread, AsyncQoder] | None = None
        self._state = self._start()
        _LIVE.add(self)

    @property
    def closed(self) -> bool:
        return self._state is None

    def _start(self) -> tuple[LoopThread, AsyncQoder]:
        runner = LoopThread("qoder-sync-loop")
        try:
            # Quick, and on a loop nobody else uses yet: fine from async code too (an app
            # may build the client at startup for its worker threads).
            client = runner.run(_construct(self._options), from_a_loop=True)
        except BaseException:
            runner.shutdown(None, wait=CLOSE_GRACE)
            raise
        runner.keep(client)
        return runner, client

    def live(self) -> tuple[LoopThread, AsyncQoder]:
        state = self._state
        if state is None:
            raise ClientClosedError("this Qoder is closed; create a new one")
        if state[0].forks != FORKS.count:
            return self._restart()
        return state

    def _restart(self) -> tuple[LoopThread, AsyncQoder]:
        with _RestartLock.lock:
            state = self._state
            if state is None:
                raise ClientClosedError("this Qoder is closed; create a new one")
            if state[0].forks == FORKS.count:
                return state  # another thread of this child got here first
            _ABANDONED_AFTER_FORK.append(state)
            self._state = self._start()
            return self._state

    def close(self, wait: float | None) -> None:
        state, self._state = self._state, None
        if state is None:
            return
        runner, client = state
        if runner.forks != FORKS.count:
            _ABANDONED_AFTER_FORK.append(state)
        else:
            runner.shutdown(client.aclose, wait)

    def __del__(self) -> None:
        try:
            self.close(wait=None)  # schedule only: the collector may run in any thread
        except Exception:
            pass  # nothing may escape __del__


@atexit.register
def _close_at_exit() -> None:
    for core in list(_LIVE):
        core.close(wait=CLOSE_GRACE)


class Qoder:
    """Blocking client for the Qoder Cloud Agents API: :class:`AsyncQoder`'s resources and
    methods, called without ``await``.

    Takes exactly :class:`AsyncQoder`'s arguments (``api_key``, ``base_url``, ``timeout``,
    ``retry``, ``max_retries``, ``max_connections``, ``default_headers``, ``workspace_id``,
    ``betas``, ``hooks``, ``transport``, ...) and returns the same model classes and raises
    the same exception objects. Inside, one ``AsyncQoder`` runs on an event loop owned by
    this client: a call that finds the loop idle runs it in the calling thread; while other
    calls are in progress it is handed to the client's daemon thread, which runs the loop
    for all of them.

    Resources (each a :class:`SyncResource`; ``help(client.sessions.create)`` shows the
    method's documentation):

    - ``sessions``: ``create``, ``retrieve``, ``list`` (a :class:`SyncPaginator`),
      ``update``, ``archive``, ``delete``, ``cancel``, ``create_many`` (a
      :class:`SyncIterator` of ``BulkResult``; ``items`` may be any iterable);
    - ``sessions.events``: ``send``, ``list``, ``stream`` (a :class:`SyncEventStream`:
      ``with`` it, iterate it with ``for``), ``run_turn``;
    - ``<resource>.with_raw_response``: the same methods returning ``RawResponse``;
    - every other resource of ``AsyncQoder``, under the same name.

    Threads: one client may be shared by any number of threads (one pool for all).
    Callbacks (hooks, token providers, ``on_progress``, ``create_many``'s ``items``) run on
    the loop, in whichever thread runs it, and must be quick; they see the caller's context
    variables. A call from a thread running an event loop raises
    :class:`SyncCallInEventLoopError`: use ``AsyncQoder`` there. Ctrl-C during a call
    cancels it and raises ``KeyboardInterrupt``. After ``os.fork()`` the child gets its own
    loop and pool on its first call. ``close()`` (or ``with``) closes the pool and stops the
    daemon thread; a client never closed is stopped when collected, or at exit.

    Args:
        options: :class:`AsyncQoder`'s keyword arguments, passed to the ``AsyncQoder`` built
            in the client's loop (``help(Qoder)`` shows them); an invalid one raises here.

    Example::

        with Qoder(api_key="pt-...") as client:
            session = client.sessions.create(agent="agent_01", environment_id="env_01")
            for s in client.sessions.list(statuses=["idle"]):
                print(s.id)
    """

    @_same_parameters(AsyncQoder.__init__)
    def __init__(self, **options: Any) -> None:
        """Start the loop and build the ``AsyncQoder`` in it (the arguments are its own)."""
        self._core = _Core(options)
        self._chain: tuple[dict[str, Any], ...] = ()
        root = self._core.live()[1]
        self._cache: tuple[object, AsyncQoder] = (root, root)
        self._resources: dict[str, SyncResource[Any]] = {}

    def _resolve(self) -> tuple[LoopThread, AsyncQoder]:
        runner, root = self._core.live()
        cached = self._cache
        if cached[0] is root:
            return runner, cached[1]
        client = root
        for options in self._chain:
            client = client.with_options(**options)
        self._cache = (root, client)  # one tuple: threads never see half an update
        return runner, client

    def _resource(self, name: str) -> SyncResource[Any]:
        resource = self._resources.get(name)
        if resource is None:
            resource = self._resources[name] = SyncResource(self._resolve, name)
        return resource

    @property
    def sessions(self) -> SyncResource[AsyncSessionsAPI]:
        """The Sessions endpoints, blocking (see :class:`AsyncSessionsAPI`).

        Example::

            session = client.sessions.retrieve("sess_019e3bb1e8c171fd9abbb1477ffb84cc")
        """
        return self._resource("sessions")

    def __getattr__(self, name: str) -> Any:
        # Resources added to AsyncQoder later are reached by name, with no code here.
        if not name.startswith("_") and isinstance(getattr(self._cache[1], name, None), Resource):
            return self._resource(name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        client = self._cache[1]
        names = (n for n in vars(client) if isinstance(getattr(client, n), Resource))
        return sorted({*super().__dir__(), *names})

    @_same_parameters(AsyncQoder.with_options)
    def with_options(self, **options: Any) -> Qoder:
        """A view of this client with other defaults, sharing its loop thread and pool.

        The options are checked now. Closing any view closes the client.

        Args:
            options: :meth:`AsyncQoder.with_options`'s keywords (``timeout``, ``retry``,
                ``max_retries``, ``default_headers``, ``workspace_id``, ``betas``,
                ``api_key``, ``hooks``).

        Example::

            patient = client.with_options(timeout=300, max_retries=5)
            patient.sessions.create(agent="agent_01", environment_id="env_01")
        """
        view = object.__new__(Qoder)
        view._core = self._core
        view._chain = (*self._chain, options)
        view._cache = (None, self._cache[1])
        view._resources = {}
        view._resolve()
        return view

    @property
    def base_url(self) -> str:
        """The API root every path is appended to."""
        return self._cache[1].base_url

    @property
    def transport(self) -> AsyncTransport:
        """The transport the async core sends through (``in_flight()`` on the default one).

        Example::

            print(client.transport.in_flight())
        """
        if self._core.closed:
            return self._cache[1].transport
        return self._resolve()[1].transport

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` was called (on this client or any view of it)."""
        return self._core.closed

    def close(self) -> None:
        """Close the connection pool and stop the loop thread; safe to call twice.

        Calls still running in other threads end with ``ClientClosedError``. Waits at most a
        few seconds, and not at all from inside the loop (from a hook it only schedules).

        Example::

            client = Qoder()
            try:
                client.sessions.create(agent="agent_01", environment_id="env_01")
            finally:
                client.close()
        """
        self._core.close(wait=CLOSE_GRACE + 1.0)

    def __enter__(self) -> Qoder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._core.closed else "open"
        return f"<Qoder base_url={self.base_url!r} {state}>"


def _resource_property(name: str, annotation: object) -> property:
    def get(self: Qoder) -> SyncResource[Any]:
        return self._resource(name)

    kind = getattr(annotation, "__name__", annotation)  # a string under PEP 563
    get.__doc__ = f"``AsyncQoder.{name}`` ({kind}), blocking: a :class:`SyncResource`."
    return property(get)


# help(Qoder) lists every resource AsyncQoder declares, those added later included.
for _name, _annotation in AsyncQoder.__annotations__.items():
    if not _name.startswith("_") and not hasattr(Qoder, _name):
        setattr(Qoder, _name, _resource_property(_name, _annotation))
