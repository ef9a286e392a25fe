"""The output of ``create-many``: a JSONL journal that knows which input it belongs to.

The first line is a header naming the batch and its input; every other line is the
outcome of one input line, known by its 1-based number and its fingerprint::

    {"kind":"header","format":2,"batch_id":"/data/in.jsonl","input":"/data/in.jsonl",...}
    {"line":1,"fingerprint":"9c1c01dc3ac1445a","ok":true,"idempotency_key":"...","session":{...}}
    {"line":2,"fingerprint":"...","ok":false,"transient":false,"idempotency_key":"...","error":{...}}

Crash safety rests on three rules:

- every record is one ``write()`` of one whole line, made as soon as the result arrives, to a
  file opened for appending (a kill can at worst cut the last line short, and the next run
  cuts that fragment away before appending); the header is written before any record;
- the newest record for a line is its outcome; a run feeds only the lines whose outcome
  is missing, failed transiently, or is for other content (an edited line);
- idempotency keys are derived from the batch id, the line number and its fingerprint, so
  a session created just before a crash is replayed by the API, not created twice.

Nothing is written before the file was checked: an output refused (another batch's, or
not a journal at all) is left byte for byte as it was.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import IO, Any

from .._version import __version__
from ._batch_input import InputLines
from ._common import UsageError
from ._ledger import FAILED, OK, TRANSIENT, Ledger

__all__ = ["FORMAT", "Journal", "check_distinct", "move_aside", "new_header"]

FORMAT = 2
_HEADER_START = b'{"kind":"header"'
_WAY_OUT = "use another --output, or --force-new-output to move it aside and start over"


def check_distinct(input_name: str, output_name: str) -> None:
    """Refuse to append results to the file being read.

    Args:
        input_name: the input file's name.
        output_name: the output file's name.

    Example::

        check_distinct("in.jsonl", "out.jsonl")
    """
    if Path(input_name).resolve() == Path(output_name).resolve():
        raise UsageError("the output file must not be the input file")


def move_aside(name: str) -> str | None:
    """Rename ``name`` to the first free ``name.old``, ``name.old.2``, ...; ``None`` if absent.

    Args:
        name: the output file's name.

    Example::

        moved = move_aside("out.jsonl")  # "out.jsonl.old"
    """
    if not os.path.lexists(name):
        return None
    target, n = f"{name}.old", 1
    while os.path.lexists(target):
        n += 1
        target = f"{name}.old.{n}"
    try:
        os.rename(name, target)
    except OSError as exc:
        raise UsageError(f"cannot move {name} aside: {exc.strerror or exc}") from None
    return target


def new_header(source: InputLines, batch_id: str) -> dict[str, Any]:
    """The header of a new journal for ``source``.

    Args:
        source: the input, already scanned.
        batch_id: the batch's id.

    Example::

        journal.open_for_append(new_header(source, batch_id))
    """
    return {
        "kind": "header",
        "format": FORMAT,
        "batch_id": batch_id,
        "input": str(source.path.resolve()),
        "input_sha256": source.sha256,
        "input_lines": source.lines,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "by": f"qoder-async {__version__}",
    }


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


#: The start of every record this module writes: read without parsing the session after it
#: (ten million records would otherwise cost minutes of ``json.loads``).
_RECORD_START = re.compile(
    rb'\{"line":(\d{1,18}),"fingerprint":"([0-9a-f]{16})","ok":(true|false)'
    rb'(,"transient":true)?[,}]'
)


def _outcome(raw: bytes) -> tuple[int, int, int] | None:
    """``(line, fingerprint, outcome)`` of a result record, ``None`` if it is not one."""
    match = _RECORD_START.match(raw)
    if match is not None:
        line, fp, ok, transient = match.groups()
        return int(line), int(fp, 16), OK if ok == b"true" else TRANSIENT if transient else FAILED
    # Written by hand or by another tool: the same fields, in any order and spacing.
    record = _parse(raw)
    if not isinstance(record, dict):
        return None
    line, fp, ok = record.get("line"), record.get("fingerprint"), record.get("ok")
    if type(line) is not int or not isinstance(fp, str) or len(fp) != 16 or type(ok) is not bool:
        return None
    try:
        value = int(fp, 16)
    except ValueError:
        return None
    if ok:
        return line, value, OK
    return line, value, TRANSIENT if record.get("transient") is True else FAILED


class Journal:
    """The output file: read and checked by :meth:`read`, then appended to.

    Example::

        journal = Journal.read("out.jsonl", ledger, batch_id="/data/in.jsonl")
        journal.open_for_append(new_header(source, "/data/in.jsonl"))
        journal.append({"line": 1, ...})
        journal.close()
    """

    def __init__(self, path: Path, header: dict[str, Any] | None, end: int, size: int) -> None:
        self.path = path
        self.header = header
        self.end = end
        self.size = size
        self.records = 0
        self.unreadable = 0
        self._file: IO[bytes] | None = None

    @property
    def cut_off(self) -> int:
        """Bytes of a cut-off last line that :meth:`open_for_append` drops.

        Example::

            if journal.cut_off: print("dropping", journal.cut_off, "bytes")
        """
        return self.size - self.end

    @classmethod
    def read(cls, name: str, ledger: Ledger, batch_id: str) -> Journal:
        """Read what earlier runs recorded into ``ledger``; writes nothing.

        Args:
            name: the output file's name (it need not exist).
            ledger: takes in every record.
            batch_id: this run's batch id; a journal of another batch is refused.

        Raises:
            UsageError: the file is not a journal, belongs to another batch, or none of its
                records matches a line of the input.

        Example::

            journal = Journal.read("out.jsonl", Ledger(source.fingerprints), "/data/in.jsonl")
        """
        path = Path(name)
        try:
            file = path.open("rb")
        except FileNotFoundError:
            return cls(path, None, 0, 0)
        except OSError as exc:
            raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
        with file:
            journal = cls._load(name, file, ledger, batch_id)
        if journal.records and not ledger.matched:
            raise UsageError(
                f"{name} was written for other input: none of its {journal.records} results "
                f"matches a line of this input; {_WAY_OUT}"
            )
        return journal

    @classmethod
    def _load(cls, name: str, file: IO[bytes], ledger: Ledger, batch_id: str) -> Journal:
        path = Path(name)
        first = file.readline()
        size = os.fstat(file.fileno()).st_size
        if not first.endswith(b"\n"):
            # A header cut short by a kill may be cut inside its first few bytes, too.
            if not (first.startswith(_HEADER_START) or _HEADER_START.startswith(first)):
                raise UsageError(f"{name} is not a create-many journal (no header); {_WAY_OUT}")
            return cls(path, None, 0, size)  # empty, or a header cut short: start afresh
        header = _parse(first)
        if not (
            isinstance(header, dict)
            and header.get("kind") == "header"
            and header.get("format") == FORMAT
        ):
            raise UsageError(
                f"{name} is not a create-many journal of this version (no header); {_WAY_OUT}"
            )
        if header.get("batch_id") != batch_id:
            raise UsageError(
                f"{name} belongs to another batch (input {header.get('input')}, batch id "
                f"{header.get('batch_id')}); {_WAY_OUT}"
            )
        journal = cls(path, header, len(first), size)
        for raw in file:
            if not raw.endswith(b"\n"):
                break
            journal.end += len(raw)
            outcome = _outcome(raw)
            if outcome is None:
                journal.unreadable += 1
                continue
            journal.records += 1
            ledger.note(*outcome)
        return journal

    def open_for_append(self, header: dict[str, Any]) -> None:
        """Cut a cut-off last line, write ``header`` if the journal has none, open for appending.

        Args:
            header: the header to start a new journal with (see :func:`new_header`).

        Example::

            journal.open_for_append(new_header(source, batch_id))
        """
        name = str(self.path)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise UsageError(f"cannot write {name}: {exc.strerror or exc}") from None
        # Unbuffered: each record is exactly one write() to the end of the file.
        self._file = os.fdopen(fd, "ab", buffering=0)
        try:
            if self.size > self.end:
                os.ftruncate(fd, self.end)
            if self.header is None:
                self.append(header)
                self.header = header
        except OSError as exc:
            self.close()
            raise UsageError(f"cannot write {name}: {exc.strerror or exc}") from None

    def append(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line, in one ``write()`` where the OS allows.

        Args:
            record: a JSON-ready dict.

        Example::

            journal.append({"line": 3, "fingerprint": "...", "ok": True, ...})
        """
        assert self._file is not None
        data = memoryview(
            json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        )
        while data:
            written = self._file.write(data)
            data = data[written or 0 :]

    def close(self) -> None:
        """Close the file. Safe to call twice.

        Example::

            journal.close()
        """
        if self._file is not None:
            self._file.close()
            self._file = None
