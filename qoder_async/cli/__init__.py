"""The ``qoder-async`` command line.

Commands: ``sessions create|create-many|list|get|update|archive|delete|cancel``,
``events send|list|stream``, ``fake-server`` and ``demo``. ``create-many`` creates one
session per line of a JSONL file and journals every outcome, so that it can be run again
blindly (see ``_journal``). Run ``qoder-async --help`` for the options and exit statuses.

Example::

    import qoder_async.cli
    status = qoder_async.cli.main(["demo", "--count", "500"])
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
