"""The input of ``create-many``: its lines, their fingerprints, and the batch's keys.

A line is known by its 1-based number and the fingerprint of its bytes (surrounding
whitespace stripped, so CRLF and LF files agree): the first 64 bits of their SHA-256. The
file is read twice, never held in memory: once to count, fingerprint and digest it (so
that the journal can be checked against it before anything is sent), once to feed the
lines that still need work to the batch.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from ._common import UsageError
from ._ledger import Ledger

__all__ = [
    "BadLine",
    "BatchKeys",
    "InputLines",
    "Line",
    "fingerprint",
    "fingerprint_hex",
    "parse_line",
]


def fingerprint(line: bytes) -> int:
    """The fingerprint of a (stripped) input line: the first 8 bytes of its SHA-256.

    Args:
        line: the line's bytes, surrounding whitespace removed.

    Example::

        assert fingerprint_hex(fingerprint(b"{}")) == "44136fa355b3678a"
    """
    # 0 marks a blank line in InputLines.fingerprints; no line of content may get it.
    return int.from_bytes(hashlib.sha256(line).digest()[:8], "big") or 1


def fingerprint_hex(value: int) -> str:
    """A fingerprint as it is written in the journal: 16 lowercase hex digits.

    Args:
        value: a :func:`fingerprint`.

    Example::

        fingerprint_hex(fingerprint(b"{}"))  # "44136fa355b3678a"
    """
    return f"{value:016x}"


class BatchKeys:
    """Deterministic idempotency keys: one per (batch id, line number, fingerprint, retry).

    Shaped like the UUID4 the API documents, but derived from a SHA-256, so that a re-run
    sends the same key for the same line and the API replays the session it already
    created instead of creating another. An edited line has another fingerprint, hence a
    new key (the API would answer 409 to an old key with a new body); ``retry`` counts the
    times the line failed for good, so ``--retry-failed`` gets a fresh answer too.

    Args:
        batch_id: what makes this batch's keys its own (default: the input's path).

    Example::

        key = BatchKeys("/data/in.jsonl").key(1, fingerprint(b'{"agent": "agent_1"}'))
    """

    def __init__(self, batch_id: str) -> None:
        self._prefix = hashlib.sha256(b"qoder-async create-many\0" + batch_id.encode()).digest()

    def key(self, line: int, fp: int, retry: int = 0) -> str:
        """The key of line number ``line`` (1-based) with fingerprint ``fp``.

        Args:
            line: the 1-based line number.
            fp: the line's :func:`fingerprint`.
            retry: how many times this content of the line failed for good before.

        Example::

            keys.key(3, fingerprint(raw.strip()))
        """
        data = self._prefix + line.to_bytes(8, "big") + fp.to_bytes(8, "big")
        digest = hashlib.sha256(data + retry.to_bytes(4, "big")).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))


@attrs.frozen
class BadLine:
    """An input line that is not a JSON object; it becomes an error record, never a crash.

    Example::

        if isinstance(parse_line(raw), BadLine): ...
    """

    reason: str


@attrs.frozen
class Line:
    """Where a fed item came from, and why it was fed (``new``, ``redo``, ``retry``).

    Example::

        line = source.take(result.index)
        print(line.number, line.kind)
    """

    number: int
    fp: int
    key: str
    kind: str


def _json_kind(value: object) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def parse_line(raw: bytes) -> dict[str, Any] | BadLine:
    """One input line as create parameters, or the reason it cannot be.

    Args:
        raw: the line's bytes.

    Example::

        assert parse_line(b"[1]") == BadLine("expected a JSON object ..., got an array")
    """
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return BadLine(f"not valid JSON ({exc})")
    if not isinstance(value, dict):
        return BadLine(f"expected a JSON object of create parameters, got {_json_kind(value)}")
    return value


def _unreadable(name: str, exc: OSError) -> UsageError:
    return UsageError(f"cannot read {name}: {exc.strerror or exc}")


class InputLines:
    """The input file: counted and fingerprinted on :meth:`open`, then read lazily.

    ``fingerprints[n - 1]`` is line ``n``'s fingerprint, 0 for a blank line (8 bytes a
    line: ten million lines cost 80 MB, the lines themselves are never kept).

    Example::

        with contextlib.closing(InputLines.open("in.jsonl")) as source:
            print(source.lines, source.non_blank, source.sha256)
    """

    def __init__(self, path: Path, file: IO[bytes]) -> None:
        self.path = path
        self._file = file
        self._pending: dict[int, Line] = {}
        self.lines = 0
        self.non_blank = 0
        self.sha256 = ""
        self.fingerprints = array("Q")

    @classmethod
    def open(cls, name: str) -> InputLines:
        """Open ``name`` and read it once through (count, fingerprints, digest).

        Args:
            name: the input file's name.

        Raises:
            UsageError: it cannot be read.

        Example::

            source = InputLines.open("in.jsonl")
        """
        path = Path(name)
        try:
            file = path.open("rb")
        except OSError as exc:
            raise _unreadable(name, exc) from None
        source = cls(path, file)
        try:
            source._scan()
        except OSError as exc:
            file.close()
            raise _unreadable(name, exc) from None
        return source

    def _scan(self) -> None:
        digest = hashlib.sha256()
        prints = self.fingerprints
        for raw in self._file:
            digest.update(raw)
            line = raw.strip()
            prints.append(fingerprint(line) if line else 0)
        self.lines = len(prints)
        self.non_blank = self.lines - prints.count(0)
        self.sha256 = digest.hexdigest()
        self._file.seek(0)

    def default_batch_id(self) -> str:
        """The batch id when none is given: the input's absolute path.

        Example::

            batch_id = args.batch_id or source.default_batch_id()
        """
        return str(self.path.resolve())

    def items(self, ledger: Ledger, keys: BatchKeys, retry_failed: bool) -> Iterator[Any]:
        """The lines that still need work, parsed (a :class:`BadLine` fails as its item).

        ``key_for`` and ``take`` map the batch's index of an item back to its line.

        Args:
            ledger: what the journal says about each line.
            keys: the batch's keys.
            retry_failed: also feed the lines that failed for good.

        Example::

            async for result in client.sessions.create_many(source.items(ledger, keys, False),
                                                            key_fn=source.key_for): ...
        """
        fed = 0
        for number, raw in enumerate(self._file, start=1):
            if number > self.lines:
                break  # appended since the scan: the journal was not checked against it
            line = raw.strip()
            if not line:
                continue
            fp = fingerprint(line)
            todo = ledger.action(number, fp, retry_failed)
            if todo is None:
                continue
            kind, retry = todo
            self._pending[fed] = Line(number, fp, keys.key(number, fp, retry), kind)
            fed += 1
            yield parse_line(line)

    def key_for(self, fed: int, params: object) -> str:
        """The idempotency key of the ``fed``-th item (a ``create_many`` ``key_fn``).

        Args:
            fed: the item's index in the batch.
            params: the item itself (unused: the key was chosen when it was fed).

        Example::

            client.sessions.create_many(items, key_fn=source.key_for)
        """
        return self._pending[fed].key

    def take(self, fed: int) -> Line:
        """The line the ``fed``-th item came from, forgotten once its result is in.

        Args:
            fed: the item's index in the batch (``BulkResult.index``).

        Example::

            line = source.take(result.index)
        """
        return self._pending.pop(fed)

    def close(self) -> None:
        """Close the file.

        Example::

            with contextlib.closing(InputLines.open("in.jsonl")) as source: ...
        """
        self._file.close()
