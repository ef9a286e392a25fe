"""Downloads: the content of a file or of a skill version, streamed to a path, to a binary
file object, or gathered into ``bytes``.

The body is requested when it is read, through the send path's retry loop: a body cut
before its end (the connection dropped, or fewer bytes than its ``Content-Length``) is
requested again and written again from its first byte, and once the retries are spent the
cut raises :class:`APIConnectionError`. A truncated body is never returned as complete.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from typing import IO, Any
from urllib.parse import urlsplit

import anyio.to_thread

from ._call import BODY_UNREAD, Call
from ._errors import APIConnectionError, InvalidParameterError, ParameterTypeError
from ._send import Requester
from ._transport import Response

__all__ = ["BinaryResponse", "api_download", "url_download"]

#: Bytes gathered before one write to a file (one worker-thread hop per write).
_WRITE_SIZE = 1 << 20
#: What a download asks for: anything (the API's default ``Accept`` is JSON).
_ACCEPT_ANY = {"Accept": "*/*"}

Write = Callable[[bytes], Awaitable[None]]


class BinaryResponse:
    """The content of a download (``files.download``, ``skills.versions.download``).

    The body is requested when you read it, and again each time: :meth:`write_to` streams
    it to a path (through a temporary file in the same directory, renamed at the end) or to
    a binary file object, :meth:`read` returns it as ``bytes``. A cut body is fetched again
    from the start under the client's retry policy; it is never returned as complete.
    ``status``, ``headers`` and ``request_id`` are those of the last response read
    (``None`` / empty before the first read).

    Args:
        requester: the send path the body is requested through.
        prepare: builds the call of one read (method, URL, headers, options).

    Example::

        content = await client.files.download(file.id)
        await content.write_to("report.pdf")
        data = await content.read()
    """

    __slots__ = ("_label", "_next", "_prepare", "_requester", "headers", "request_id", "status")

    def __init__(self, requester: Requester, prepare: Callable[[], Call]) -> None:
        self._requester = requester
        self._prepare = prepare
        # Built now so that bad per-call options fail here, not at the first read.
        call = prepare()
        self._next: Call | None = call
        self._label = f"{call.method} {call.path}"
        self.status: int | None = None
        self.headers: Mapping[str, str] = {}
        self.request_id: str | None = None

    async def read(self) -> bytes:
        """The whole body as ``bytes`` (held in memory: prefer :meth:`write_to` for big ones).

        Example::

            data = await (await client.files.download(file.id)).read()
        """
        chunks: list[bytes] = []

        async def append(chunk: bytes) -> None:
            chunks.append(chunk)

        async def restart() -> None:
            chunks.clear()

        await self._fetch(append, restart)
        return b"".join(chunks)

    async def write_to(self, target: str | os.PathLike[str] | IO[bytes]) -> int:
        """Stream the body to ``target`` and return its size in bytes.

        A path is written through a temporary file in its directory, renamed over
        ``target`` once the whole body is there (nothing is left behind on failure). A file
        object is written from its current position; a cut body is written again over it
        if it is seekable, else the cut raises.

        Args:
            target: a path, or a binary file object open for writing.

        Example::

            size = await (await client.files.download(file.id)).write_to("out/report.pdf")
        """
        if isinstance(target, (str, os.PathLike)):
            return await self._write_path(os.fsdecode(os.fspath(target)))
        if _is_text(target) or not callable(getattr(target, "write", None)):
            raise ParameterTypeError("target", "expected a path or a binary file object")
        return await self._write_file(target, owned=False)

    #: The official SDK's name of :meth:`write_to`.
    write_to_file = write_to

    async def _write_path(self, path: str) -> int:
        handle, temporary = await anyio.to_thread.run_sync(_temporary_beside, path)
        try:
            with os.fdopen(handle, "wb") as file:
                size = await self._write_file(file, owned=True)
                await anyio.to_thread.run_sync(os.fsync, file.fileno())
            await anyio.to_thread.run_sync(os.replace, temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return size

    async def _write_file(self, file: IO[bytes], *, owned: bool) -> int:
        start = file.tell() if owned or _seekable(file) else None
        pending = bytearray()

        async def flush() -> None:
            if pending:
                await anyio.to_thread.run_sync(file.write, bytes(pending))
                pending.clear()

        async def write(chunk: bytes) -> None:
            pending.extend(chunk)
            if len(pending) >= _WRITE_SIZE:
                await flush()

        async def restart() -> None:
            pending.clear()
            await anyio.to_thread.run_sync(_rewind, file, start)

        size = await self._fetch(write, None if start is None else restart)
        await flush()
        await anyio.to_thread.run_sync(file.flush)
        return size

    async def _fetch(self, write: Write, restart: Callable[[], Awaitable[None]] | None) -> int:
        requester = self._requester
        call, self._next = self._next or self._prepare(), None
        response = await requester.open_stream(call, BODY_UNREAD)
        while True:
            self.status, self.headers = response.status, response.headers
            headers = response.headers
            self.request_id = headers.get("x-request-id") or headers.get("request-id")
            try:
                return await _drain(response, write, call)
            except APIConnectionError as cut:
                if restart is None:
                    raise
                await restart()
                response = await requester.resend(call, BODY_UNREAD, cut)

    def __repr__(self) -> str:
        return f"<BinaryResponse {self._label} status={self.status}>"


async def _drain(response: Response, write: Write, call: Call) -> int:
    expected = _declared_length(response.headers)
    received = 0
    try:
        while chunk := await response.read_chunk():
            received += len(chunk)
            await write(chunk)
    finally:
        response.close()
    if expected is not None and received != expected:
        raise APIConnectionError(
            f"{call.method} {call.path}: the body ended after {received} of its {expected} bytes"
        )
    return received


def _declared_length(headers: Mapping[str, str]) -> int | None:
    # A compressed body arrives decoded: its Content-Length counts other bytes.
    if headers.get("Content-Encoding", "identity").lower() != "identity":
        return None
    try:
        return int(headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _temporary_beside(path: str) -> tuple[int, str]:
    """A new temporary file in ``path``'s directory (so that renaming it is atomic)."""
    directory, name = os.path.split(os.path.abspath(path))
    try:
        return tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidParameterError("target", f"cannot write in {directory!r}: {reason}") from None


