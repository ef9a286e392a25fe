"""Argument parsing, logging, signal handling and the exit-status contract of ``qoder-async``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from .._version import __version__
from ._args import EXIT_TABLE, api_options, verbosity_options
from ._common import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError
from ._demo import add_demo
from ._events import add_event_commands
from ._fake import add_fake_server
from ._resources import add_resource_commands
from ._sessions import add_session_commands

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    """The ``qoder-async`` argument parser.

    Example::

        build_parser().print_help()
    """
    parser = argparse.ArgumentParser(
        prog="qoder-async",
        description="Command line for the Qoder Cloud Agents API (qoder-async SDK).",
        epilog=EXIT_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"qoder-async {__version__}")
    verbosity_options(parser, top=True)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    api = api_options()
    add_session_commands(commands, api)
    add_event_commands(commands, api)
    add_resource_commands(commands, api)
    add_fake_server(commands)
    add_demo(commands)
    return parser


def _configure_logging(verbosity: int) -> None:
    logger = logging.getLogger("qoder_async")
    if verbosity > 0:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    else:
        # Retries are counted in the summaries; a line per retry would bury them.
        logger.setLevel(logging.ERROR if verbosity < 0 else logging.WARNING)


async def _interruptible(command: Coroutine[Any, Any, int]) -> int:
    """Run ``command``; SIGINT/SIGTERM cancel it (cleanly, at an await), and give 130."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    caught: list[int] = []
    installed: list[int] = []

    def stop(signum: int) -> None:
        caught.append(signum)
        # A second Ctrl-C gets Python's default behaviour: stop now.
        for number in installed:
            loop.remove_signal_handler(number)
        installed.clear()
        task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop, signum)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover (Windows)
            pass
    try:
        return await command
    except asyncio.CancelledError:
        if caught:
            return EXIT_INTERRUPTED
        raise
    finally:
        for number in installed:
            loop.remove_signal_handler(number)


def _pipe_closed() -> int:
    # `qoder-async sessions list | head` closes the pipe early: that is not an error.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``qoder-async`` with ``argv`` (default: the process arguments); returns the exit status.

    Args:
        argv: the arguments after the program name.

    Example::

        status = qoder_async.cli.main(["sessions", "create-many", "in.jsonl", "-o", "out.jsonl"])
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        getattr(args, "help_parser", parser).print_help(sys.stderr)
        return EXIT_USAGE
    _configure_logging(args.verbosity)
    try:
        return asyncio.run(_interruptible(handler(args)))
    except UsageError as exc:
        print(f"qoder-async: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("qoder-async: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _pipe_closed()
