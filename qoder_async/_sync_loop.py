"""The event loop behind the blocking client, and how calls get onto it from other threads.

One loop per client, and one daemon thread that runs it whenever anything is in progress.
A call that finds the loop idle (no task, nothing handed over, no other thread running it)
runs the loop itself, in its own thread, until its task is done, and then hands the loop to
the daemon thread if anything else is still in progress: a lone caller pays no thread
switch (handing every call to the daemon thread costs two thread switches per call;
``benchmarks/README.md`` has the figures). Otherwise the call is handed over with
``call_soon_threadsafe`` and its thread waits on a plain lock that the task's done-callback
releases. Who runs the loop is ``Gate.owner``, changed only under the gate's lock, which
every hand-over also takes, so handed-over work is never left in a loop nobody runs.

A caller interrupted while it waits (Ctrl-C, a signal handler that raises) cancels its task
in the loop, gives it :data:`CANCEL_GRACE` seconds to unwind, and re-raises. While the main
thread runs the loop itself, Ctrl-C cancels the task the way ``asyncio.run`` does, instead
of raising inside whatever callback happens to run.

Shutting down is one-way: once ``closing`` is set nothing new is handed over; the daemon
thread runs the final ``aclose``, cancels and awaits every task left, and closes the loop.

After ``os.fork()`` the child has the loop object but not its thread; :data:`FORKS` counts
forks so that a ``LoopThread`` knows it belongs to the parent and refuses (the client then
starts a new one, see ``_sync.py``) instead of waiting forever.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from ._errors import ClientClosedError, QoderError
from ._sync_gate import (
    CLOSE_GRACE,
    Call,
    CtrlC,
    Gate,
    begin_shutdown,
    counting_factory,
    serve,
)

__all__ = ["CANCEL_GRACE", "CLOSE_GRACE", "FORKS", "LoopThread", "SyncCallInEventLoopError"]

T = TypeVar("T")

#: Seconds a cancelled call is given to unwind (release its connection) before the
#: interrupted caller moves on; a second Ctrl-C cuts it short.
CANCEL_GRACE = 2.0
#: Windows does not interrupt a blocking lock wait with Ctrl-C: wait in slices there.
_POLL = 0.25 if sys.platform == "win32" else None


class SyncCallInEventLoopError(QoderError, RuntimeError):
    """A blocking :class:`Qoder` method was called from a thread that runs an event loop.

    Blocking there would freeze that loop (or deadlock, inside the client's own loop, from a
    hook or a token provider). In async code use :class:`AsyncQoder`; from sync code that
    must run inside a loop, hand the call to a thread (``await asyncio.to_thread(...)``).
    Also a ``RuntimeError``.

    Example::

        async def handler() -> None:
            try:
                client.sessions.retrieve("sess_1")        # client is a Qoder
            except SyncCallInEventLoopError:
                session = await async_client.sessions.retrieve("sess_1")
    """


class _Forks:
    """How many times this process forked since import (0 in the process that imported)."""

    count = 0


FORKS = _Forks()


def _after_fork_in_child() -> None:
    FORKS.count += 1


os.register_at_fork(after_in_child=_after_fork_in_child)


class LoopThread:
    """An asyncio loop for blocking callers: run by a daemon thread while anything is in
    progress, and by the calling thread itself when it is idle.

    Args:
        name: the daemon thread's name (shown by debuggers and ``threading.enumerate()``).
        persistent: keep the loop running in the daemon thread all the time (for a server).

    Example::

        runner = LoopThread("qoder-sync")
        print(runner.run(asyncio.sleep(0.1, result="slept")))
        runner.shutdown(None, wait=1.0)
    """

    __slots__ = ("_gate", "forks", "loop", "thread")

    def __init__(self, name: str, *, persistent: bool = False) -> None:
        self.forks = FORKS.count
        self.loop = loop = asyncio.new_event_loop()
        self._gate = gate = Gate(persistent)
        loop.set_task_factory(counting_factory(gate))
        # The thread holds the loop and the gate only: a client nobody references can be
        # collected while its loop still runs, and its __del__ stops the loop.
        self.thread = threading.Thread(target=serve, args=(loop, gate), name=name, daemon=True)
        self.thread.start()
        if persistent:
            with gate.lock:
                gate.give_to_daemon()

    def keep(self, value: object) -> None:
        """Keep ``value`` alive as long as the loop: the client a final ``aclose`` closes.

        The daemon thread references it, so the garbage collector never finalizes it with
        a client object it was only reachable from (aiohttp's "Unclosed client session")
        before that ``aclose`` ran.
        """
        self._gate.kept = value

    def track(self, item: Any) -> None:
        """Have ``await item.release()`` run before the final ``aclose`` of a shutdown.

        For the streams and iterators still open when the client closes: released in the
        loop, their connections go back before the pool closes (no "Unclosed connection"
        when the objects are collected later). Held weakly.
        """
        with self._gate.lock:
            self._gate.open.add(item)

    @property
    def usable(self) -> bool:
        """Whether calls can still be handed over (not shut down, not the parent's after fork)."""
        return self.forks == FORKS.count and not self._gate.closing

    def run(self, coro: Coroutine[Any, Any, T], *, from_a_loop: bool = False) -> T:
        """Run ``coro`` on the loop and block until it is done; its exception propagates.

        An exception raised in the waiting thread (``KeyboardInterrupt``) cancels the task,
        gives it :data:`CANCEL_GRACE` seconds to unwind, and propagates. ``from_a_loop``:
        allowed from a thread that runs an event loop too (for what is quick and cannot
        wait on that loop, such as building the client).
        """
        call = self._hand_over(coro, may_run=not from_a_loop, check_caller=not from_a_loop)
        if call.driven:
            self._run_loop(call)
        done = call.done
        if done.locked():
            try:
                if _POLL is None:
                    done.acquire()
                else:
                    while not done.acquire(timeout=_POLL):
                        pass
            except BaseException:
                self._abandon(call)
                raise
        return call.outcome()  # type: ignore[no-any-return]

    def spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        """Start ``coro`` in the loop without waiting (dropped if the loop is gone)."""
        try:
            self._hand_over(coro, may_run=False, check_caller=False)
        except QoderError:
            pass

    def run_bounded(self, coro: Coroutine[Any, Any, object], seconds: float) -> None:
        """Run ``coro`` for at most ``seconds`` (then cancel it); ignore how it ends."""
        call = self._hand_over(coro, may_run=False)
        if not call.done.acquire(timeout=seconds):
            self._abandon(call)
        elif call.task is not None and not call.task.cancelled():
            call.task.exception()

    def shutdown(self, final: Callable[[], Awaitable[object]] | None, wait: float | None) -> None:
        """Stop the loop after ``final()`` (at most :data:`CLOSE_GRACE` s); idempotent.

        Every task still running is then cancelled and awaited, and the loop closed.
        ``wait``: seconds to wait for that (``None``: do not wait; never waits from inside
        the loop, or in a forked child).
        """
        if self.forks != FORKS.count:
            return  # the parent's loop: its thread does not exist here, leave it be
        gate = self._gate
        with gate.lock:
            if not gate.closing:
                gate.closing = True
                self.loop.call_soon_threadsafe(begin_shutdown, self.loop, gate, final)
                if gate.owner is None:
                    gate.give_to_daemon()
        if wait is not None and asyncio._get_running_loop() is not self.loop:
            self.thread.join(wait)

    # -- getting onto the loop ------------------------------------------------------------

    def _hand_over(
        self, coro: Coroutine[Any, Any, Any], *, may_run: bool, check_caller: bool = True
    ) -> Call:
        error: QoderError | None = None
        gate = self._gate
        call = Call(coro, gate)
        if self.forks != FORKS.count:
            error = ClientClosedError(
                "this object belongs to the event loop of the process before os.fork(); "
                "make a new one in this process (the Qoder client itself recovers)"
            )
        elif check_caller and asyncio._get_running_loop() is not None:
            error = SyncCallInEventLoopError(
                "a blocking Qoder method was called from a running event loop, which it "
                "would freeze; use AsyncQoder (await client.<method>(...)) in async code, "
                "or run the blocking call in a thread (asyncio.to_thread)"
            )
        else:
            with gate.lock:
                if gate.closing:
                    error = ClientClosedError("the Qoder client is closed; create a new one")
                elif may_run and gate.owner is None:
                    gate.owner = threading.get_ident()
                    call.driven = True
                else:
                    # Counted now, sent after the lock: nobody lets go of the loop while
                    # this call is on its way.
                    call.queued = True
                    gate.handed += 1
                    if gate.owner is None:
                        gate.give_to_daemon()
            if call.queued:
                try:
                    self.loop.call_soon_threadsafe(call.start)
                except RuntimeError:
                    error = ClientClosedError("the Qoder client is closed; create a new one")
        if error is not None:
            coro.close()  # never started: no "coroutine was never awaited" warning
            raise error
        return call

    def _run_loop(self, call: Call) -> None:
        """Run the idle loop in this thread until ``call`` is done, then let go of it."""
        loop = self.loop
        # Scheduled, not started here: the I/O events already waiting (a server's close of
        # an idle pooled connection) are taken in before the task picks a connection.
        loop.call_soon(call.start)
        ctrl_c = CtrlC(loop, call)
        try:
            with ctrl_c:
                loop.run_forever()
        except BaseException:
            if call.task is None:
                call.skip = True
                call.coro.close()
            self._let_go()
            self._abandon(call)
            raise
        # The loop may also have been stopped for a shutdown: then the call is not done
        # yet, and run() goes on to wait for it like any other caller.
        self._let_go()
        if ctrl_c.fired:
            self._abandon(call)
            raise KeyboardInterrupt

    def _let_go(self) -> None:
        gate = self._gate
        with gate.lock:
            if gate.busy():
                gate.give_to_daemon()
            else:
                gate.owner = None

    def _abandon(self, call: Call) -> None:
        if call.done.locked() and not call.skip:
            try:
                self.loop.call_soon_threadsafe(call.cancel)
            except RuntimeError:
                return  # the loop is closed: every call in it has ended
            call.done.acquire(timeout=CANCEL_GRACE)
