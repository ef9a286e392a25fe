"""One run at a time per output file: an exclusive OS lock on a sidecar ``OUT.lock``.

An OS lock (``flock``) dies with its process, so a run killed with ``kill -9`` never leaves
a lock behind that blocks the next one; the pid written into the file is only there to
tell a user which run holds it. The sidecar is unlinked by the holder when it is done;
a run that locked a file someone unlinked in between checks the path still names the
file it locked, and tries again if not.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ._common import UsageError

__all__ = ["OutputLock"]


class OutputLock:
    """The exclusive lock of one output file, held from :meth:`acquire` to :meth:`close`.

    Args:
        path: the sidecar lock file.
        fd: its open descriptor, locked (-1 where there is no ``fcntl``).

    Example::

        with contextlib.closing(OutputLock.acquire("results.jsonl")):
            ...  # no other qoder-async run appends to results.jsonl meanwhile
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def acquire(cls, output: str) -> OutputLock:
        """Lock ``output`` (through ``output + ".lock"``) without waiting.

        Args:
            output: the output file's name.

        Raises:
            UsageError: another process holds the lock (the message names its pid), or the
                lock file cannot be created.

        Example::

            lock = OutputLock.acquire("results.jsonl")
            try: ...
            finally: lock.close()
        """
        # Resolved: two spellings of one output (a symlink, ./out) must meet at one lock.
        path = Path(f"{Path(output).resolve()}.lock")
        if sys.platform == "win32":  # pragma: no cover (no flock; a run is not protected)
            return cls(path, -1)
        import fcntl

        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise UsageError(f"cannot create {path}: {exc.strerror or exc}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(fd)
                os.close(fd)
                raise UsageError(
                    f"{output} is in use by another qoder-async run (pid {holder}); "
                    "wait for it to finish, or stop it and run again"
                ) from None
            if _same_file(path, fd):
                break
            os.close(fd)  # unlinked by the previous holder after we opened it: try again
        pid = f"{os.getpid()}\n".encode()
        # Overwritten in place, never emptied first: a run reading it meanwhile sees a pid.
        os.pwrite(fd, pid, 0)
        os.ftruncate(fd, len(pid))
        return cls(path, fd)

    def close(self) -> None:
        """Unlink the lock file, then unlock it. Safe to call twice.

        Example::

            lock.close()
        """
        if self._fd < 0:
            return
        try:
            self.path.unlink()
        except OSError:
            pass  # already gone, or a read-only folder: the lock itself still dies below
        os.close(self._fd)
        self._fd = -1


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return text if text.isdigit() else "unknown"


def _same_file(path: Path, fd: int) -> bool:
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)
