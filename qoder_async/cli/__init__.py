"""The ``qoder-async`` command line.

Commands: ``sessions create``, ``sessions create-many`` (resumable bulk creation from a
JSONL file), ``fake-server`` and ``demo``. Run ``qoder-async --help`` for the options.

Example::

    import qoder_async.cli
    status = qoder_async.cli.main(["demo", "--count", "500"])
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