def _is_text(file: object) -> bool:
    # Checked at run time although the annotation says bytes: a text file is a common slip.
    return isinstance(file, io.TextIOBase)


def _seekable(file: Any) -> bool:
    try:
        return bool(file.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _rewind(file: IO[bytes], start: int | None) -> None:
    file.seek(start or 0)
    file.truncate()


def api_download(requester: Requester, path: str, options: Mapping[str, Any]) -> BinaryResponse:
    """The content at an API ``path``, requested with the API's headers and ``options``.

    Args:
        requester: the client's send path.
        path: the checked, quoted API path of the content.
        options: the call's per-call options.

    Example::

        api_download(requester, "/skills/skill_1/versions/1/content", {})
    """
    return BinaryResponse(
        requester, lambda: requester.prepare("GET", path, options=options, headers=_ACCEPT_ANY)
    )


def url_download(requester: Requester, url: str, options: Mapping[str, Any]) -> BinaryResponse:
    """The content at an absolute ``url`` the API handed out, requested through
    ``requester`` (one sending none of the API's headers) with only the ``timeout`` and
    ``max_retries`` of ``options``. Messages name the URL without its query (a signature).

    Args:
        requester: a send path without the API's headers.
        url: the absolute http(s) URL, already checked.
        options: the call's per-call options.

    Example::

        url_download(requester.without_api_headers(), "https://cdn.example/f?sig=x", {})
    """
    parts = urlsplit(url)
    label = f"{parts.scheme}://{parts.netloc}{parts.path}"
    kept = {name: options[name] for name in ("timeout", "max_retries") if name in options}

    def prepare() -> Call:
        call = requester.prepare("GET", label, options=kept)
        call.url = url
        return call

    return BinaryResponse(requester, prepare)
