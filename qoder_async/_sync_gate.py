"""The loop's side of the blocking client: who runs the loop, and one call's way through it.

:class:`Gate` says who runs the loop (``owner``: a caller's thread id, :data:`DAEMON`, or
``None`` when it is idle) and what is in progress (calls handed over and not started yet,
tasks not done); :class:`Call` is one coroutine and the lock its caller waits on;
:func:`serve` is the daemon thread's life. ``_sync_loop.LoopThread`` puts them together.
"""

from __future__ import annotations

import _thread
import asyncio
import contextvars
import logging
import signal
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from ._errors import ClientClosedError

__all__ = [
    "CLOSE_GRACE",
    "DAEMON",
    "Call",
    "CtrlC",
    "Gate",
    "begin_shutdown",
    "counting_factory",
    "serve",
]

_log = logging.getLogger("qoder_async")

#: Seconds the final ``aclose`` of a shutdown may take before the loop stops anyway.
CLOSE_GRACE = 5.0
#: ``Gate.owner`` while the daemon thread runs the loop.
DAEMON = -1
#: The C functions behind ``signal.signal``/``getsignal``: they skip the enum conversions that
#: a call run by the main thread pays twice (the cost is in benchmarks/README.md).
_SIGNAL: Any = getattr(signal, "_signal", signal)
_SIGINT = int(signal.SIGINT)


class Gate:
    """Who runs the loop, and what is in progress: shared by the callers and the loop."""

    __slots__ = (
        "closing",
        "exit",
        "handed",
        "kept",
        "lock",
        "open",
        "owner",
        "persistent",
        "started",
        "tasks",
        "wake",
    )

    def __init__(self, persistent: bool) -> None:
        # Re-entrant: a __del__ run by the garbage collector may hand work over from inside
        # a hand-over in the same thread.
        self.lock = threading.RLock()
        self.owner: int | None = None
        # Handed over with call_soon_threadsafe (under the lock) and started (by the loop's
        # runner only): the loop never takes the lock for a call, so callers never queue
        # behind it.
        self.handed = self.started = 0
        self.tasks = 0  # tasks of the loop not done (changed only by the loop's runner)
        self.closing = False  # no more hand-overs
        self.exit = False  # the final aclose ran: the daemon thread closes the loop
        self.persistent = persistent  # the daemon thread runs the loop all the time
        self.kept: object = None  # see LoopThread.keep
        self.open: weakref.WeakSet[Any] = weakref.WeakSet()  # see LoopThread.track
        self.wake = _thread.allocate_lock()  # released to give the loop to the daemon
        self.wake.acquire()

    def give_to_daemon(self) -> None:
        """Call with the lock held, when nobody runs the loop or its runner lets go."""
        self.owner = DAEMON
        self.wake.release()

    def busy(self) -> bool:
        """Whether the loop must keep running (read by its runner, or under the lock)."""
        return bool(self.handed != self.started or self.tasks or self.closing or self.persistent)


class Call:
    """One coroutine handed to the loop, and the lock its caller waits on."""

    __slots__ = ("context", "coro", "done", "driven", "gate", "queued", "skip", "task")

    def __init__(self, coro: Coroutine[Any, Any, Any], gate: Gate) -> None:
        self.coro = coro
        self.gate = gate
        # The caller's context variables (a trace id, ...) follow the call into the loop.
        self.context = contextvars.copy_context()
        self.task: asyncio.Task[Any] | None = None
        self.queued = self.driven = self.skip = False
        self.done = _thread.allocate_lock()
        self.done.acquire()

    # -- in the loop ----------------------------------------------------------------------

    def start(self) -> None:
        """In the loop: create the task (or refuse, once the loop is being closed)."""
        gate = self.gate
        if self.queued:
            gate.started += 1
        if self.skip or gate.exit:
            self.coro.close()  # abandoned, or the loop is being closed: outcome() says so
            self.done.release()
            return
        # Created inside the caller's context: the task runs in a copy of it (3.10 has no
        # create_task(context=...)).
        self.task = self.context.run(asyncio.get_running_loop().create_task, self.coro)
        self.task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.done.release()
        if self.driven:
            task.get_loop().stop()

    def cancel(self) -> None:
        """In the loop: cancel the task of a caller that stopped waiting."""
        task = self.task
        if task is not None and not task.done():
            task.cancel()
            # Nobody will read the outcome of an abandoned call: never log it as unretrieved.
            task.add_done_callback(_retrieve)

    # -- in the caller ----------------------------------------------------------------------

    def outcome(self) -> Any:
        """In the caller, once ``done`` is released: the result, or the task's exception."""
        task = self.task
        if task is None or task.cancelled():
            raise ClientClosedError("the Qoder client was closed while the call was in flight")
        return task.result()


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


