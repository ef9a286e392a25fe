"""``qoder-async sessions create`` and ``qoder-async sessions create-many``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from .._bulk import BulkProgress, BulkResult
from .._errors import APIError, AuthenticationError, InvalidParameterError
from .._models._converter import to_dict
from .._retry import RetryPolicy
from ._common import EXIT_FAILED, EXIT_OK, UsageError, error_record, make_client
from ._journal import BadLine, BatchKeys, InputLines, Journal, Line, check_distinct
from ._progress import format_duration, make_display

__all__ = ["create_command", "create_many_command"]


def _metadata(pairs: list[str]) -> dict[str, str] | None:
    if not pairs:
        return None
    metadata: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--metadata expects KEY=VALUE, got {pair!r}")
        metadata[key] = value
    return metadata


async def create_command(args: argparse.Namespace) -> int:
    """Create one session and print it as JSON on stdout."""
    metadata = _metadata(args.metadata)
    async with make_client(args.base_url) as client:
        try:
            session = await client.sessions.create(
                agent=args.agent,
                environment_id=args.environment_id,
                title=args.title,
                metadata=metadata,
                idempotency_key=args.idempotency_key,
            )
        except InvalidParameterError as exc:
            raise UsageError(str(exc)) from None
        except APIError as exc:
            print(f"qoder-async: {type(exc).__name__}: {exc}", file=sys.stderr)
            return EXIT_FAILED
    print(json.dumps(to_dict(session), indent=2, ensure_ascii=False))
    return EXIT_OK


def _record(line: Line, result: BulkResult) -> dict[str, Any]:
    record: dict[str, Any] = {
        "index": line.index,
        "ok": result.ok,
        "idempotency_key": result.idempotency_key or line.key,
    }
    if result.ok:
        record["session"] = to_dict(result.session)
        return record
    where = f"line {line.index + 1}: "
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


async def create_many_command(args: argparse.Namespace) -> int:
    """Create one session per input line, journaling every result; resumable."""
    if args.max_retries < 0:
        raise UsageError("--max-retries must be 0 or more")
    check_distinct(args.input, args.output)
    source = InputLines.open(args.input)
    try:
        journal = Journal.open(args.output, max_index=source.lines)
    except UsageError:
        source.close()
        raise
    try:
        return await _run_batch(args, source, journal)
    finally:
        journal.close()
        source.close()


async def _run_batch(args: argparse.Namespace, source: InputLines, journal: Journal) -> int:
    client = make_client(
        args.base_url,
        retry=RetryPolicy(max_retries=args.max_retries),
        max_connections=max(100, args.concurrency),
    )
    skipped = journal.done.count
    todo = max(0, source.non_blank - skipped)
    if journal.repaired:
        print(
            f"qoder-async: dropped a cut-off last line ({journal.repaired} bytes) from "
            f"{args.output}",
            file=sys.stderr,
        )
    if skipped:
        print(
            f"qoder-async: resuming: {skipped} lines already recorded ok in {args.output}, "
            f"{todo} to go",
            file=sys.stderr,
        )
    keys = BatchKeys(args.batch_id or source.default_batch_id())
    display = make_display(args.progress, total=todo, label="sessions")
    last: list[BulkProgress] = []

    def on_progress(progress: BulkProgress) -> None:
        last[:] = [progress]
        display.update(progress)

    created = failed = 0
    started = time.monotonic()
    interrupted = False
    async with client:
        display.start()
        try:
            async for result in client.sessions.create_many(
                source.items(journal.done, keys),
                concurrency=args.concurrency,
                rate_limit=args.rate or None,
                ordered=args.ordered,
                key_fn=source.key_for,
                on_progress=on_progress,
                progress_interval=0.2,
            ):
                journal.append(_record(source.take(result.index), result))
                if result.ok:
                    created += 1
                else:
                    failed += 1
                    if isinstance(result.error, AuthenticationError):
                        # The same token goes with every line: one 401 means all would fail.
                        # Leaving the loop cancels what is in flight; a re-run picks it up.
                        raise UsageError(
                            "the API rejected the token (HTTP 401): check QODER_PAT; "
                            f"{created} created so far, run again to resume"
                        )
        except asyncio.CancelledError:
            interrupted = True
            raise
        except OSError as exc:
            raise UsageError(f"{exc.filename or 'I/O'}: {exc.strerror or exc}") from None
        finally:
            display.stop()
            if interrupted:
                print(
                    f"qoder-async: interrupted after {created + failed} results, all of them "
                    f"in {args.output}; run the same command again to resume",
                    file=sys.stderr,
                )
    elapsed = time.monotonic() - started
    retries = last[0].retries if last else 0
    rate = (created + failed) / elapsed if elapsed > 0 else 0.0
    print(
        f"qoder-async: {created} created, {failed} failed"
        + (f", {skipped} already done" if skipped else "")
        + f"; {rate:.1f}/s, {retries} retries, {format_duration(elapsed)}"
        f" -> {args.output}",
        file=sys.stderr,
    )
    return EXIT_FAILED if failed else EXIT_OK
