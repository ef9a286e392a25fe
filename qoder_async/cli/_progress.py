"""Progress on stderr: a ``rich`` bar on a terminal, else a plain line every few seconds.

``rich`` comes with the optional ``cli`` extra and is imported only here, only when used:
the base install runs every command, with plain progress lines.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol

from .._bulk import BulkProgress
from ._common import UsageError

__all__ = ["Display", "format_duration", "make_display", "wants_rich"]

_PLAIN_EVERY = 2.0


class Display(Protocol):
    """What shows a batch's progress: started, updated with each :class:`BulkProgress`, stopped.

    Example::

        display: Display = make_display("none", total=10, label="sessions")
    """

    def start(self) -> None: ...

    def update(self, progress: BulkProgress) -> None: ...

    def stop(self) -> None: ...


def format_duration(seconds: float) -> str:
    """``M:SS``, or ``H:MM:SS`` from an hour on.

    Args:
        seconds: the duration.

    Example::

        assert format_duration(3725) == "1:02:05"
    """
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Silent:
    def start(self) -> None:
        pass

    def update(self, progress: BulkProgress) -> None:
        pass

    def stop(self) -> None:
        pass


class _Plain:
    """One line every couple of seconds: readable in logs and CI output."""

    def __init__(self, total: int, label: str) -> None:
        self._total = total
        self._label = label
        self._last = 0.0
        self._shown: BulkProgress | None = None
        self._latest: BulkProgress | None = None

    def start(self) -> None:
        self._last = time.monotonic()

    def update(self, progress: BulkProgress) -> None:
        self._latest = progress
        now = time.monotonic()
        if now - self._last >= _PLAIN_EVERY:
            self._last = now
            self._show(progress)

    def _show(self, p: BulkProgress) -> None:
        self._shown = p
        total = max(self._total, p.done)
        percent = f" ({100 * p.done // total}%)" if total else ""
        eta = ""
        if p.rate > 0 and not p.finished and total > p.done:
            eta = f", ETA {format_duration((total - p.done) / p.rate)}"
        print(
            f"{self._label}: {p.done}/{total}{percent}, {p.failed} failed, "
            f"{p.rate:.1f}/s, {p.retries} retries{eta}",
            file=sys.stderr,
            flush=True,
        )

    def stop(self) -> None:
        latest = self._latest
        if latest is not None and latest is not self._shown:
            self._show(latest)


class _Rich:
    def __init__(self, total: int, label: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"),
            TextColumn("{task.fields[rate]:>7.1f}/s"),
            TextColumn("{task.fields[retries]} retries"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            refresh_per_second=8,
        )
        self._task: Any = self._progress.add_task(label, total=total, failed=0, rate=0.0, retries=0)

    def start(self) -> None:
        self._progress.start()

    def update(self, progress: BulkProgress) -> None:
        self._progress.update(
            self._task,
            completed=progress.done,
            failed=progress.failed,
            rate=progress.rate,
            retries=progress.retries,
        )

    def stop(self) -> None:
        self._progress.stop()


def make_display(mode: str, *, total: int, label: str) -> Display:
    """The display for ``--progress mode`` (``auto``: rich on a terminal when installed).

    Args:
        mode: ``auto``, ``rich``, ``plain`` or ``none``.
        total: how many items the bar counts to.
        label: what it counts (``"sessions"``).

    Example::

        display = make_display("plain", total=1000, label="sessions")
        display.start(); display.update(progress); display.stop()
    """
    if mode == "none":
        return _Silent()
    return _Rich(total, label) if wants_rich(mode) else _Plain(total, label)


def wants_rich(mode: str) -> bool:
    """Whether ``--progress mode`` means a ``rich`` display: ``rich``, or ``auto`` with
    ``rich`` installed and stderr a terminal; ``rich`` without the package is a usage error.

    Args:
        mode: ``auto``, ``rich``, ``plain`` or ``none``.

    Example::

        bar = wants_rich("auto")
    """
    if mode in ("auto", "rich"):
        try:
            import rich  # noqa: F401
        except ImportError:
            if mode == "rich":
                raise UsageError(
                    "--progress rich needs the 'rich' package: pip install 'qoder-async[cli]'"
                ) from None
        else:
            return mode == "rich" or sys.stderr.isatty()
    return False
