"""``qoder-async files upload PATH`` and ``files download ID -o PATH``, with a ``rich`` byte
bar on a terminal (the ``cli`` extra) and one plain line at the end otherwise."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from .._client import AsyncQoder
from ._args import add_command, key_value, positive_int, progress_option
from ._common import UsageError, call_api, note, print_json
from ._progress import wants_rich

__all__ = ["add_transfer_commands", "download_command", "upload_command"]

Seen = Callable[[int], None]


def add_transfer_commands(group: Any, api: argparse.ArgumentParser) -> None:
    """Register ``upload`` and ``download`` in the ``files`` group.

    Args:
        group: the ``files`` subparsers.
        api: the parent parser of the API commands' common options.

    Example::

        add_transfer_commands(add_group(commands, "files", "files"), api_options())
    """
    upload = add_command(
        group, "upload", "upload a file, print its metadata as JSON", parents=[api]
    )
    upload.add_argument("path", metavar="PATH")
    upload.add_argument("--name", help="the file's name (default: PATH's)")
    upload.add_argument(
        "--metadata", type=key_value, action="append", metavar="KEY=VALUE", help="repeatable"
    )
    upload.add_argument("--expires-in-seconds", type=positive_int, metavar="S")
    upload.add_argument("--content-type", metavar="TYPE", help="default: guessed from the name")
    progress_option(upload)
    upload.set_defaults(handler=upload_command)

    download = add_command(
        group, "download", "save a file's content to PATH (replaced only once complete)",
        parents=[api],
    )  # fmt: skip
    download.add_argument("file_id", metavar="ID")
    download.add_argument("-o", "--output", required=True, metavar="PATH")
    progress_option(download)
    download.set_defaults(handler=download_command)


class _Counted:
    """A binary file that reports its position after each read or write (a retry seeks
    back, and the next report says so)."""

    def __init__(self, file: IO[bytes], seen: Seen) -> None:
        self._file = file
        self._seen = seen
        self.name = file.name

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._seen(self._file.tell())
        return data

    def write(self, data: bytes) -> int:
        count = self._file.write(data)
        self._seen(self._file.tell())
        return count

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def seekable(self) -> bool:
        return True

    def truncate(self, size: int | None = None) -> int:
        return self._file.truncate(size)

    def flush(self) -> None:
        self._file.flush()


@contextlib.contextmanager
def _tracking(mode: str, label: str, total: int | None) -> Iterator[Seen]:
    """What :class:`_Counted` reports to: a ``rich`` byte bar, or nothing."""
    if not wants_rich(mode):
        yield lambda _position: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        refresh_per_second=8,
    )
    task = progress.add_task(label, total=total)
    with progress:
        yield lambda position: progress.update(task, completed=position)


def _open_source(path: str) -> IO[bytes]:
    # Opened before the client: a missing file is a usage error, not an API one.
    try:
        return open(path, "rb")
    except OSError as exc:
        raise UsageError(f"cannot read {path!r}: {exc.strerror or exc}") from None


def _target(output: str) -> str:
    target = os.path.abspath(output)
    if os.path.isdir(target):
        raise UsageError(f"-o {output!r} is a directory: give a file path")
    return target


def _mode(args: argparse.Namespace) -> str:
    return "none" if args.verbosity < 0 else str(args.progress)


async def upload_command(args: argparse.Namespace) -> int:
    """Upload ``PATH`` (streamed from disk) and print the file's metadata as JSON.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["files", "upload", "report.pdf", "--expires-in-seconds", "3600"])
    """
    source = _open_source(args.path)
    mode = _mode(args)
    params = {
        "name": args.name,
        "metadata": dict(args.metadata) if args.metadata else None,
        "expires_in_seconds": args.expires_in_seconds,
        "content_type": args.content_type,
    }

    async def action(client: AsyncQoder) -> None:
        size = os.fstat(source.fileno()).st_size
        label = f"upload {os.path.basename(args.path)}"
        with source, _tracking(mode, label, size) as seen:
            uploaded = await client.files.upload(file=_Counted(source, seen), **params)  # type: ignore[arg-type]
        if mode == "plain":
            note(args, f"uploaded {args.path} as {uploaded.id} ({uploaded.size_bytes} bytes)")
        print_json(uploaded)

    return await call_api(args, action)


async def download_command(args: argparse.Namespace) -> int:
    """Save a file's content to ``-o PATH`` (through a temporary file beside it) and print
    ``{"id", "path", "size_bytes"}`` as JSON.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["files", "download", "file_1", "-o", "report.pdf"])
    """
    target = _target(args.output)
    mode = _mode(args)

    async def action(client: AsyncQoder) -> None:
        content = await client.files.download(args.file_id)
        handle, temporary = tempfile.mkstemp(prefix=".qoder-download-", dir=os.path.dirname(target))
        try:
            total = None  # asked only for the bar: a plain download is two requests
            if wants_rich(mode):
                total = (await client.files.retrieve_metadata(args.file_id)).size_bytes
            label = f"download {args.file_id}"
            with os.fdopen(handle, "w+b") as file, _tracking(mode, label, total) as seen:
                size = await content.write_to(_Counted(file, seen))  # type: ignore[arg-type]
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        if mode == "plain":
            note(args, f"downloaded {args.file_id} to {args.output} ({size} bytes)")
        print_json({"id": args.file_id, "path": args.output, "size_bytes": size})

    return await call_api(args, action)
