"""What the parsers share: value types, the options of every API command, the exit table."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

__all__ = [
    "EXIT_TABLE",
    "add_command",
    "api_options",
    "add_group",
    "fraction",
    "int_range",
    "json_object",
    "key_value",
    "non_negative_float",
    "port",
    "positive_int",
    "progress_option",
    "verbosity_options",
]

EXIT_TABLE = """\
exit status (every command):
  0    ok
  1    some items failed (create-many: some lines failed; other commands: the API refused
       the request, e.g. 404 for an unknown session)
  2    usage, configuration or authentication error (bad arguments, no token or a token
       the API rejects, an output file of another batch or in use by another run)
  130  interrupted (Ctrl-C); create-many: run the same command again to resume

environment:
  QODER_PAT (or QODER_ACCESS_TOKEN)   the API token (never pass it on the command line)
  QODER_BASE_URL                      the API root, e.g. the URL that `fake-server` prints
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


def int_range(low: int, high: float, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse type: a whole number in ``low..high``.

    Args:
        low: the smallest value allowed.
        high: the largest (``float("inf")``: no limit).
        what: how the usage error names what was expected.

    Example::

        parser.add_argument("--port", type=int_range(0, 65535, "a port number"))
    """

    def parse(text: str) -> int:
        return int(_number(text, int, low, high, what))

    return parse


#: ``--limit``, ``--concurrency``, ...: a whole number >= 1.
positive_int = int_range(1, float("inf"))
#: A TCP port, 0 meaning "pick one".
port = int_range(0, 65535, "a port number")
_retries = int_range(0, 100)


def non_negative_float(text: str) -> float:
    """An argparse type: a finite number >= 0.

    Args:
        text: the argument as typed.

    Example::

        parser.add_argument("--latency", type=non_negative_float)
    """
    value = _number(text, float, 0, float("inf"), "a number")
    if value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def fraction(text: str) -> float:
    """An argparse type: a number in 0..1.

    Args:
        text: the argument as typed.

    Example::

        parser.add_argument("--fail-rate", type=fraction)
    """
    value = non_negative_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def json_object(text: str) -> dict[str, Any]:
    """An argparse type: a JSON object, e.g. ``'{"type": "file", "file_id": "file_1"}'``.

    Args:
        text: the argument as typed.

    Example::

        parser.add_argument("--resource", type=json_object, action="append")
    """
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc}): {text[:60]!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text[:60]!r}")
    return value


def key_value(text: str) -> tuple[str, str]:
    """An argparse type: ``KEY=VALUE`` (the value may be empty, the key may not).

    Args:
        text: the argument as typed.

    Example::

        parser.add_argument("--metadata", type=key_value, action="append", default=[])
    """
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def verbosity_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``-v``/``-q`` on ``parser``; on a subcommand they default to "not given" so that the
    same options placed before the subcommand are not overwritten by the subparser.

    Args:
        parser: the parser to add them to.
        top: whether it is the top-level parser (which holds the real default).

    Example::

        verbosity_options(build_parser(), top=True)
    """
    default: Any = 0 if top else argparse.SUPPRESS
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=1,
        default=default,
        help="log one line per HTTP request (and every retry) on stderr",
    )
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=-1,
        default=default,
        help="only errors on stderr: no progress, no summary",
    )


def api_options() -> argparse.ArgumentParser:
    """A parent parser with the options of every command that calls the API.

    Example::

        commands.add_parser("get", parents=[api_options()])
    """
    parent = argparse.ArgumentParser(add_help=False)
    verbosity_options(parent, top=False)
    group = parent.add_argument_group("connection")
    group.add_argument(
        "--base-url", metavar="URL", help="API root (default: $QODER_BASE_URL or production)"
    )
    group.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow a plain http:// base URL to a host other than this machine",
    )
    group.add_argument(
        "--timeout",
        type=non_negative_float,
        metavar="S",
        help="seconds per attempt (default: 60; 0 = no limit)",
    )
    group.add_argument(
        "--max-retries", type=_retries, metavar="N", help="retries per request (default: 2)"
    )
    return parent


def progress_option(parser: argparse.ArgumentParser) -> None:
    """``--progress auto|rich|plain|none``.

    Args:
        parser: the parser to add it to.

    Example::

        progress_option(demo_parser)
    """
    parser.add_argument(
        "--progress",
        choices=["auto", "rich", "plain", "none"],
        default="auto",
        help="progress on stderr: a rich bar on a terminal (with the 'cli' extra), "
        "else a plain line every few seconds (default: auto; -q means none)",
    )


def add_command(
    commands: Any, name: str, summary: str, *, description: str | None = None, **kwargs: Any
) -> argparse.ArgumentParser:
    """A subcommand parser with the exit-status table as its epilog.

    Args:
        commands: what ``add_subparsers`` returned.
        name: the command's name.
        summary: one line for the parent's list of commands.
        description: the longer text of its own ``--help`` (default: ``summary``).
        kwargs: more ``add_parser`` arguments; without ``parents`` it gets ``-v``/``-q``.

    Example::

        get = add_command(session_commands, "get", "print one session", parents=[api_options()])
    """
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=description or summary,
        epilog=EXIT_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kwargs,
    )
    if not kwargs.get("parents"):
        verbosity_options(parser, top=False)  # the API commands get them from api_options()
    return parser


def add_group(commands: Any, name: str, summary: str) -> Any:
    """A command group (``sessions``, ``events``): its parser, whose own subparsers it returns.

    ``qoder-async NAME`` alone prints the group's help (and exits 2).

    Args:
        commands: the top-level subparsers.
        name: the group's name.
        summary: one line for the list of commands.

    Example::

        group = add_group(commands, "events", "send, list and stream a session's events")
        add_command(group, "send", "send events", parents=[api_options()])
    """
    parser = commands.add_parser(name, help=summary)
    parser.set_defaults(help_parser=parser)
    return parser.add_subparsers(title=f"{name} commands", metavar="COMMAND")
