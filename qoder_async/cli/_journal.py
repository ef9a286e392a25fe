"""The files of ``create-many``: the JSONL input, the output journal, and the batch's keys.

Crash safety rests on three rules:

- every result is one ``write()`` of one whole line, made as soon as the result arrives,
  to a file opened for appending (a kill can at worst cut the last line short, and the next
  run cuts that fragment away before appending);
- a re-run skips exactly the input lines that have an ``"ok": true`` line in the output;
- every other line is retried with the same ``Idempotency-Key``, derived from the batch id,
  the line's index and its bytes, so a session created just before the crash is replayed by
  the API instead of created twice (within the API's 24 h window).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ._common import UsageError

__all__ = ["BadLine", "BatchKeys", "Bitmap", "InputLines", "Journal", "Line", "check_distinct"]

#: Output lines naming a larger index than this are ignored (they cannot be ours).
_MAX_INDEX = 2**40


def check_distinct(input_name: str, output_name: str) -> None:
    """Refuse to append results to the file being read."""
    if Path(input_name).resolve() == Path(output_name).resolve():
        raise UsageError("the output file must not be the input file")


class Bitmap:
    """A set of non-negative ints, one bit each: ten million done lines cost 1.25 MB."""

    __slots__ = ("_bits", "count")

    def __init__(self) -> None:
        self._bits = bytearray()
        self.count = 0

    def add(self, value: int) -> None:
        byte, mask = value >> 3, 1 << (value & 7)
        if byte >= len(self._bits):
            self._bits.extend(bytes(byte + 1 - len(self._bits)))
        if not self._bits[byte] & mask:
            self._bits[byte] |= mask
            self.count += 1

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        byte = value >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (value & 7)))


class BatchKeys:
    """Deterministic idempotency keys: one per (batch id, line index, line bytes).

    Shaped like the UUID4 the API documents, but derived from a SHA-256, so that a re-run
    of the same file sends the same key for the same line; an edited line gets a new key
    (the API would answer 409 to an old key with a new body).
    """

    def __init__(self, batch_id: str) -> None:
        self._prefix = hashlib.sha256(b"qoder-async create-many\0" + batch_id.encode()).digest()

    def key(self, index: int, line: bytes) -> str:
        digest = hashlib.sha256(self._prefix + index.to_bytes(8, "big") + line).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))


class BadLine:
    """An input line that is not a JSON object; it becomes an error record, never a crash."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class Line:
    """Where a fed item came from."""

    __slots__ = ("index", "key")

    def __init__(self, index: int, key: str) -> None:
        self.index = index
        self.key = key


def _json_kind(value: object) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def parse_line(raw: bytes) -> dict[str, Any] | BadLine:
    """One input line as create parameters, or the reason it cannot be."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return BadLine(f"not valid JSON ({exc})")
    if not isinstance(value, dict):
        return BadLine(f"expected a JSON object of create parameters, got {_json_kind(value)}")
    return value


class InputLines:
    """The input file, read lazily: a 10-million-line file is never held in memory."""

    def __init__(self, path: Path, file: IO[bytes]) -> None:
        self.path = path
        self._file = file
        self._pending: dict[int, Line] = {}
        self.lines = 0
        self.non_blank = 0

    @classmethod
    def open(cls, name: str) -> InputLines:
        path = Path(name)
        try:
            file = path.open("rb")
        except OSError as exc:
            raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
        source = cls(path, file)
        try:
            source._count()
        except OSError as exc:
            file.close()
            raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
        return source

    def _count(self) -> None:
        for raw in self._file:
            self.lines += 1
            if not raw.isspace():
                self.non_blank += 1
        self._file.seek(0)

    def default_batch_id(self) -> str:
        return str(self.path.resolve())

    def items(self, done: Bitmap, keys: BatchKeys) -> Iterator[Any]:
        """The lines still to do, parsed (a :class:`BadLine` fails as an item of the batch).

        ``key_for`` and ``take`` map the batch's index of an item back to its line.
        """
        fed = 0
        for index, raw in enumerate(self._file):
            if index in done:
                continue
            line = raw.strip()
            if not line:
                continue
            self._pending[fed] = Line(index, keys.key(index, line))
            fed += 1
            yield parse_line(line)

    def key_for(self, fed: int, params: object) -> str:
        return self._pending[fed].key

    def take(self, fed: int) -> Line:
        return self._pending.pop(fed)

    def close(self) -> None:
        self._file.close()


class Journal:
    """The output: one JSON line per result, appended and flushed as results arrive."""

    def __init__(self, path: Path, done: Bitmap, repaired: int) -> None:
        self.path = path
        self.done = done
        self.repaired = repaired
        self._file: IO[bytes] | None = None

    @classmethod
    def open(cls, name: str, *, max_index: int = _MAX_INDEX) -> Journal:
        """Read what earlier runs recorded, cut a partial last line, open for appending."""
        path = Path(name)
        done = Bitmap()
        repaired = 0
        try:
            with path.open("r+b") as file:
                repaired = _load(file, done, max_index)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
        journal = cls(path, done, repaired)
        try:
            # Unbuffered: each record is exactly one write() to the end of the file.
            journal._file = path.open("ab", buffering=0)
        except OSError as exc:
            raise UsageError(f"cannot write {name}: {exc.strerror or exc}") from None
        return journal

    def append(self, record: dict[str, Any]) -> None:
        assert self._file is not None
        data = memoryview(
            json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        )
        while data:
            written = self._file.write(data)
            data = data[written or 0 :]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _load(file: IO[bytes], done: Bitmap, max_index: int) -> int:
    """Mark the indices recorded ok; return how many bytes of a cut-off last line were dropped."""
    end = 0
    for raw in file:
        if not raw.endswith(b"\n"):
            break
        end += len(raw)
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict) or record.get("ok") is not True:
            continue
        index = record.get("index")
        if type(index) is int and 0 <= index < max_index:
            done.add(index)
    size = os.fstat(file.fileno()).st_size
    if size > end:
        file.truncate(end)
    return size - end