class CtrlC:
    """While the main thread runs the loop: Ctrl-C cancels the call's task (the way
    ``asyncio.run`` does) rather than raising inside whatever callback is running; a second
    Ctrl-C raises at once. Only when SIGINT has Python's default handler."""

    __slots__ = ("call", "fired", "installed", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, call: Call) -> None:
        self.loop = loop
        self.call = call
        self.fired = self.installed = False

    def __enter__(self) -> None:
        if (
            threading.current_thread() is threading.main_thread()
            and _SIGNAL.getsignal(_SIGINT) is signal.default_int_handler
        ):
            _SIGNAL.signal(_SIGINT, self._on_sigint)
            self.installed = True

    def __exit__(self, *exc_info: object) -> None:
        if self.installed:
            _SIGNAL.signal(_SIGINT, signal.default_int_handler)

    def _on_sigint(self, signum: int, frame: object) -> None:
        task = self.call.task
        if self.fired or task is None:
            raise KeyboardInterrupt
        self.fired = True
        task.cancel()
        self.loop.call_soon_threadsafe(_nothing)  # the selector may be asleep: wake it


def _nothing() -> None:
    pass


def counting_factory(gate: Gate) -> Any:
    """A task factory counting the loop's tasks in ``gate.tasks``; the daemon thread stops
    running the loop when the last one ends and nothing else is in progress."""

    # Every task counts, not only the calls: a create_many batch goes on between the items
    # its caller takes.
    def on_done(_: object) -> None:
        gate.tasks -= 1
        if gate.owner == DAEMON and not gate.busy():
            asyncio.get_running_loop().stop()

    def factory(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
    ) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        gate.tasks += 1
        task.add_done_callback(on_done)
        return task

    return factory


def begin_shutdown(
    loop: asyncio.AbstractEventLoop, gate: Gate, final: Callable[[], Awaitable[object]] | None
) -> None:
    """In the loop: run ``final()`` (bounded), then let :func:`serve` close the loop."""

    async def finish() -> None:
        with gate.lock:
            steps = [item.release for item in gate.open]
        if final is not None:
            steps.append(final)  # last: the streams give their connections back first
        try:
            for step in steps:
                try:
                    await asyncio.wait_for(step(), CLOSE_GRACE)
                except Exception as exc:
                    # Closing goes on whatever a stream or the transport says; the log keeps it.
                    _log.debug("closing the blocking client: %s failed", step, exc_info=exc)
        finally:
            gate.exit = True
            loop.stop()

    loop.create_task(finish())


def serve(loop: asyncio.AbstractEventLoop, gate: Gate) -> None:
    """The daemon thread: run the loop whenever it is given the loop, until shut down;
    then cancel what is left and close the loop."""
    while True:
        gate.wake.acquire()  # until the loop is given to this thread
        while not gate.exit:
            try:
                loop.run_forever()
            except BaseException:
                pass  # a callback's SystemExit: its task hands it to the caller already
            with gate.lock:
                if not gate.exit and not gate.busy():
                    gate.owner = None
                    break
        if gate.exit:
            break
    try:
        _cancel_all(loop)
        # Calls counted before `closing` may still be on their way: take (and refuse) them.
        for _ in range(1000):
            loop.run_until_complete(asyncio.sleep(0.001 if gate.handed != gate.started else 0))
            if gate.handed == gate.started:
                break
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    # What asyncio.run does on the way out, without reporting: the callers got their errors.
    # A few rounds: a cancelled task may start another (create_many's driver); a task that
    # refuses to end is left behind rather than hanging the thread.
    for _ in range(3):
        tasks = asyncio.all_tasks(loop)
        if not tasks:
            return
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
