"""Argument parsing, signal handling and the exit-status contract of ``qoder-async``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from .._version import __version__
from ._common import EXIT_INTERRUPTED, EXIT_USAGE, UsageError
from ._demo import demo_command
from ._fake import fake_server_command
from ._sessions import create_command, create_many_command

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]

_EPILOG = """\
environment:
  QODER_PAT (or QODER_ACCESS_TOKEN)   the API token (never pass it on the command line)
  QODER_BASE_URL                      the API root, e.g. the URL that `fake-server` prints

exit status:
  0 every item succeeded, 1 some items failed, 2 usage or configuration error,
  130 interrupted (create-many: run the same command again to resume)
"""


def _number(text: str, kind: type[float], low: float, high: float, what: str) -> float:
    """``text`` as a ``kind`` in ``[low, high]``, or argparse's usage error naming ``what``."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be in {low:g}..{high:g}, got {text}")
    return value


def _positive_int(text: str) -> int:
    return int(_number(text, int, 1, float("inf"), "a whole number"))


def _non_negative_float(text: str) -> float:
    value = _number(text, float, 0, float("inf"), "a number")
    if value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _port(text: str) -> int:
    return int(_number(text, int, 0, 65535, "a port number"))


def _fraction(text: str) -> float:
    value = _non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _progress_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        choices=["auto", "rich", "plain", "none"],
        default="auto",
        help="progress on stderr: a rich bar on a terminal (with the 'cli' extra), "
        "else a plain line every few seconds (default: auto)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``qoder-async`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="qoder-async",
        description="Command line for the Qoder Cloud Agents API (qoder-async SDK).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"qoder-async {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log retries and requests")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    sessions = commands.add_parser("sessions", help="create sessions, one or in bulk")
    sessions.set_defaults(help_parser=sessions)
    session_commands = sessions.add_subparsers(title="sessions commands", metavar="COMMAND")

    create = session_commands.add_parser("create", help="create one session, print it as JSON")
    create.add_argument("--agent", required=True, help="agent id (agent_...)")
    create.add_argument("--environment-id", required=True, help="environment id (env_...)")
    create.add_argument("--title")
    create.add_argument(
        "--metadata", action="append", default=[], metavar="KEY=VALUE", help="repeatable"
    )
    create.add_argument("--idempotency-key")
    create.add_argument(
        "--base-url", metavar="URL", help="API root (default: $QODER_BASE_URL or production)"
    )
    create.set_defaults(handler=create_command)

    many = session_commands.add_parser(
        "create-many",
        help="create one session per JSONL input line; resumable",
        description="Create one session per line of INPUT (a JSON object of create "
        "parameters) and append one result line per input line to OUTPUT. Re-running the "
        "same command skips the lines already recorded as ok and retries the others with "
        "the same idempotency keys, so a crash or Ctrl-C never leads to duplicate sessions.",
    )
    many.add_argument("input", metavar="INPUT.jsonl")
    many.add_argument("--output", "-o", required=True, metavar="OUT.jsonl")
    many.add_argument(
        "--concurrency", type=_positive_int, default=16, metavar="N", help="default: 16"
    )
    many.add_argument(
        "--rate",
        type=_non_negative_float,
        default=20.0,
        metavar="R",
        help="requests started per second, retries included (default: 20, the API's "
        "suggested ceiling for writes; 0 = unpaced)",
    )
    many.add_argument("--ordered", action="store_true", help="write results in input order")
    many.add_argument(
        "--max-retries", type=int, default=2, metavar="N", help="per request (default: 2)"
    )
    many.add_argument(
        "--batch-id",
        metavar="ID",
        help="what the idempotency keys derive from (default: the input file's absolute "
        "path); pass a new one to create fresh sessions from the same file within 24 h",
    )
    many.add_argument(
        "--base-url", metavar="URL", help="API root (default: $QODER_BASE_URL or production)"
    )
    _progress_option(many)
    many.set_defaults(handler=create_many_command)

    fake = commands.add_parser(
        "fake-server", help="run the in-memory fake Qoder API on 127.0.0.1 (development)"
    )
    fake.add_argument(
        "--port", type=_port, default=8765, metavar="P", help="default: 8765; 0 picks one"
    )
    fake.add_argument("--token", default=None, help="the token it accepts (default: a test one)")
    fake.add_argument(
        "--latency", type=_non_negative_float, default=0.0, help="seconds added to each answer"
    )
    fake.add_argument(
        "--fail-rate",
        type=_fraction,
        default=0.0,
        help="fraction of requests answered 503 (to exercise retries)",
    )
    fake.set_defaults(handler=fake_server_command)

    demo = commands.add_parser(
        "demo",
        help="bulk-create sessions against an in-process fake API, with injected faults",
    )
    demo.add_argument(
        "--count", type=_positive_int, default=3000, metavar="N", help="default: 3000"
    )
    demo.add_argument(
        "--concurrency", type=_positive_int, default=32, metavar="N", help="default: 32"
    )
    _progress_option(demo)
    demo.set_defaults(handler=demo_command)
    return parser


def _configure_logging(verbose: bool) -> None:
    logger = logging.getLogger("qoder_async")
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    else:
        # Retries are counted in the summary; one WARNING line per retry would bury it.
        logger.setLevel(logging.ERROR)


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``qoder-async`` with ``argv`` (default: the process arguments); returns the exit status.

    Example::

        status = qoder_async.cli.main(["sessions", "create-many", "in.jsonl", "-o", "out.jsonl"])
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        getattr(args, "help_parser", parser).print_help(sys.stderr)
        return EXIT_USAGE
    _configure_logging(args.verbose)
    try:
        return asyncio.run(_interruptible(handler(args)))
    except UsageError as exc:
        print(f"qoder-async: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("qoder-async: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
