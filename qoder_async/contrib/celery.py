"""Create sessions from Celery workers: one client per worker process, no duplicate session.

``install(app, **client_options)`` registers the task ``"qoder_async.create_session"``
``(key, params) -> dict`` on a Celery app, and gives every worker process one blocking
:class:`~qoder_async.Qoder` client (with its own event loop, connection pool and rate
limiter connection), created after the fork and closed at the process's shutdown:

- the idempotency key of a create is derived from ``key`` alone, so a retried or
  redelivered task (``acks_late``, ``reject_on_worker_lost``) replays the session the API
  already created instead of creating a second one;
- with ``rate_limit_url`` and ``writes_per_second``, every process on every host shares one
  limit in Redis (GCRA), and a 429 seen by one holds back all of them;
- failures that another attempt may cure (no answer, 408, 429, 5xx, the limiter's Redis
  down) become Celery retries with backoff; the rest fail the task with
  :class:`SessionTaskError` (the error's type, status and message), at once.

:func:`enqueue_jsonl` sends a JSONL file of create parameters (the CLI's ``create-many``
input), and :func:`collect_jsonl` writes the outcomes in the CLI's output format.

Example::

    from celery import Celery
    from qoder_async.contrib.celery import install

    app = Celery("jobs", broker="redis://127.0.0.1:6379/0", backend="redis://127.0.0.1:6379/1")
    install(app, rate_limit_url="redis://127.0.0.1:6379/2", writes_per_second=20)
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import random
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
from celery import Celery, Task, signals
from celery.result import AsyncResult

from .._client import AsyncQoder
from .._errors import (
    APIError,
    APIStatusError,
    InvalidParameterError,
    ParameterTypeError,
    QoderError,
    RateLimiterUnavailableError,
)
from .._models._converter import to_dict
from .._retry import RetryPolicy, retry_after_seconds
from .._session_params import item_arguments
from .._sync import Qoder
from ..cli._batch_input import BadLine, InputLines, fingerprint, fingerprint_hex, parse_line
from ..cli._journal import new_header

__all__ = [
    "TASK_NAME",
    "CollectSummary",
    "SessionTaskError",
    "collect_jsonl",
    "enqueue_jsonl",
    "idempotency_key_for",
    "install",
    "task_id_for",
    "worker_client",
]

TASK_NAME = "qoder_async.create_session"
_log = logging.getLogger("qoder_async")
_NAMESPACE = uuid.UUID("5b0d3c52-8a53-4d4c-9b5e-4f4f2b7a2c11")
_CLIENT_OPTIONS = frozenset(inspect.signature(AsyncQoder.__init__).parameters) - {"self"}
#: A task's own retries: up to this many, backing off to at most this many seconds.
_TASK_RETRIES = 10
_MAX_COUNTDOWN = 60.0


class SessionTaskError(Exception):
    """A ``create_session`` task that failed for good (its arguments survive JSON).

    Args:
        error_type: the qoder_async error's class name (``"BadRequestError"``).
        status_code: the HTTP status, or ``None`` when no answer was involved.
        message: the error's message.
        request_id: the API's request id, when there was one.
        transient: whether the failure was one that retries could have cured (they ran out).

    Example::

        result = AsyncResult(task_id_for(key), app=app)
        if result.failed(): print(result.result.error_type, result.result.status_code)
    """

    def __init__(
        self,
        error_type: str,
        status_code: int | None,
        message: str,
        request_id: str | None = None,
        transient: bool = False,
    ) -> None:
        super().__init__(error_type, status_code, message, request_id, transient)
        self.error_type = error_type
        self.status_code = status_code
        self.message = message
        self.request_id = request_id
        self.transient = transient

    @classmethod
    def from_error(cls, error: QoderError, transient: bool = False) -> SessionTaskError:
        """The task failure for a qoder_async error.

        Args:
            error: what the client raised.
            transient: whether another attempt could have cured it.

        Example::

            raise SessionTaskError.from_error(exc)
        """
        return cls(
            type(error).__name__,
            getattr(error, "status_code", None),
            error.message if isinstance(error, APIError) else str(error),
            getattr(error, "request_id", None),
            transient,
        )

    def __str__(self) -> str:
        status = f" {self.status_code}" if self.status_code is not None else ""
        return f"{self.error_type}{status}: {self.message}"


def idempotency_key_for(key: str) -> str:
    """The idempotency key of the create for task key ``key``: the same on every attempt,
    every redelivery and every host, shaped like the UUID4 the API documents.

    Args:
        key: the task's key (``enqueue_jsonl`` uses ``"<batch>:<line>:<fingerprint>"``).

    Example::

        idempotency_key_for("orders-2026-12:17:9c1c01dc3ac1445a")
    """
    digest = hashlib.sha256(b"qoder-async celery\0" + key.encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def task_id_for(key: str) -> str:
    """The Celery task id ``enqueue_jsonl`` gives the task of ``key`` (so a collector in
    another process finds its result from the input alone).

    Args:
        key: the task's key.

    Example::

        AsyncResult(task_id_for(key), app=app).get()
    """
    return str(uuid.uuid5(_NAMESPACE, key))


# -- the worker side ---------------------------------------------------------------------


class _ProcessClient:
    """The one client of this worker process, built after the fork."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        self.client: Qoder | None = None
        self.pid = 0
        self.lock = threading.Lock()

    def start(self, **_: Any) -> None:
        with self.lock:
            if self.client is not None and self.pid == os.getpid():
                return
            self.client = Qoder(**self.options)
            self.pid = os.getpid()
        _log.info("qoder_async: worker client ready in process %d", self.pid)

    def start_unless_prefork(self, sender: Any = None, **_: Any) -> None:
        # Prefork children build theirs in worker_process_init; other pools run tasks here.
        from celery.concurrency import get_implementation
        from celery.concurrency.prefork import TaskPool

        pool = get_implementation(getattr(sender, "pool_cls", "prefork"))
        if not (isinstance(pool, type) and issubclass(pool, TaskPool)):
            self.start()

    def stop(self, **_: Any) -> None:
        with self.lock:
            client, self.client = self.client, None
        if client is not None and self.pid == os.getpid():
            client.close()

    def get(self) -> Qoder:
        client = self.client
        if client is None or self.pid != os.getpid():
            raise QoderError(
                "no qoder_async client in this process: call install(app) in the module the "
                "worker imports, and run the task in a worker (prefork, solo or threads pool)"
            )
        return client


