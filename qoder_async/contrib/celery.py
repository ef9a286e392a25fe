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

import inspect
import logging
import os
import random
import threading
from collections.abc import Mapping
from typing import Any

from celery import Celery, Task, signals

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
from ._celery_jsonl import CollectSummary, collect_jsonl, enqueue_jsonl
from ._celery_keys import TASK_NAME, idempotency_key_for, shown_arguments, task_id_for

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

_log = logging.getLogger("qoder_async")
_CLIENT_OPTIONS = frozenset(inspect.signature(AsyncQoder.__init__).parameters) - {"self"}
#: A task's own retries: up to this many, backing off to at most this many seconds.
_TASK_RETRIES = 10
_MAX_COUNTDOWN = 60.0
#: Which failures another attempt may cure: the client's own rules.
_POLICY = RetryPolicy()


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
        countdown = _countdown(exc, task.request.retries)
        raise task.retry(
            exc=failure, countdown=countdown, argsrepr=shown_arguments(key, params)
        ) from None
    return to_dict(session)  # type: ignore[no-any-return]


def _retryable(error: APIError) -> bool:
    return isinstance(error, RateLimiterUnavailableError) or _POLICY.is_retryable(error)


def _countdown(error: APIError, retries: int) -> float:
    if isinstance(error, APIStatusError):
        asked = retry_after_seconds(error.headers)
        if asked is not None:
            return min(asked, _MAX_COUNTDOWN)
    return min(2.0**retries, _MAX_COUNTDOWN) * random.uniform(0.5, 1.0)
