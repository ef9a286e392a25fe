"""``qoder-async sessions create-many``: one session per input line, journaled, resumable."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Iterable
from contextlib import closing
from typing import Any

from .._bulk import BulkProgress, BulkResult
from .._client import AsyncQoder
from .._errors import APIError, APIStatusError, AuthenticationError, InvalidParameterError
from .._models._converter import to_dict
from ._args import add_command, non_negative_float, positive_int, progress_option
from ._batch_input import BadLine, BatchKeys, InputLines, Line, fingerprint_hex
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    error_record,
    make_client,
    note,
    rejected_token,
)
from ._journal import Journal, check_distinct, move_aside, new_header
from ._ledger import FAILED, OK, TRANSIENT, Ledger, Tally
from ._lock import OutputLock
from ._progress import format_duration, make_display

__all__ = ["add_create_many", "create_many_command"]

_DESCRIPTION = """\
Create one session per line of INPUT (a JSON object of create parameters) and append one
outcome per line to OUTPUT, a journal whose first line names the batch and its input.
Run the same command again at any time: lines already created are skipped, lines that
failed transiently (5xx, 429, timeouts) are retried with the same idempotency keys (so a
crash or Ctrl-C never leads to duplicate sessions), edited lines are redone with new keys,
and lines that failed for good (a bad line, a 4xx) are left alone unless --retry-failed.
An OUTPUT of another batch is refused; one run at a time may append to it."""

#: Answers a later run may get past: a fixed token, a server that recovered, less load.
_TRANSIENT_STATUS = frozenset({401, 408, 425, 429})


def add_create_many(commands: Any, api: argparse.ArgumentParser) -> None:
    """Register ``create-many`` under ``sessions``.

    Args:
        commands: the ``sessions`` subparsers.
        api: the parent parser of the API commands' common options.

    Example::

        add_create_many(session_commands, api_options())
    """
    many = add_command(
        commands,
        "create-many",
        "create one session per JSONL input line; resumable",
        description=_DESCRIPTION,
        parents=[api],
    )
    many.add_argument("input", metavar="INPUT.jsonl")
    many.add_argument("--output", "-o", required=True, metavar="OUT.jsonl")
    many.add_argument(
        "--concurrency", type=positive_int, default=16, metavar="N", help="default: 16"
    )
    many.add_argument(
        "--rate",
        type=non_negative_float,
        default=20.0,
        metavar="R",
        help="requests started per second, retries included (default: 20, the API's "
        "suggested ceiling for writes; 0 = unpaced)",
    )
    many.add_argument("--ordered", action="store_true", help="write results in input order")
    many.add_argument(
        "--batch-id",
        metavar="ID",
        help="what the idempotency keys derive from (default: the input file's absolute "
        "path); a new one (with a new --output) creates fresh sessions from the same file",
    )
    many.add_argument(
        "--retry-failed",
        action="store_true",
        help="also retry the lines that failed for good (with new idempotency keys)",
    )
    many.add_argument(
        "--force-new-output",
        action="store_true",
        help="move an existing OUTPUT aside (to OUTPUT.old) and start a new journal",
    )
    progress_option(many)
    many.set_defaults(handler=create_many_command)


def _transient(error: BaseException | None) -> bool:
    if isinstance(error, APIStatusError):
        return error.status_code in _TRANSIENT_STATUS or error.status_code >= 500
    return isinstance(error, APIError)  # no answer, a timeout, a malformed answer


def _record(line: Line, result: BulkResult) -> dict[str, Any]:
    record: dict[str, Any] = {
        "line": line.number,
        "fingerprint": fingerprint_hex(line.fp),
        "ok": result.ok,
    }
    if result.ok:
        record["idempotency_key"] = result.idempotency_key or line.key
        record["session"] = to_dict(result.session)
        return record
    where = f"line {line.number}: "
    record["transient"] = _transient(result.error)
    record["idempotency_key"] = result.idempotency_key or line.key
    if isinstance(result.params, BadLine):
        record["error"] = {
            "type": "InvalidParameterError",
            "status_code": None,
            "message": where + result.params.reason,
            "request_id": None,
        }
    else:
        assert result.error is not None
        prefix = where if isinstance(result.error, InvalidParameterError) else ""
        record["error"] = error_record(result.error, prefix)
    return record


def _join(counts: Iterable[tuple[int, str]]) -> str:
    return ", ".join(f"{n} {label}" for n, label in counts if n)


def _plan(tally: Tally, retry_failed: bool) -> str:
    text = _join(
        [
            (tally.done, "done"),
            (tally.stale, "edited (to redo)"),
            (tally.transient, "to retry"),
            (tally.failed, "failed for good"),
            (tally.new, "new"),
        ]
    )
    if tally.failed and not retry_failed:
        text += "; --retry-failed retries what failed for good"
    return text


async def create_many_command(args: argparse.Namespace) -> int:
    """Create one session per input line, journaling every outcome; resumable.

    Args:
        args: the parsed command line.

    Example::

        status = qoder_async.cli.main(["sessions", "create-many", "in.jsonl", "-o", "out.jsonl"])
    """
    check_distinct(args.input, args.output)
    # First the lock, before any slow read: a second run must fail fast.
    with closing(OutputLock.acquire(args.output)), closing(InputLines.open(args.input)) as source:
        batch_id = args.batch_id or source.default_batch_id()
        if args.force_new_output:
            moved = move_aside(args.output)
            if moved:
                note(args, f"moved the old {args.output} to {moved}; starting a new journal")
        ledger = Ledger(source.fingerprints)
        journal = Journal.read(args.output, ledger, batch_id)
        before = ledger.tally()
        todo = before.new + before.stale + before.transient
        todo += before.failed if args.retry_failed else 0
        if not todo:
            note(
                args,
                f"nothing to do: {args.output} holds the outcome of every line: "
                + _plan(before, False),
            )
            return EXIT_FAILED if before.failed else EXIT_OK
        if journal.cut_off:
            note(args, f"dropping a cut-off last line ({journal.cut_off} bytes) from {args.output}")
        if journal.records:
            note(args, f"resuming {args.output}: {_plan(before, args.retry_failed)}")
        client = make_client(args, max_connections=max(100, args.concurrency))
        async with client:
            journal.open_for_append(new_header(source, batch_id))
            try:
                return await _run(args, client, source, ledger, journal, BatchKeys(batch_id), todo)
            finally:
                journal.close()


async def _run(
    args: argparse.Namespace,
    client: AsyncQoder,
    source: InputLines,
    ledger: Ledger,
    journal: Journal,
    keys: BatchKeys,
    todo: int,
) -> int:
    before = ledger.tally()
    progress = "none" if args.verbosity < 0 else args.progress
    display = make_display(progress, total=todo, label="sessions")
    last: list[BulkProgress] = []

    def on_progress(progress: BulkProgress) -> None:
        last[:] = [progress]
        display.update(progress)

    created = failed = for_good = redone = 0
    started = time.monotonic()
    interrupted = False
    display.start()
    try:
        async for result in client.sessions.create_many(
            source.items(ledger, keys, args.retry_failed),
            concurrency=args.concurrency,
            rate_limit=args.rate or None,
            ordered=args.ordered,
            key_fn=source.key_for,
            on_progress=on_progress,
            progress_interval=0.2,
        ):
            line = source.take(result.index)
            record = _record(line, result)
            journal.append(record)
            if result.ok:
                created += 1
                ledger.note(line.number, line.fp, OK)
            else:
                failed += 1
                for_good += not record["transient"]
                ledger.note(line.number, line.fp, TRANSIENT if record["transient"] else FAILED)
            redone += line.kind == "redo"
            if isinstance(result.error, AuthenticationError):
                # The same token goes with every line: one 401 means all would fail.
                # Leaving the loop cancels what is in flight; a re-run picks it up.
                raise rejected_token(f"{created} created so far, run again to resume")
    except asyncio.CancelledError:
        interrupted = True
        raise
    except OSError as exc:
        raise UsageError(f"{exc.filename or 'I/O'}: {exc.strerror or exc}") from None
    finally:
        display.stop()
        if interrupted:
            note(
                args,
                f"interrupted after {created + failed} results, all of them in {args.output}; "
                "run the same command again to resume",
            )
    elapsed = time.monotonic() - started
    retries = last[0].retries if last else 0
    rate = (created + failed) / elapsed if elapsed > 0 else 0.0
    kept = 0 if args.retry_failed else before.failed
    done = _join(
        [
            (created, "created"),
            (failed, f"failed ({for_good} for good)" if for_good else "failed"),
            (redone, "redone (edited)"),
            (before.done, "already done"),
            (kept, "failed for good earlier (kept)"),
        ]
    )
    note(
        args,
        f"{done or '0 created'}; {rate:.1f}/s, {retries} retries, "
        f"{format_duration(elapsed)} -> {args.output}",
    )
    return EXIT_FAILED if ledger.tally().failing else EXIT_OK