_CLIENTS: list[_ProcessClient] = []


def worker_client() -> Qoder:
    """The client of this worker process (for tasks of your own beside ``create_session``).

    Example::

        @app.task
        def archive(session_id: str) -> None:
            worker_client().sessions.archive(session_id)
    """
    if not _CLIENTS:
        raise QoderError("qoder_async.contrib.celery.install(app) was not called")
    return _CLIENTS[-1].get()


def install(
    app: Celery, *, task_options: Mapping[str, Any] | None = None, **client_options: Any
) -> Task:
    """Register ``"qoder_async.create_session"`` on ``app`` and give each worker process a
    client built from ``client_options``. The app's broker settings are left alone.

    Args:
        app: the Celery app (call this where the worker imports the app).
        task_options: options for ``app.task`` over the defaults ``acks_late=True``,
            ``reject_on_worker_lost=True``, ``max_retries=10`` (``queue``, ``rate_limit``, ...).
        **client_options: :class:`~qoder_async.AsyncQoder` options: ``api_key``,
            ``base_url``, ``max_retries``, ``rate_limit_url``, ``writes_per_second``, ...

    Returns:
        The registered task.

    Example::

        create_session = install(app, writes_per_second=20, rate_limit_url=REDIS_URL)
        create_session.delay("batch-7:1", {"agent": "agent_01", "environment_id": "env_01"})
    """
    if not isinstance(app, Celery):
        raise ParameterTypeError("app", "expected a celery.Celery app")
    unknown = sorted(set(client_options) - _CLIENT_OPTIONS)
    if unknown:
        raise InvalidParameterError(unknown[0], "is not an AsyncQoder option")
    holder = _ProcessClient(client_options)
    _CLIENTS.append(holder)
    signals.worker_process_init.connect(holder.start, weak=False)
    signals.worker_process_shutdown.connect(holder.stop, weak=False)
    signals.worker_init.connect(holder.start_unless_prefork, weak=False)
    signals.worker_shutdown.connect(holder.stop, weak=False)
    options: dict[str, Any] = {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "max_retries": _TASK_RETRIES,
    }
    options.update(task_options or {})

    def create_session(task: Task, key: str, params: dict[str, Any]) -> dict[str, Any]:
        """Create one session from ``params`` under the idempotency key derived from ``key``."""
        return _create(task, holder.get(), key, params)

    task: Task = app.task(name=TASK_NAME, bind=True, **options)(create_session)
    return task


def _create(task: Task, client: Qoder, key: object, params: object) -> dict[str, Any]:
    try:
        if not isinstance(key, str) or not key:
            raise ParameterTypeError("key", "expected a non-empty str")
        kwargs, own_key = item_arguments(0, params)
        session = client.sessions.create(
            **kwargs, idempotency_key=own_key or idempotency_key_for(key)
        )
    except InvalidParameterError as exc:
        raise SessionTaskError.from_error(exc) from None
    except APIError as exc:
        if not _retryable(exc):
            raise SessionTaskError.from_error(exc) from None
        failure = SessionTaskError.from_error(exc, transient=True)
        raise task.retry(exc=failure, countdown=_countdown(exc, task.request.retries)) from None
    return to_dict(session)  # type: ignore[no-any-return]


def _retryable(error: APIError) -> bool:
    return isinstance(error, RateLimiterUnavailableError) or RetryPolicy().is_retryable(error)


def _countdown(error: APIError, retries: int) -> float:
    if isinstance(error, APIStatusError):
        asked = retry_after_seconds(error.headers)
        if asked is not None:
            return min(asked, _MAX_COUNTDOWN)
    return min(2.0**retries, _MAX_COUNTDOWN) * random.uniform(0.5, 1.0)


# -- producer and collector --------------------------------------------------------------


def _lines(
    source: InputLines, batch_id: str
) -> Iterator[tuple[int, str, dict[str, Any] | BadLine]]:
    """``(line number, key, params or the reason they are bad)`` of every non-blank line."""
    with open(source.path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            if number > source.lines:
                break
            line = raw.strip()
            if line:
                fp = fingerprint_hex(fingerprint(line))
                yield number, f"{batch_id}:{number}:{fp}", parse_line(line)


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
        for _, key, params in _lines(source, batch):
            if isinstance(params, BadLine):
                continue
            app.send_task(TASK_NAME, args=(key, params), task_id=task_id_for(key), **send_options)
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
            for number, key, params in _lines(source, batch):
                record = _outcome(app, key, params, timeout)
                record = {"line": number, "fingerprint": key.rsplit(":", 1)[1], **record}
                out.write(_dump(record))
                ok, failed = (ok + 1, failed) if record["ok"] else (ok, failed + 1)
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
