"""Multipart form bodies for uploads (``files.upload``, ``skills.create``,
``skills.versions.create``), streamed from disk.

A file is a path (``str`` or ``os.PathLike``), ``bytes``, a seekable binary file object, or a
``(name, content)`` / ``(name, content, content_type)`` tuple whose content is one of those.
When the call is made only a file's size is read; the body is an :class:`EncodedBody` whose
source reads each file in chunks, in a worker thread, on every attempt from its first byte.
A file that changes size meanwhile raises :class:`FileChangedError` and the body breaks off
before its end, so the server never receives a complete upload.

Encoding (as the official SDK's): a part per field, plain fields without filename or
``Content-Type``, strings as they are and other values as compact JSON; a file part's
filename is the tuple's name, else the path's or file object's basename, else ``upload``;
its ``Content-Type`` the one given, else guessed from the filename, else
``application/octet-stream``.
"""

from __future__ import annotations

import io
import json
import mimetypes
import os
import re
import stat
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import IO, Any

import anyio.to_thread
import attrs

from ._call import EncodedBody
from ._errors import InvalidParameterError, ParameterTypeError
from ._options import check_extra_body

__all__ = [
    "CHUNK_SIZE",
    "FileChangedError",
    "FileInput",
    "Part",
    "field_part",
    "field_parts",
    "file_part",
    "form_body",
]

#: Bytes read from a file per step (and the largest body sent from memory in one piece).
CHUNK_SIZE = 1 << 20

_Content = str | os.PathLike[str] | bytes | IO[bytes]
#: A file to upload: a path, bytes, a seekable binary file object, or a tuple
#: ``(filename, content)`` / ``(filename, content, content_type)`` of one of those.
FileInput = _Content | tuple[str, _Content] | tuple[str, _Content, str]

_CONTENT_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+(\s*;[\x20-\x7e]*)?")
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


class FileChangedError(InvalidParameterError):
    """A file given to an upload changed size (or could no longer be read) while it was
    being sent.

    The upload was abandoned before the end of its body, so the server stored nothing, and
    it is not retried: another attempt would send a different file. Upload it again once it
    is complete. It is an :class:`InvalidParameterError` (``field`` is ``"file"`` or
    ``"files[i]"``) because the argument is at fault, not the network, although unlike the
    others part of the request was sent.

    Example::

        try:
            await client.files.upload(file="growing.log")
        except qoder_async.FileChangedError as exc:
            print(exc.field, exc)  # file: 'growing.log' grew past the 1048576 bytes it had ...
    """


@attrs.frozen
class _FileSource:
    """A file read from ``start`` for ``size`` bytes: ``path`` is opened for every attempt,
    a file object is sought back to ``start``."""

    field: str
    label: str
    size: int
    path: str | None
    file: IO[bytes] | None = attrs.field(default=None, repr=False)
    start: int = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        """Exactly ``size`` bytes, in chunks of at most :data:`CHUNK_SIZE`, or
        :class:`FileChangedError` (the file did not have ``size`` bytes any more)."""
        file, remaining = self.file, self.size
        try:
            if file is None:
                file = await anyio.to_thread.run_sync(_open, self.path)
            else:
                await anyio.to_thread.run_sync(file.seek, self.start)
            while True:
                # One byte more than is left: a file that grew is seen without another read.
                chunk = await anyio.to_thread.run_sync(file.read, min(CHUNK_SIZE, remaining + 1))
                if not isinstance(chunk, bytes):
                    raise ParameterTypeError(self.field, "the file object must return bytes")
                if len(chunk) > remaining:
                    raise self._changed(f"grew past the {self.size} bytes it had")
                if not chunk:
                    if remaining:
                        done = self.size - remaining
                        raise self._changed(f"ended after {done} of the {self.size} bytes it had")
                    return
                remaining -= len(chunk)
                yield chunk
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise FileChangedError(
                self.field, f"{self.label!r} could no longer be read during the upload ({reason})"
            ) from None
        finally:
            if self.path is not None and file is not None:
                file.close()

    def _changed(self, what: str) -> FileChangedError:
        return FileChangedError(
            self.field,
            f"{self.label!r} {what} when the upload began; the upload was abandoned",
        )


