"""What the Celery integration derives from a task's key: its idempotency key and task id,
and what monitoring shows of its arguments."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping

__all__ = ["TASK_NAME", "idempotency_key_for", "shown_arguments", "task_id_for"]

TASK_NAME = "qoder_async.create_session"
_NAMESPACE = uuid.UUID("5b0d3c52-8a53-4d4c-9b5e-4f4f2b7a2c11")


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


def shown_arguments(key: object, params: object) -> str:
    """What monitoring and logs show of a task's arguments (Celery's ``argsrepr``): the key
    and the parameter names, never their values (a repository's ``authorization_token`` may
    be among them).

    Args:
        key: the task's key.
        params: its create parameters.

    Example::

        shown_arguments("b:1:9c1c01dc3ac1445a", {"agent": "agent_01"})  # "('b:1:…', <agent>)"
    """
    names = ", ".join(sorted(map(str, params))) if isinstance(params, Mapping) else "?"
    return f"({key!r}, <{names}>)"
