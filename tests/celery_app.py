"""The Celery app the scale-out tests run in real workers (``celery -A celery_app worker``).

Everything comes from the environment the test gives the worker processes.
"""

from __future__ import annotations

import os

from celery import Celery

from qoder_async.contrib.celery import install

app = Celery(
    "qoder_scaleout_test",
    broker=os.environ["QODER_TEST_BROKER"],
    backend=os.environ["QODER_TEST_BACKEND"],
)
app.conf.update(
    # A killed worker's tasks come back after 8 s, and the sweep looks every second.
    broker_transport_options={
        "visibility_timeout": 8,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    },
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    result_expires=3600,
)
limit = os.environ.get("QODER_TEST_WRITES_PER_SECOND")
install(
    app,
    api_key=os.environ["QODER_TEST_TOKEN"],
    base_url=os.environ["QODER_TEST_BASE_URL"],
    rate_limit_url=os.environ.get("QODER_TEST_LIMIT_URL") if limit else None,
    writes_per_second=float(limit) if limit else None,
)
