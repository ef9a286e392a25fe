"""Integrations with other libraries, each behind its own optional extra.

- :mod:`qoder_async.contrib.celery` (``pip install 'qoder-async[celery]'``): session creation
  as a Celery task, one client per worker process, one rate limit for every worker.
"""