def _open(path: str | None) -> IO[bytes]:
    assert path is not None
    return open(path, "rb")


@attrs.frozen
class Part:
    """One part of a form: a plain field, or a file with a ``filename`` and ``content_type``.

    Args:
        name: the form field (``file``, ``files``, ``metadata``...).
        data: the bytes, or the file they are read from.
        filename: the file part's filename (a directory in it is kept: ``example/SKILL.md``).
        content_type: the file part's ``Content-Type``.

    Example::

        Part("display_title", b"Reviewer")
    """

    name: str
    data: bytes | _FileSource = attrs.field(repr=False)
    filename: str | None = None
    content_type: str | None = None

    @property
    def size(self) -> int:
        """How many bytes of data the part carries.

        Example::

            Part("name", b"abc").size  # 3
        """
        return len(self.data) if isinstance(self.data, bytes) else self.data.size

    def head(self, boundary: str) -> bytes:
        """The boundary line and headers that open the part.

        Args:
            boundary: the form's boundary.

        Example::

            Part("name", b"a").head("b1")  # b'--b1\r\nContent-Disposition: form-data; ...'
        """
        disposition = f'form-data; name="{_quote(self.name)}"'
        if self.filename is not None:
            disposition += f'; filename="{_quote(self.filename)}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if self.content_type is not None:
            head += f"Content-Type: {self.content_type}\r\n"
        return (head + "\r\n").encode()


def _quote(value: str) -> str:
    # As browsers do (WHATWG): a quote would end the parameter, CR or LF the header (a file
    # on disk may have either in its name; a name given explicitly with them is refused).
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def field_part(name: str, value: Any) -> Part:
    """A plain field: a ``str`` as it is, anything else as compact JSON.

    Args:
        name: the form field.
        value: its value.

    Example::

        field_part("metadata", {"team": "a"})  # the part's data is b'{"team":"a"}'
    """
    return Part(name, (value if isinstance(value, str) else _compact(value)).encode())


def field_parts(
    checks: Mapping[str, Callable[[str, Any], Any]], arguments: Mapping[str, Any]
) -> list[Part]:
    """The plain parts of the fields ``checks`` names, taken from ``arguments`` (an
    endpoint's ``locals()``): each checked, ``None`` left out (a form has no null).

    Args:
        checks: field name -> check, in the order the parts are sent.
        arguments: the endpoint's arguments.

    Example::

        field_parts({"name": text}, {"name": "notes.txt", "file": ...})
    """
    return [
        field_part(name, check(name, arguments[name]))
        for name, check in checks.items()
        if arguments[name] is not None
    ]


async def file_part(
    field: str,
    value: object,
    part_name: str,
    *,
    content_type: object = None,
    default_name: str = "upload",
) -> Part:
    """The part of one file argument, checked: nothing is read but its size.

    Args:
        field: the argument, for errors (``file``, ``files[2]``).
        value: a path, bytes, a seekable binary file object, or a ``(name, content)`` /
            ``(name, content, content_type)`` tuple.
        part_name: the form field the part is sent as.
        content_type: the ``Content-Type``, overriding the tuple's and the guess.
        default_name: the filename when neither the tuple nor the content names one.

    Example::

        part = await file_part("file", "report.pdf", "file")  # application/pdf
    """
    filename = None
    if isinstance(value, tuple):
        if len(value) not in (2, 3):
            raise ParameterTypeError(field, "expected (name, content) or (name, content, type)")
        filename = _check_filename(f"{field}[0]", value[0])
        if len(value) == 3 and content_type is None:
            content_type = value[2]
        value = value[1]
    data, basename = await _content(field, value)
    filename = filename or basename or _check_filename("name", default_name)
    if content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    elif not isinstance(content_type, str) or not _CONTENT_TYPE.fullmatch(content_type):
        raise InvalidParameterError("content_type", "expected a media type such as 'text/csv'")
    return Part(part_name, data, filename, content_type)


