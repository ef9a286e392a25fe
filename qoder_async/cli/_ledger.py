"""What the journal says about each input line, judged against the input as it is now.

One byte a line (ten million lines: 10 MB): the low three bits hold the line's status, the
others how many times its current content failed for good (which picks the idempotency
key of the next ``--retry-failed`` attempt). Records are read oldest first and the last
one for a line wins, so a newer record supersedes an older one for the same line.
"""

from __future__ import annotations

from array import array

import attrs

__all__ = ["FAILED", "NONE", "OK", "STALE", "TRANSIENT", "Ledger", "Tally"]

NONE = 0  # no record yet
OK = 1  # the session was created
TRANSIENT = 2  # failed in a way a later run may cure (5xx, 429, timeouts, 401): retried
FAILED = 3  # failed for good (a bad line, a 4xx): retried only with --retry-failed
STALE = 4  # the last record is for other content: the line was edited, it is redone

_STATUS_BITS = 3
_MAX_FAILURES = 31
#: Maps a ledger byte to its status, for counting with bytes.translate (C speed).
_STATUS_OF = bytes(value & 7 for value in range(256))


@attrs.frozen
class Tally:
    """How many non-blank lines are in each status.

    Example::

        tally = ledger.tally()
        print(tally.done, "done,", tally.failing, "failing")
    """

    new: int
    done: int
    transient: int
    failed: int
    stale: int

    @property
    def failing(self) -> int:
        """Lines whose current outcome is a failure.

        Example::

            status = EXIT_FAILED if tally.failing else EXIT_OK
        """
        return self.transient + self.failed


class Ledger:
    """The status of every input line.

    Args:
        fingerprints: the input's, as :class:`InputLines` computes them (0 = blank line).

    Example::

        ledger = Ledger(source.fingerprints)
        ledger.note(3, fp, OK)
        assert ledger.action(3, fp, retry_failed=False) is None
    """

    def __init__(self, fingerprints: array[int]) -> None:
        self._prints = fingerprints
        self._state = bytearray(len(fingerprints))
        self._blank = fingerprints.count(0)
        self.matched = 0
        self.unmatched = 0

    def note(self, line: int, fp: int, outcome: int) -> None:
        """Take in a record: line ``line`` (1-based) with fingerprint ``fp`` had ``outcome``.

        A record for other content than the line has now marks the line stale; a record
        for a line the input no longer has (or that is blank now) is counted as unmatched.

        Args:
            line: the record's line number.
            fp: the record's fingerprint.
            outcome: ``OK``, ``TRANSIENT`` or ``FAILED``.

        Example::

            ledger.note(record["line"], int(record["fingerprint"], 16), OK)
        """
        index = line - 1
        if not 0 <= index < len(self._prints) or self._prints[index] == 0:
            self.unmatched += 1
            return
        if self._prints[index] != fp:
            self._state[index] = STALE
            self.unmatched += 1
            return
        self.matched += 1
        before = self._state[index]
        failures = before >> _STATUS_BITS if before & 7 != STALE else 0
        if outcome == FAILED:
            failures = min(failures + 1, _MAX_FAILURES)
        self._state[index] = outcome | failures << _STATUS_BITS

    def action(self, line: int, fp: int, retry_failed: bool) -> tuple[str, int] | None:
        """What to do with line ``line`` whose content now has fingerprint ``fp``.

        Args:
            line: the 1-based line number.
            fp: the fingerprint of the line as read now.
            retry_failed: whether lines that failed for good are tried again.

        Returns:
            ``None`` to skip it, else ``(kind, retry)``: ``kind`` is ``"new"``, ``"redo"``
            (edited) or ``"retry"``, ``retry`` the number for :meth:`BatchKeys.key`.

        Example::

            todo = ledger.action(3, fp, retry_failed=False)
        """
        index = line - 1
        if self._prints[index] != fp:
            return "redo", 0  # edited after the first read: the journal cannot know it
        state = self._state[index]
        status, failures = state & 7, state >> _STATUS_BITS
        if status == NONE:
            return "new", 0
        if status == STALE:
            return "redo", 0
        if status == TRANSIENT or (status == FAILED and retry_failed):
            return "retry", failures
        return None

    def tally(self) -> Tally:
        """Count the non-blank lines by status.

        Example::

            if ledger.tally().failing: return EXIT_FAILED
        """
        statuses = self._state.translate(_STATUS_OF)
        return Tally(
            new=statuses.count(NONE) - self._blank,
            done=statuses.count(OK),
            transient=statuses.count(TRANSIENT),
            failed=statuses.count(FAILED),
            stale=statuses.count(STALE),
        )
