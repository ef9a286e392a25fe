"""``qoder-async events ...``: send, list and stream a session's events as JSON lines."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._client import AsyncQoder
from .._models.event_base import Event
from .._models.inbound import user_message
from ._args import add_command, add_group, json_object, positive_int
from ._common import UsageError, call_api, print_items, print_json_line

__all__ = ["add_event_commands"]

#: Without --follow, the stream stops after the turn: the session is idle again, or gone.
_TURN_OVER = frozenset({"session.status_idle", "session.status_terminated"})
#: With --follow, "give up after N failed reconnections" is not wanted: keep resuming.
_FOLLOW_RECONNECTS = 1_000_000


def add_event_commands(commands: Any, api: argparse.ArgumentParser) -> None:
    """Register ``events`` and its commands.

    Args:
        commands: the top-level subparsers.
        api: the parent parser of the API commands' common options.

    Example::

        add_event_commands(parser.add_subparsers(), api_options())
    """
    group = add_group(commands, "events", "send, list and stream a session's events")

    send = add_command(
        group,
        "send",
        "send a user message (TEXT, '-' for stdin) and/or JSON events; print them as stored",
        parents=[api],
    )
    send.add_argument("session_id", metavar="SESSION_ID")
    send.add_argument("text", metavar="TEXT", nargs="?", help="a user.message's text")
    send.add_argument(
        "--event",
        dest="events",
        type=json_object,
        action="append",
        default=[],
        metavar="JSON",
        help='an event, e.g. \'{"type": "user.interrupt"}\'; repeatable',
    )
    send.set_defaults(handler=send_command)

    listing = add_command(
        group, "list", "print a session's events as JSON lines, oldest first", parents=[api]
    )
    listing.add_argument("session_id", metavar="SESSION_ID")
    listing.add_argument("--type", dest="types", action="append", metavar="T", help="repeatable")
    listing.add_argument("--order", choices=["asc", "desc"])
    listing.add_argument("--after-id", metavar="EVENT_ID", help="start after this event")
    listing.add_argument(
        "--limit", type=positive_int, metavar="N", help="print at most N (default: all)"
    )
    listing.set_defaults(handler=list_command)

    stream = add_command(
        group,
        "stream",
        "print a session's events live as JSON lines, until the turn ends (or Ctrl-C with "
        "--follow); resumes by itself after a dropped connection",
        parents=[api],
    )
    stream.add_argument("session_id", metavar="SESSION_ID")
    stream.add_argument(
        "--follow",
        "-f",
        action="store_true",
        help="keep printing until the session terminates or Ctrl-C (exit status 130)",
    )
    stream.add_argument("--last-event-id", metavar="EVENT_ID", help="start after this event")
    stream.add_argument(
        "--deltas",
        dest="event_deltas",
        action="append",
        metavar="TYPE",
        help="also print previews of this event type (e.g. agent.message); repeatable",
    )
    stream.set_defaults(handler=stream_command)


async def send_command(args: argparse.Namespace) -> int:
    """Send a user message and/or events; print the events as the API stored them.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["events", "send", "sess_1", "Summarise the diff"])
    """
    text = sys.stdin.read() if args.text == "-" else args.text
    events: list[Any] = [user_message(text)] if text else []
    events.extend(args.events)
    if not events:
        raise UsageError("nothing to send: give TEXT, or --event JSON")

    async def action(client: AsyncQoder) -> None:
        for event in await client.sessions.events.send(args.session_id, events):
            print_json_line(event)

    return await call_api(args, action)


async def list_command(args: argparse.Namespace) -> int:
    """Print a session's stored events as JSON lines.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["events", "list", "sess_1", "--type", "agent.message"])
    """

    async def action(client: AsyncQoder) -> None:
        events = client.sessions.events.list(
            args.session_id,
            limit=min(args.limit, 100) if args.limit else None,
            order=args.order,
            types=args.types,
            after_id=args.after_id,
        )
        await print_items(events, args.limit)

    return await call_api(args, action)


def _turn_over(event: Event) -> bool:
    return event.type in _TURN_OVER


async def stream_command(args: argparse.Namespace) -> int:
    """Print a session's events as they happen, one JSON line each.

    Without ``--follow`` it stops once the session is idle again (or terminated); with it,
    only when the session terminates or on Ctrl-C. A dropped connection is resumed after
    the last event printed (``Last-Event-ID``), so nothing is printed twice or missed.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["events", "stream", "sess_1", "--follow"])
    """

    async def action(client: AsyncQoder) -> None:
        stream = client.sessions.events.stream(
            args.session_id,
            last_event_id=args.last_event_id,
            event_deltas=args.event_deltas,
            max_reconnects=_FOLLOW_RECONNECTS if args.follow else 10,
        )
        async with stream:
            async for event in stream:
                print_json_line(event)
                if not args.follow and _turn_over(event):
                    break

    return await call_api(args, action)