def _check_filename(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise ParameterTypeError(field, f"expected a str file name, got {type(value).__name__}")
    if not value or any(c in value for c in "\r\n\x00"):
        raise InvalidParameterError(field, "a file name must be non-empty, on one line")
    return value


async def _content(field: str, value: object) -> tuple[bytes | _FileSource, str | None]:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), None  # copied once: every attempt sends the same bytes
    if isinstance(value, (str, os.PathLike)):
        path = os.fsdecode(os.fspath(value))
        if not path:
            raise InvalidParameterError(field, "the path is empty")
        size = await anyio.to_thread.run_sync(_probe, field, path)
        return _FileSource(field, path, size, path), os.path.basename(path) or None
    if callable(getattr(value, "read", None)):
        return _file_object(field, value)
    raise ParameterTypeError(
        field,
        "expected a path, bytes, a binary file object or a (name, content) tuple, "
        f"got {type(value).__name__}",
    )


def _probe(field: str, path: str) -> int:
    """The size of the regular file at ``path``, which must be readable."""
    try:
        # stat first: opening a FIFO or a device to find out would block or consume it.
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise InvalidParameterError(field, f"not a regular file: {path!r}")
        with open(path, "rb") as file:
            return os.fstat(file.fileno()).st_size
    except FileNotFoundError:
        raise InvalidParameterError(field, f"no such file: {path!r}") from None
    except PermissionError:
        raise InvalidParameterError(field, f"permission denied reading {path!r}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidParameterError(field, f"cannot read {path!r}: {reason}") from None


def _file_object(field: str, file: Any) -> tuple[_FileSource, str | None]:
    if isinstance(file, io.TextIOBase):
        raise ParameterTypeError(field, "a text file: open it in binary mode ('rb')")
    seekable = getattr(file, "seekable", None)
    try:
        if not callable(seekable) or not seekable():
            raise InvalidParameterError(
                field, "the file object must be seekable (each attempt reads it from its start)"
            )
        start = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(start)
    except (OSError, ValueError) as exc:  # closed, or not a real file after all
        raise InvalidParameterError(field, f"cannot read the file object: {exc}") from None
    name = getattr(file, "name", None)
    label = name if isinstance(name, str) else type(file).__name__
    basename = os.path.basename(name) if isinstance(name, str) else None
    return _FileSource(field, label, end - start, None, file, start), basename or None


def form_body(
    parts: Iterable[Part], options: Mapping[str, Any]
) -> tuple[EncodedBody, dict[str, Any]]:
    """The ``multipart/form-data`` body of ``parts``, and ``options`` without
    ``extra_body``, whose fields become plain parts after the others (``extra_body`` is
    applied last, as on every endpoint).

    The body is streamed (read anew on every attempt) when it holds a file or more than
    :data:`CHUNK_SIZE` bytes; otherwise it is one ``bytes``.

    Args:
        parts: the form's parts, in order.
        options: the call's per-call options.

    Example::

        body, options = form_body([field_part("name", "a")], {"timeout": 5})
    """
    parts = list(parts)
    options = dict(options)
    extra = options.pop("extra_body", None)
    if extra is not None:
        parts += [field_part(name, value) for name, value in check_extra_body(extra).items()]
    boundary = f"qoder-{uuid.uuid4().hex}"  # chosen once: every attempt sends the same bytes
    heads = [part.head(boundary) for part in parts]
    tail = f"--{boundary}--\r\n".encode()
    length = sum(len(head) + part.size + 2 for head, part in zip(heads, parts, strict=True)) + len(
        tail
    )
    content_type = f"multipart/form-data; boundary={boundary}"
    in_memory = [part.data for part in parts if isinstance(part.data, bytes)]
    if length <= CHUNK_SIZE and len(in_memory) == len(parts):
        body = (
            b"".join(head + data + b"\r\n" for head, data in zip(heads, in_memory, strict=True))
            + tail
        )
        return EncodedBody(body, content_type, length), options

    async def chunks() -> AsyncIterator[bytes]:
        for head, part in zip(heads, parts, strict=True):
            yield head
            data = part.data
            if isinstance(data, bytes):
                for offset in range(0, len(data), CHUNK_SIZE):
                    yield data[offset : offset + CHUNK_SIZE]
            else:
                async for chunk in data.chunks():
                    yield chunk
            yield b"\r\n"
        yield tail

    return EncodedBody(chunks, content_type, length), options
