"""The producer and the collector of a JSONL batch: one ``create_session`` task per line,
and the outcomes written in the CLI's ``create-many`` journal format."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
from celery import Celery
from celery.result import AsyncResult

from ..cli._batch_input import BadLine, InputLines, fingerprint_hex, parse_line
from ..cli._journal import new_header
from ._celery_keys import TASK_NAME, idempotency_key_for, shown_arguments, task_id_for

__all__ = ["CollectSummary", "collect_jsonl", "enqueue_jsonl"]


def _lines(
    source: InputLines, batch_id: str
) -> Iterator[tuple[int, str, str, dict[str, Any] | BadLine]]:
    """``(line number, fingerprint, key, params or the reason they are bad)`` of every
    non-blank line (the fingerprints are the ones ``InputLines.open`` computed)."""
    with open(source.path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            if number > source.lines:
                break
            fp = source.fingerprints[number - 1]
            if fp:  # 0: a blank line
                fp_hex = fingerprint_hex(fp)
                yield number, fp_hex, f"{batch_id}:{number}:{fp_hex}", parse_line(raw.strip())


def enqueue_jsonl(
    app: Celery, path: str | os.PathLike[str], *, batch_id: str | None = None, **send_options: Any
) -> int:
    """Send one ``create_session`` task per line of a JSONL file of create parameters.

    A task's key is ``"<batch_id>:<line>:<fingerprint of the line>"`` and its task id is
    derived from it, so enqueuing the same file twice creates no second session, and an
    edited line is a new task. Lines that are not JSON objects are not sent (the collector
    records them as failed).

    Args:
        app: the Celery app the workers run.
        path: the input file (one JSON object of ``sessions.create`` parameters per line).
        batch_id: what makes this batch's keys its own (default: the input's absolute path).
        **send_options: for ``apply_async`` (``queue``, ``priority``, ...).

    Returns:
        How many tasks were sent.

    Example::

        enqueue_jsonl(app, "sessions.jsonl", batch_id="orders-2026-12")
    """
    source = InputLines.open(os.fspath(path))
    batch = batch_id or source.default_batch_id()
    sent = 0
    try:
        for _, _, key, params in _lines(source, batch):
            if isinstance(params, BadLine):
                continue
            app.send_task(
                TASK_NAME,
                args=(key, params),
                task_id=task_id_for(key),
                argsrepr=shown_arguments(key, params),
                **send_options,
            )
            sent += 1
    finally:
        source.close()
    return sent


@attrs.frozen
class CollectSummary:
    """What :func:`collect_jsonl` wrote.

    Example::

        summary = collect_jsonl(app, "sessions.jsonl", "out.jsonl")
        print(summary.ok, summary.failed)
    """

    ok: int
    failed: int


def collect_jsonl(
    app: Celery,
    path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    batch_id: str | None = None,
    timeout: float | None = None,
) -> CollectSummary:
    """Wait for every task :func:`enqueue_jsonl` sent for ``path`` and write the outcomes
    to ``output`` in the CLI's ``create-many`` format (a header, then one record per line).

    Args:
        app: the Celery app (with a result backend).
        path: the same input file.
        output: a new file to write (an existing one is refused, never overwritten).
        batch_id: the same batch id as the producer's.
        timeout: seconds to wait for each result, or ``None`` to wait as long as it takes.

    Returns:
        The number of sessions created and of lines that failed.

    Example::

        summary = collect_jsonl(app, "sessions.jsonl", "out.jsonl", batch_id="orders-2026-12")
    """
    source = InputLines.open(os.fspath(path))
    batch = batch_id or source.default_batch_id()
    ok = failed = 0
    try:
        with Path(output).open("x", encoding="utf-8") as out:
            out.write(_dump(new_header(source, batch)))
            for number, fp_hex, key, params in _lines(source, batch):
                record = {
                    "line": number,
                    "fingerprint": fp_hex,
                    **_outcome(app, key, params, timeout),
                }
                out.write(_dump(record))
                if record["ok"]:
                    ok += 1
                else:
                    failed += 1
    finally:
        source.close()
    return CollectSummary(ok, failed)


def _outcome(app: Celery, key: str, params: object, timeout: float | None) -> dict[str, Any]:
    if isinstance(params, BadLine):
        error = {"type": "InvalidParameterError", "status_code": None}
        return {"ok": False, "transient": False, "error": {**error, "message": params.reason}}
    result = AsyncResult(task_id_for(key), app=app)
    value = result.get(timeout=timeout, propagate=False)
    own = params.get("idempotency_key") if isinstance(params, dict) else None
    record: dict[str, Any] = {"ok": result.successful()}
    if result.successful():
        record["idempotency_key"] = own or idempotency_key_for(key)
        record["session"] = value
        return record
    record["transient"] = bool(getattr(value, "transient", False))
    record["idempotency_key"] = own or idempotency_key_for(key)
    record["error"] = {
        "type": getattr(value, "error_type", type(value).__name__),
        "status_code": getattr(value, "status_code", None),
        "message": getattr(value, "message", str(value)),
        "request_id": getattr(value, "request_id", None),
    }
    return record


def _dump(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
